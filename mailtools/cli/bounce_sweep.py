"""bounce-sweep: the daily bounce policy (cron)."""

from __future__ import annotations

import sys

import click

from ..bounces.outbox import replay
from ..bounces.policy import sweep
from ..clock import now
from ..errors import SweepElsewhere, UsageError
from .common import Command, common_options, json_option, open_context, print_json

HELP = """Run the daily bounce policy over the spool, in this order:

\b
  forget    addresses mailed after their last bounce and quiet for
            max_days_to_bounce days lose their counts (never the
            disabled flag)
  escalate  every soft_threshold soft bounces from one sending domain,
            younger than max_days_to_bounce, count as one hard bounce
  disable   more than max_bounce_count hard bounces (11 > 10) disables
            the address; on_disable hooks are queued
  notify    a disabled address gets a notice at once, then every
            notification_interval_days, at most max_notification_count,
            with reenable_url's {token} (valid token_days, usable once)
  purge     sent/ and dropped/ messages older than retention.sent_days /
            drop_days; bounces/processed and bounces/unrecognized files,
            bounce events and send-log rows older than bounce_days

Then pending on_bounce/on_disable/on_enable hooks and webhooks are run.
Each step is one transaction: a sweep that is killed can be run again,
and a second sweep at the same time changes nothing. Only one sweep runs
at a time, also across hosts that share a PostgreSQL database (a lock in
the database, freed when its holder dies): another exits 0 at once, saying
on stderr which host and pid run it.

\b
Config keys read: [bounce] max_days_to_bounce, soft_threshold,
max_bounce_count, notification_interval_days, max_notification_count,
notification_sender, reenable_url, token_days, domain, callback_timeout;
[retention] sent_days, drop_days, bounce_days; [retry] max_age_days;
[packages.*] on_disable; [platforms.*] webhook.

\b
Examples:
  bounce-sweep -q                      # from cron, once a day
  bounce-sweep --dry-run --json        # what would happen now
  MAILTOOLS_NOW=2030-01-01 bounce-sweep --dry-run   # ... on a later day
  bounce-sweep --replay 12 15          # webhooks given up, after fixing the receiver
  bounce-sweep --replay ALL

With --replay ID...|ALL it does none of that: it puts the given dead
letters of the outbox (bounce-status --outbox) back, as if new, and
delivers what is due (up to 60 s). --json then prints {"replayed": [ids],
"delivered": n}; an ID that is not a dead letter exits 65 and changes
nothing.

--json prints {"reset": n, "disabled": n, "notified": n, "purged": n}
("purged" counts files and database rows removed); when another sweep
holds the lock it prints {"elsewhere": true, "host": ..., "pid": n,
"since": t} instead (since: Unix seconds, null when unknown). Exit 0 (also
when another sweep runs), or 75 when the spool or the database cannot be
written or reached.
"""


@click.command(cls=Command, help=HELP)
@click.argument("ids", nargs=-1, metavar="[ID...|ALL]")
@click.option("--dry-run", is_flag=True, help="Count what would be done; change nothing, send nothing.")
@click.option("--replay", "replay_ids", is_flag=True, help="Put the dead letters ID... (or ALL) back in the outbox.")
@json_option
@common_options
def cli(ids: tuple[str, ...], dry_run: bool, replay_ids: bool, as_json: bool, spool: str | None,
        config_file: str | None, verbose: int, quiet: bool) -> None:
    if (ids and not replay_ids) or (replay_ids and dry_run):
        raise UsageError("IDs go with --replay (and --replay without --dry-run)")
    context = open_context(spool, config_file, verbose, quiet, as_json)
    if replay_ids:
        done = replay(context.config, list(ids), now())
        if as_json:
            print_json(done)
        elif not quiet:
            shown = " ".join(map(str, done["replayed"])) or "-"
            click.echo(f"replayed {len(done['replayed'])} dead letter(s): {shown}; "
                       f"delivered {done['delivered']} callback(s) now")
        return
    try:
        summary = sweep(context.config, context.spool, now(), dry_run=dry_run)
    except SweepElsewhere as exc:
        if as_json:  # a script reading stdout gets an answer, not nothing (the message still goes to stderr)
            print_json({"elsewhere": True, "host": exc.host, "pid": exc.pid, "since": exc.since or None})
        raise
    if as_json:
        print_json(summary)
    elif (not quiet and sys.stdout.isatty()) or dry_run:  # cron (no -q) mails only warnings
        prefix = "would have " if dry_run else ""
        click.echo(f"{prefix}reset {summary['reset']}, disabled {summary['disabled']}, "
                   f"notified {summary['notified']}, purged {summary['purged']}")


def main() -> None:
    cli(prog_name="bounce-sweep")


if __name__ == "__main__":
    main()
