"""What every click command shares: options, config loading, exit codes, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from ..config import Config, load_config
from ..errors import EX_SOFTWARE, EX_TEMPFAIL, EX_USAGE
from ..outbound.spool import Spool
from ..record import Record
from .exits import error, run_mapped, setup_logging


class Command(click.Command):
    """A click command whose failures leave with sysexits codes, not click's 1 and 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("context_settings", {}).setdefault("help_option_names", ["-h", "--help"])
        super().__init__(*args, **kwargs)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        def invoke() -> int | None:
            try:
                return super(Command, self).main(args, prog_name, complete_var, standalone_mode=False, **extra)
            except click.exceptions.Exit as exc:
                return exc.exit_code
            except click.UsageError as exc:
                exc.show()
                return EX_USAGE
            except click.Abort:
                error("aborted")
                return EX_TEMPFAIL
            except click.ClickException as exc:
                exc.show()
                return EX_SOFTWARE

        code = run_mapped(invoke)
        if standalone_mode:
            sys.exit(code)
        return code


class Context(Record):
    config: Config
    spool: Spool
    json: bool = False


def common_options(func: Callable) -> Callable:
    """--spool, --config, -v, -q: shared by every command (DESIGN.md)."""
    options = [
        click.option("--spool", metavar="DIR", envvar=None,
                     help="Spool directory [env MAILTOOLS_SPOOL; config 'spool'; default /var/spool/mailtools]."),
        click.option("--config", "config_file", metavar="FILE",
                     help="TOML config [env MAILTOOLS_CONFIG; default /etc/mailtools/mailtools.toml if present]."),
        click.option("-v", "--verbose", count=True, help="More log lines on stderr (-vv: debug, with tracebacks)."),
        click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr (for cron)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="One JSON object per line on stdout, for scripts.")(func)


def open_context(spool: str | None, config_file: str | None, verbose: int = 0, quiet: bool = False,
                 as_json: bool = False) -> Context:
    config = load_config(config_file, spool)
    setup_logging(verbose, quiet, config.log.syslog, config.log.facility, config.log.level)
    return Context(config, Spool(config.spool), as_json)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, sort_keys=False, ensure_ascii=False) + "\n")
