"""mq-flush: deliver what is due (maildrop first, then queued, then deferred)."""

from __future__ import annotations

import sys

import click

from ..clock import now as clock_now
from ..errors import EX_TEMPFAIL
from ..outbound.flush import count_due, flush
from .common import Command, common_options, json_option, open_context, print_json
from .exits import error
from .signals import stop_on_signals

HELP = """Deliver the messages that are due, then exit.

\b
Order: dead claims are recovered, maildrop/ is taken in, then queued
messages (oldest first), then deferred ones whose retry time has come.
Each recipient gets its own bounce (VERP) address. 2xx: sent; 4xx or a
connection failure: deferred with backoff (retry.min_backoff doubling to
retry.max_backoff); 5xx: dropped with the server's reply; disabled
addresses: dropped as "suppressed". Several mq-flush may run at once, on
one host or several sharing the spool: none sends a message twice.

\b
Examples:
  mq-flush -q                              # from cron, every 5 minutes
  mq-flush --sender news@example.org       # only that sender's mail
  mq-flush --id 0006441A2B3C4D5E6F7A8B9C    # one message, now
  mq-flush --limit 500 --max-time 50 --json

\b
Output with --json: {"sent": n, "deferred": n, "dropped": n, "suppressed": n}
(counts of recipients). On a terminal: a progress bar and a summary line;
under cron nothing is printed (the log has each delivery with -v or syslog).

\b
Stopping: SIGINT (Ctrl-C) or SIGTERM (systemctl stop, shutdown) starts no
new SMTP transaction; the replies of those in flight are awaited (within
transport.timeout) and recorded, untried messages go back to the queue
as they were (no attempt, no crash counted), and mq-flush exits 75. No
message a server accepted is sent again by the next run.

\b
Exit codes: 0 done (even if some mail was deferred: it will be retried);
65 an --id that is not a queue id or not in the spool; 75 stopped by a
signal, the spool does not exist or could not be written, or the disk is
too full to record a delivery (what fitted was delivered); 77 this user
may not read the spool (run it as the spool's owner or root); 78 bad
configuration (also a missing password_file or a bad DKIM key).

\b
Config keys read: spool, [transport], [senders."ADDR"], [retry], [bounce]
prefix/domain.
"""


@click.command(cls=Command, help=HELP)
@click.option("--sender", metavar="ADDR", help="Only messages from this sender (like smailer 'send foo@').")
@click.option("--id", "ids", metavar="ID", multiple=True, help="Only this message (repeatable); tried now.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N messages in this run.")
@click.option("--max-time", type=click.FloatRange(min=0), metavar="S", help="Stop starting new messages after S s.")
@json_option
@common_options
def command(sender: str | None, ids: tuple[str, ...], limit: int | None, max_time: float | None,
            as_json: bool, spool: str | None, config_file: str | None, verbose: int, quiet: bool) -> int:
    stop = stop_on_signals()
    ctx = open_context(spool, config_file, verbose, quiet, as_json)
    show_bar = sys.stderr.isatty() and not quiet and not as_json
    if show_bar:
        total = len(ids) if ids else count_due(ctx.spool, clock_now())
        with click.progressbar(length=total, label="mq-flush", file=sys.stderr) as bar:
            summary = flush(ctx.config, ctx.spool, sender=sender, ids=ids, limit=limit, max_time=max_time,
                            progress=bar.update, stop=stop, clock=clock_now)
    else:
        summary = flush(ctx.config, ctx.spool, sender=sender, ids=ids, limit=limit, max_time=max_time, stop=stop,
                        clock=clock_now)
    if as_json:
        print_json(summary.to_json())
    elif not quiet and (sys.stdout.isatty() or verbose):
        # Cron mails whatever a job prints: say nothing there unless asked (-v).
        counts = summary.to_json()
        click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
    if summary.stopped:
        error(f"stopped by {stop.signal_name}: the transactions in flight were recorded; "
              "the rest waits for the next run")
        return EX_TEMPFAIL
    return 0


def main() -> None:
    command.main(prog_name="mq-flush")


if __name__ == "__main__":
    main()
