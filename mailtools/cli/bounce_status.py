"""bounce-status: what the spool knows about addresses that bounce."""

from __future__ import annotations

import time

import click

from ..bounces.outbox import list_outbox
from ..bounces.records import address_events, address_status
from ..errors import UsageError
from ..state.base import AddressStatus, Event
from .common import Command, common_options, json_option, open_context, print_json

HELP = """Show the bounce record of each ADDRESS, or of every address with
bounces (or disabled) when none is named.

\b
Columns: hard and soft bounces counted, whether and when the address was
disabled, notices sent, first and last bounce (UTC). "soft/domain" shows
the soft counters per sending domain that escalate at soft_threshold.

\b
Examples:
  bounce-status                        # every address with bounces
  bounce-status --disabled             # only disabled ones
  bounce-status user@example.org       # one address
  bounce-status --json --disabled | jq -r .address
  bounce-status --outbox               # callbacks and webhooks waiting or given up
  bounce-status --events user@example.org   # every bounce, complaint... and why

--json prints one object per address: address, user_id, hard_bounces,
soft_bounces, disabled, first_bounce, last_bounce, notices_sent (times in
Unix seconds or null), and last_notice, disabled_at, last_sent,
soft_by_domain, suppressed (null or bounce, complaint, unsubscribe, manual),
suppressed_since, origin (who suppressed it: bounce-sweep, arf, mailto,
one-click, web, bounce-disable, import), unsubscribed_packages (the ids) and
package_unsubscribes (per package: package_id, origin, since). --disabled
lists every suppressed address, whatever the reason, and those that left
some packages' mail (suppressed null, unsubscribed_packages set); bounce-disable
re-imports that list (bounce-status --disabled --json | bounce-disable). An address with no record prints
nothing and exits 0.
--events lists every recorded event of each ADDRESS, oldest first: time,
kind (bounce, complaint, unsubscribe, manual, enable), reason, hard, status,
diagnostic (the reply or text the reason was read from), message_id,
package_id. An enable event's reason says who lifted the suppression
(bounce-enable, or token: the notice's link or --token). The events stay
after the daily Forget clears the counts (until retention.bounce_days), so
they say why an address was disabled and why it is mailed again.
--outbox lists the callback and webhook outbox instead: each hook or
webhook call that waits (pending: not tried yet; retrying: failed, with
its next try) or was given up (dead: the receiver answered a 4xx other
than 408/429, or it failed 20 times; kept until bounce-sweep --replay ID).
With --json one object per row: id, state, kind, target, package_id,
platform, address, event_id, attempts, last_error, next_try, created,
given_up.
Reads the state database read-only ([database] url, by default the spool's
db/state.sqlite); one that does not exist exits 75 naming it.
"""


def _when(value: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(value)) if value else "-"


def _table(rows: list[AddressStatus], named: list[str], disabled_only: bool) -> None:
    if not rows and not named:
        click.echo("No disabled addresses." if disabled_only else "No addresses with bounces.")
        return
    if rows:
        width = max(24, *(len(r.address) for r in rows))
        click.echo(f"{'Address':<{width}} {'User':>8} {'Hard':>5} {'Soft':>5}  {'Disabled':<16} {'Notices':>7}  "
                   f"{'First bounce':<16}  {'Last bounce':<16}")
    for r in rows:
        # Disabled by the policy: since when; suppressed for another reason: which.
        disabled = _when(r.disabled_at) if r.disabled else (r.suppressed or "no")
        click.echo(f"{r.address:<{width}} {r.user_id or '-':>8} {r.hard_bounces:>5} {r.soft_bounces:>5}  "
                   f"{disabled:<16} {r.notices_sent:>7}  {_when(r.first_bounce):<16}  "
                   f"{_when(r.last_bounce):<16}")
        if r.soft_by_domain:
            counts = ", ".join(f"{d or '(none)'}: {n}" for d, n in sorted(r.soft_by_domain.items()))
            click.echo(f"{'':<{width}}   soft/domain {counts}")
        for left in r.package_unsubscribes:
            click.echo(f"{'':<{width}}   unsubscribed from package {left['package_id']}: origin {left['origin']},"
                       f" since {_when(left['since'])}")
    known = {r.address for r in rows}
    for address in dict.fromkeys(a.strip().lower() for a in named):
        if address not in known:
            click.echo(f"{address}: no record" + (" of a disabled address" if disabled_only else ""))
    if not named:
        n_disabled = sum(1 for r in rows if r.disabled)
        n_suppressed = sum(1 for r in rows if r.suppressed or r.unsubscribed_packages)
        click.echo(f"-- {len(rows)} address{'es' if len(rows) != 1 else ''}, {n_disabled} disabled by bounces,"
                   f" {n_suppressed} suppressed")


