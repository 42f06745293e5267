"""bounce-enable: mail an address again (by name, or with a notice's token)."""

from __future__ import annotations

import click

from ..bounces.records import enable_addresses, enable_by_token
from ..clock import now
from ..errors import UsageError
from ..state.base import EnableResult
from .common import Command, common_options, json_option, open_context, print_json

HELP = """Re-enable ADDRESS... (an admin), or the address a disable notice's
--token names (the application's re-enable page calls this).

Lifts the address's suppression, whatever its reason (bounce, complaint,
unsubscribe, manual), and clears every bounce count, so the address starts
afresh. The on_enable hooks of [packages.*] run at once for addresses that
were suppressed (within callback_timeout each; one that fails is retried
by the next bounce-sweep or bounce-ingest). A token is
checked against the spool's secret, must not have expired (token_days
after its notice) and works once: a forged, expired or reused token exits
65 and changes nothing.

\b
Examples:
  bounce-enable user@example.org
  bounce-enable --json a@example.org b@example.org
  bounce-enable --token "$TOKEN"       # from the reenable_url page

--json prints one object per address: address, known, was_disabled,
enabled. An address with no record is reported and left alone (exit 0).
"""


def _say(result: EnableResult) -> str:
    if not result.known:
        return f"{result.address}: no record; nothing to do"
    if result.was_disabled:
        return f"{result.address}: enabled (its suppression lifted); bounce counts cleared"
    return f"{result.address}: was not suppressed; bounce counts cleared"


@click.command(cls=Command, help=HELP)
@click.argument("addresses", nargs=-1, metavar="ADDRESS...")
@click.option("--token", metavar="TOKEN", help="The token from a notice's reenable_url.")
@json_option
@common_options
def cli(addresses: tuple[str, ...], token: str | None, as_json: bool, spool: str | None,
        config_file: str | None, verbose: int, quiet: bool) -> None:
    if bool(addresses) == bool(token):
        raise UsageError("give either ADDRESS... or --token TOKEN (see --help)")
    context = open_context(spool, config_file, verbose, quiet, as_json)
    if token:
        results = [enable_by_token(context.config, token, now())]
    else:
        results = enable_addresses(context.config, list(addresses), now())
    for result in results:
        if as_json:
            print_json(result._asdict())
        elif not quiet:
            click.echo(_say(result))


def main() -> None:
    cli(prog_name="bounce-enable")


if __name__ == "__main__":
    main()
