"""mq-list: list the queue, like mailq / postqueue -p (-j)."""

from __future__ import annotations

import click

from ..errors import MailtoolsError
from ..ids import is_valid
from ..outbound.listing import format_message, format_row, rows, show, summary_line
from ..outbound.spool import Spool
from .common import Command, common_options, json_option, open_context, print_json
from .exits import error

HELP = """List the queue (like mailq); with queue ids, show those messages whole (like postcat -q).

\b
A listing has one line per message and recipient state: without --state
everything but sent and dropped; --state all shows every state, and a
message whose recipients ended differently shows once per state. Mail in
maildrop/ (from a user who cannot write the queue; the next mq-flush takes
it in) shows as state maildrop, with what its envelope (or, for a plain
file, its From/To/Cc/Bcc) says and the uid of the file's owner. SENDER
limits it to one envelope sender (the -f address). It ends like Postfix's
"-- 3 Kbytes in 2 Requests."; an empty queue says "Mail queue is empty".

\b
With ids: each message's envelope (sender, uid, ids, attempts, next try),
every recipient with its own state, attempts and last error, and the
headers; --body adds the body. An id mq-send printed for mail still in
maildrop/ shows it too (state maildrop).

\b
Examples:
  mq-list
  mq-list --state deferred news@example.org
  mq-list --state all --json | jq 'select(.state == "dropped")'
  mq-list 0006441A2B3C4D5E6F7A8B9C --body

\b
JSON fields (listing): id, state (maildrop|queued|active|deferred|held|sent|
dropped),
sender, recipients, attempts, next_attempt (Unix seconds or null),
last_error, created, uid, size, recipient_status (per recipient: address,
state, attempts, last_error, time). With ids: one object per message with
the envelope, recipients (objects as in recipient_status), headers (and
body with --body).

\b
Exit codes: 0 listed; 65 an id not in the spool (the others are shown);
75 the spool does not exist (a mistyped --spool is no empty queue); 77
this user may not read the spool (run it as the spool's owner or root).
"""


@click.command(cls=Command, help=HELP)
@click.option("--state", metavar="S",
              type=click.Choice(["maildrop", "queued", "active", "deferred", "held", "sent", "dropped", "all"]),
              help="Only this state (or all).")
@click.option("--body", is_flag=True, help="With ids: also print the message body.")
@click.argument("what", nargs=-1, metavar="[SENDER | ID...]")
@json_option
@common_options
def command(state: str | None, body: bool, what: tuple[str, ...],
            as_json: bool, spool: str | None, config_file: str | None, verbose: int, quiet: bool) -> int:
    ctx = open_context(spool, config_file, verbose, quiet, as_json)
    if what and all(is_valid(item) for item in what):
        return _show(ctx.spool, what, body, as_json)
    if len(what) > 1:
        raise click.UsageError("give one SENDER, or queue ids")
    sender = what[0] if what else None
    messages, size = set(), 0
    for row in rows(ctx.spool, state, sender):
        if row["id"] not in messages:
            messages.add(row["id"])
            size += row["size"]
        if as_json:
            print_json(row)
        else:
            click.echo(format_row(row))
    if not as_json:
        click.echo(summary_line(len(messages), size) if messages else "Mail queue is empty")
    return 0


def _show(spool: Spool, ids: tuple[str, ...], body: bool, as_json: bool) -> int:
    code = 0
    for queue_id in ids:
        try:
            shown = show(spool, queue_id, body)
        except MailtoolsError as exc:
            error(str(exc))
            code = max(code, exc.exit_code)  # 65: no such message
            continue
        if as_json:
            print_json(shown)
        else:
            click.echo(format_message(shown))
    return code


def main() -> None:
    command.main(prog_name="mq-list")


if __name__ == "__main__":
    main()
