"""mq-list: list the queue, like mailq / postqueue -p (-j)."""

from __future__ import annotations

import click

from ..outbound.listing import format_row, rows
from .common import Command, common_options, json_option, open_context, print_json

HELP = """List queued messages, one line per message and recipient state.

\b
Without --state: everything but sent and dropped. --state all shows every
state; a message whose recipients ended differently shows once per state.
SENDER limits the list to one envelope sender (the -f address).

\b
Examples:
  mq-list
  mq-list --state deferred news@example.org
  mq-list --state all --json | jq 'select(.state == "dropped")'

\b
JSON fields: id, state (queued|active|deferred|held|sent|dropped), sender,
recipients, attempts, next_attempt (Unix seconds or null), last_error,
created.
"""


@click.command(cls=Command, help=HELP)
@click.option("--state", metavar="S",
              type=click.Choice(["queued", "active", "deferred", "held", "sent", "dropped", "all"]),
              help="Only this state (or all).")
@click.argument("sender", required=False)
@json_option
@common_options
def command(state, sender, as_json, spool, config_file, verbose, quiet):
    ctx = open_context(spool, config_file, verbose, quiet, as_json)
    shown = 0
    for row in rows(ctx.spool, state, sender):
        shown += 1
        if as_json:
            print_json(row)
        else:
            click.echo(format_row(row))
    if not shown and not as_json:
        click.echo("Mail queue is empty")
    return 0


def main() -> None:
    command.main(prog_name="mq-list")


if __name__ == "__main__":
    main()
