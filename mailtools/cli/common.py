"""What every click command shares: options, config loading, exit codes, JSON."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from .. import state
from ..config import Config, load_config
from ..errors import EX_SOFTWARE, EX_TEMPFAIL, EX_USAGE, PermissionDenied, TempFailure
from ..outbound.spool import Spool
from .exits import error, run_mapped, setup_logging
from .owner import become_spool_owner


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


@dataclass
class Context:
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
        click.option("-v", "--verbose", count=True,
                     help="Info lines on stderr even when it is not a terminal (-vv: debug, with tracebacks)."),
        click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors, on stderr and in syslog."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="One JSON object per line on stdout, for scripts.")(func)


def open_context(spool: str | None, config_file: str | None, verbose: int = 0, quiet: bool = False,
                 as_json: bool = False, must_exist: bool = True) -> Context:
    """Config, logging and the spool of a command.

    ``must_exist``: the spool must be there already (every command but the
    ones that create it), so a mistyped --spool is an error (75) naming the
    path, never an empty queue nor a new spool where nobody will look.
    """
    config = load_config(config_file, spool)
    setup_logging(verbose, quiet, config.log)
    if must_exist:
        check_spool(config)
    become_spool_owner(config.spool)
    return Context(config, Spool(config.spool), as_json)


def check_spool(config: Config) -> None:
    """TempFailure (75) when the spool is missing; PermissionDenied (77) when this user cannot enter it,
    or cannot read the state database the config names."""
    root = config.spool
    if not os.path.isdir(root):
        what = "is not a directory" if os.path.exists(root) else "does not exist"
        raise TempFailure(f"spool {root} {what} (mistyped --spool or MAILTOOLS_SPOOL? "
                          "mq-send or mailtools-setup creates it)")
    if not os.access(root, os.R_OK | os.X_OK):
        raise PermissionDenied(f"cannot read the spool {root}: permission denied (run as its owner or root)")
    # A database this user cannot read must be an error, never "no record" (the
    # configured one: [database] url may name another file, or a server).
    state.check_access(state.database_url(config), write=False, create=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, sort_keys=False, ensure_ascii=False) + "\n")