def _events(address: str, rows: list[Event], as_json: bool) -> None:
    for event in rows:
        if as_json:
            print_json({"address": address.strip().lower(), **event._asdict()})
            continue
        # Hard or soft is a bounce's judgement; a complaint or an unsubscribe is neither.
        hard = ("hard, " if event.hard else "soft, ") if event.kind == "bounce" else ""
        package = f" package={event.package_id}" if event.package_id else ""
        click.echo(f"{_when(event.time)}  {address}: kind={event.kind}, reason={event.reason}, {hard}"
                   f"status={event.status or '-'}, message_id={event.message_id or '-'}{package}"
                   + (f", diagnostic={event.diagnostic!r}" if event.diagnostic else ""))
    if not rows and not as_json:
        click.echo(f"{address}: no recorded events")


def _outbox(rows: list[dict], as_json: bool) -> None:
    if as_json:
        for row in rows:
            print_json(row)
        return
    if not rows:
        click.echo("The outbox is empty.")
        return
    for row in rows:
        when = f"given up {_when(row['given_up'])}" if row["given_up"] else f"next {_when(row['next_try'])}"
        to = f"webhook {row['platform']}" if row["target"] == "webhook" else f"hook of package {row['package_id']}"
        click.echo(f"{row['id']:>6} {row['state']:<8} {row['kind']:<11} {row['address']} -> {to}, "
                   f"attempts={row['attempts']}, {when}" + (f", error={row['last_error']!r}" if row["last_error"]
                                                             else ""))
    dead = sum(1 for r in rows if r["state"] == "dead")
    click.echo(f"-- {len(rows)} in the outbox, {dead} given up" + (" (bounce-sweep --replay ID|ALL)" if dead
                                                                     else ""))


@click.command(cls=Command, help=HELP)
@click.argument("addresses", nargs=-1, metavar="[ADDRESS]...")
@click.option("--disabled", "disabled_only", is_flag=True,
              help="Only suppressed addresses (any reason; also unsubscribed from some packages' mail).")
@click.option("--outbox", is_flag=True, help="The callback and webhook outbox: waiting and given up.")
@click.option("--events", is_flag=True, help="Every recorded event of each ADDRESS, with its diagnostic.")
@json_option
@common_options
def cli(addresses: tuple[str, ...], disabled_only: bool, outbox: bool, events: bool, as_json: bool,
        spool: str | None, config_file: str | None, verbose: int, quiet: bool) -> None:
    # A wrong combination is 64 whatever the spool: said before the spool is looked at.
    if events and (not addresses or disabled_only or outbox):
        raise UsageError("--events needs one ADDRESS or more (and no --disabled, --outbox)")
    if outbox and (addresses or disabled_only):
        raise UsageError("--outbox lists the whole outbox: no ADDRESS, no --disabled")
    context = open_context(spool, config_file, verbose, quiet, as_json)
    if events:
        for address in addresses:
            _events(address, address_events(context.config, address), as_json)
        return
    if outbox:
        _outbox(list_outbox(context.config), as_json)
        return
    rows = address_status(context.config, list(addresses) or None, disabled_only)
    if as_json:
        for row in rows:
            print_json(row._asdict())
    else:
        _table(rows, list(addresses), disabled_only)


def main() -> None:
    cli(prog_name="bounce-status")


if __name__ == "__main__":
    main()
