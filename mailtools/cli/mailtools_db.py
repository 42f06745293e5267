"""mailtools-db: create or upgrade the state database; copy an installation to another database."""

from __future__ import annotations

import click

from ..errors import UsageError
from ..state import database_url, manage
from .common import Command, check_spool, common_options, json_option, open_context, print_json

HELP = """Set up the state database (send log, bounce records and events,
suppressions, used tokens, the callback and webhook outbox) that
[database] url names, or move an installation to another database.

\b
  init                  create the tables (and, for SQLite, the file) of the
                        configured database, or upgrade older ones; a current
                        database is left as it is. Run it once per database,
                        as the database's owner, before the hosts start.
                        The spool's own database (no [database] url) needs
                        the spool: one that does not exist is 75 (make it
                        with mailtools-setup), never created here.
  migrate               upgrade the tables of the configured database to this
                        program's schema version; a database that does not
                        exist is an error (75), not a new empty one.
  copy FROM_URL TO_URL  copy every row TO_URL lacks from FROM_URL (opened
                        read-only), creating TO_URL's tables when needed.
                        Counts, events, suppressions, send log, used tokens
                        and the outbox move whole; a row already in TO_URL
                        is never changed or counted twice. Safe to run again:
                        TO_URL remembers the rows it took from FROM_URL, so
                        a rerun never brings back one removed there since (a
                        lifted suppression, a delivered webhook); it adds
                        what FROM_URL gained since (say so), finishes an
                        interrupted run, and otherwise adds nothing.

URLs: sqlite:////absolute/path/state.sqlite (a spool's is
<spool>/db/state.sqlite) and postgresql://USER@HOST[:PORT]/DATABASE (a
password belongs in ~/.pgpass or PGPASSWORD, not in the url: messages
never show it). A database newer than this program is refused (78).

\b
Several hosts as one installation (README "Several hosts"):
  1. createdb mailtools; mailtools-db init   (url in [database] url)
  2. on the old host: stop cron's mq-flush and bounce-sweep, then
     mailtools-db copy sqlite:////var/spool/mailtools/db/state.sqlite \\
                       postgresql://mailtools@db.example/mailtools
  3. set [database] url and one secret_file on every host; start cron.

\b
Examples:
  mailtools-db init
  mailtools-db migrate --json
  mailtools-db copy sqlite:////var/spool/mailtools/db/state.sqlite \\
                    postgresql://mailtools@db.example/mailtools

--json prints {"database", "found", "version"} for init and migrate, one
{"table", "source", "added", "target", "copied_before"} per table for copy
(copied_before: rows an earlier copy from FROM_URL took). Exit 0; 64 for
a wrong call; 75 when a database cannot be reached (try again) or the
spool does not exist; 77 when this user may not read or write the
database file or its directory (the message names the path); 78 for a
schema newer than this program or a url it cannot open.
"""


@click.command(cls=Command, help=HELP)
@click.argument("action", type=click.Choice(["init", "migrate", "copy"]))
@click.argument("urls", nargs=-1, metavar="[FROM_URL TO_URL]")
@json_option
@common_options
def cli(action: str, urls: tuple[str, ...], as_json: bool, spool: str | None, config_file: str | None,
        verbose: int, quiet: bool) -> None:
    if (action == "copy") != bool(urls) or (urls and len(urls) != 2):
        raise UsageError("give 'copy FROM_URL TO_URL', or 'init' or 'migrate' alone (see --help)")
    context = open_context(spool, config_file, verbose, quiet, as_json, must_exist=False)
    if action != "copy" and not context.config.database.url:
        # The spool's own database: init creates the database, not the spool (DESIGN: mq-send and
        # mailtools-setup make spools), so a mistyped --spool is 75, never a stray new spool.
        check_spool(context.config)
    if action == "copy":
        report = manage.copy(urls[0], urls[1])
        for row in report:
            if as_json:
                print_json(row._asdict())
            elif not quiet:
                earlier = f" ({row.copied_before} copied before)" if row.copied_before else ""
                click.echo(f"{row.table}: {row.source} rows in the source{earlier}, {row.added} added,"
                           f" {row.target} in the target")
        if not as_json and not quiet:
            added = sum(row.added for row in report)
            click.echo(f"copied {added} rows" if added
                       else "nothing to copy: the target has every row, or an earlier copy took it")
        return
    change = (manage.init if action == "init" else manage.migrate)(database_url(context.config))
    if as_json:
        print_json(change._asdict())
    elif not quiet:
        if change.found == change.version:
            click.echo(f"{change.database}: schema version {change.version}, up to date; nothing to do")
        elif change.found == 0:
            click.echo(f"{change.database}: created, schema version {change.version}")
        else:
            click.echo(f"{change.database}: upgraded from schema version {change.found} to {change.version}")


def main() -> None:
    cli(prog_name="mailtools-db")


if __name__ == "__main__":
    main()
