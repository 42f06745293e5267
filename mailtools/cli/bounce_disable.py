"""bounce-disable: suppress addresses by hand, or import a suppression list."""

from __future__ import annotations

import sys

import click

from ..bounces.suppression import Entry, check_address, disable, parse_list
from ..clock import now
from ..errors import DataError, UsageError
from ..state.base import REASONS
from .common import Command, common_options, json_option, open_context, print_json
from .exits import error

HELP = """Suppress each ADDRESS (reason --reason, default manual): no mail
reaches it until bounce-enable lifts it. With no ADDRESS, import a list
from standard input, one entry a line:

\b
  ann@example.org                      an address (reason --reason)
  bob@example.org,complaint            CSV: address,reason[,origin]
  {"address": ..., "suppressed": ...}  a line of bounce-status --disabled --json
Reasons: bounce, complaint, unsubscribe, manual. The JSON form keeps the
export's reason, origin, time and unsubscribed_packages, so a list moves
from one installation to another unchanged. Blank lines and # comments are
passed over; every other line that cannot be taken is reported on stderr
("line N: why") and skipped. An address already suppressed stays as it is.

\b
Examples:
  bounce-disable spamtrap@example.org
  bounce-disable --reason complaint < complaints-from-old-system.txt
  bounce-status --disabled --json > list.jsonl   # on the old host
  bounce-disable < list.jsonl                    # on the new one

--json prints one object per address: address, reason, suppressed (false
when it already was). Hooks and webhooks are not called for imports.
Exit codes: 0 at least one address taken, 65 none (all lines skipped),
64 a bad ADDRESS argument or reason, 75 no state database (wrong --spool?).
"""


@click.command(cls=Command, help=HELP)
@click.argument("addresses", nargs=-1, metavar="[ADDRESS]...")
@click.option("--reason", default="manual", show_default=True, type=click.Choice(REASONS),
              help="Reason recorded for addresses given without one.")
@json_option
@common_options
def cli(addresses: tuple[str, ...], reason: str, as_json: bool, spool: str | None, config_file: str | None,
        verbose: int, quiet: bool) -> None:
    context = open_context(spool, config_file, verbose, quiet, as_json)
    if addresses:
        entries = []
        for raw in addresses:
            address = check_address(raw)
            if address is None:
                raise UsageError(f"not an address: {raw!r}")
            entries.append(Entry(address, reason, "bounce-disable"))
    else:
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
        entries, skipped = parse_list(text.splitlines(), reason, "import")
        for line in skipped:
            error(f"line {line.line}: skipped: {line.why}")
        if not entries:
            raise DataError(f"no address taken ({len(skipped)} line{'s' if len(skipped) != 1 else ''} skipped)")
    results = disable(context.config, entries, now())
    for entry, new in zip(entries, results, strict=True):
        if as_json:
            print_json({"address": entry.address, "reason": entry.reason or "unsubscribe", "suppressed": new})
        elif not quiet:
            click.echo(f"{entry.address}: {'suppressed' if new else 'already suppressed'}"
                       f" ({entry.reason or 'unsubscribe: ' + ', '.join(entry.packages)})")


def main() -> None:
    cli(prog_name="bounce-disable")


if __name__ == "__main__":
    main()
