"""mq-ctl: hold, release, delete or requeue messages (like postsuper)."""

from __future__ import annotations

import sys

import click

from ..clock import now as clock_now
from ..outbound.control import BEING_DELIVERED, apply
from .common import Command, common_options, json_option, open_context, print_json
from .exits import error

HELP = """Act on messages by queue id, or on ALL of them; '-' reads ids from stdin.

\b
  hold     queued or deferred -> held (mq-flush leaves it alone)
  release  held -> queued (also clears the crash count of a message held
           after repeated crashes)
  requeue  deferred, held, dropped (or sent with dropped recipients) ->
           queued: every recipient not yet delivered is tried again at the
           next mq-flush, with a fresh retry budget. "requeue ALL --state
           dropped" takes what "mq-list --state dropped" shows (also a
           message in sent/ or deferred/ with some recipients dropped) and
           requeues only the dropped recipients
  delete   remove the message from the spool (logged)

\b
ALL, as postsuper's: every message the action applies to, or with
--state S only those in S ("mq-ctl delete ALL --state deferred" is
"postsuper -d ALL deferred"). Messages being delivered right now are
left alone and reported; what vanished meanwhile, and delivered messages
requeue has nothing to do for, are skipped. Ends with a count.

\b
What waits in maildrop/ (a caller who could not write the queue: PHP as
www-data, a crontab) is taken in first, as mq-flush would take it, so a
message mq-list shows there can be held or deleted before it is sent.

\b
Examples:
  mq-ctl hold 0006441A2B3C4D5E6F7A8B9C
  mq-ctl requeue ALL --state dropped
  mq-ctl delete ALL --state deferred
  mq-list --state deferred --json | jq -r .id | mq-ctl requeue -

\b
Exit codes: 0 all done; 65 an id unknown or in the wrong state; 75 a
message was being delivered (try again).
"""


@click.command(cls=Command, help=HELP)
@click.argument("action", type=click.Choice(["hold", "release", "delete", "requeue"]))
@click.argument("ids", nargs=-1, required=True, metavar="ID...|ALL|-")
@click.option("--state", metavar="S", type=click.Choice(["queued", "deferred", "held", "sent", "dropped"]),
              help="With ALL: only the messages in this state.")
@json_option
@common_options
def command(action: str, ids: tuple[str, ...], state: str | None,
            as_json: bool, spool: str | None, config_file: str | None, verbose: int, quiet: bool) -> int:
    ctx = open_context(spool, config_file, verbose, quiet, as_json)
    wanted = [line.strip() for line in sys.stdin if line.strip()] if list(ids) == ["-"] else list(ids)
    code, count, busy = 0, 0, 0
    for outcome in apply(ctx.config, ctx.spool, action, wanted, clock_now(), state):
        if outcome.error == BEING_DELIVERED:
            busy += 1
            if as_json:
                print_json({"id": outcome.queue_id, "action": action, "ok": False, "error": outcome.error})
            elif not quiet:
                click.echo(f"{outcome.queue_id}: being delivered right now, left alone")
        elif outcome.error is not None:
            error(outcome.error)
            code = max(code, outcome.exit_code)
            if as_json:
                print_json({"id": outcome.queue_id, "action": action, "ok": False, "error": outcome.error})
        else:
            count += 1
            if as_json:
                print_json({"id": outcome.queue_id, "action": action, "ok": True, "state": outcome.state})
            elif not quiet:
                click.echo(f"{outcome.queue_id}: {outcome.state}")
    if wanted == ["ALL"] and not as_json and not quiet:
        left = f" ({busy} being delivered, left alone)" if busy else ""
        click.echo(f"{PAST[action]}: {count} message{'' if count == 1 else 's'}{left}")  # postsuper's last line
    return code


PAST = {"hold": "Placed on hold", "release": "Released from hold", "requeue": "Requeued", "delete": "Deleted"}


def main() -> None:
    command.main(prog_name="mq-ctl")


if __name__ == "__main__":
    main()
