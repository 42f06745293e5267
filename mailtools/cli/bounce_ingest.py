"""bounce-ingest: take bounces from an alias pipe, files, a Maildir or SMTP; classify; record.

``main()`` takes pipe mode (no files, stdin not a terminal, only --spool,
--config, -v, -q) without importing click: Postfix starts one process per
bounce and click alone costs ~25 ms of start-up. Everything else goes
through the click command.
"""

from __future__ import annotations

import os
import sys

from ..errors import EX_IOERR, EX_OK, EX_TEMPFAIL, EX_USAGE

TYPE_CHECKING = False  # typing costs ~3 ms of start-up (one process per bounce); only checkers need it
if TYPE_CHECKING:
    from typing import Any

HELP = """Take bounces in and record them against the addresses we sent to.

\b
With no FILE and a message on standard input this is the Postfix alias pipe:
  bounce: "|/usr/local/bin/bounce-ingest"
It exits 0 once the message is safely stored in <spool>/bounces/incoming
(whatever it contains) and 75 only when it could not be stored, so Postfix
never discards a bounce. Stored bounces end in bounces/processed/<id>.<kind>
or, when they are not ours or do not verify, bounces/unrecognized/<id> with
<id>.why saying why. What a crash or an outage (the database down) left
in incoming/ is processed by --retry-incoming (run it from cron): it takes
files at least 60 s old (younger ones may still be in a pipe's hands),
records each with the time it was stored, and says how many it left
because they are younger, and when they may be taken. On a terminal it
prints "processed N, failed N, too young N"; from cron only its log line
says so (syslog, or stderr with -v), and --json always prints {"processed",
"failed", "too_young", "left_in_incoming", "next_eligible",
"last_eligible"} (times in Unix seconds or null).

\b
Examples:
  bounce-ingest < dsn.eml
  bounce-ingest saved/*.eml
  bounce-ingest --maildir /home/bounces/Maildir        # cron, every 2 minutes
  bounce-ingest --smtp 127.0.0.1:2525
  bounce-ingest --dry-run --json dsn.eml

\b
Exit codes: 0 ok; 64 bad arguments; 74 a FILE could not be read; 75 the
spool is missing, full or unwritable (nothing was lost); 78 bad configuration,
e.g. a secret_file that is named but missing (pipe mode: 75 instead, the
bounce kept in bounces/incoming too, so Postfix keeps it while you fix it).
"""


def _pipe_options(argv: list[str]) -> dict[str, Any] | None:
    """The pipe-mode options, or None when ``argv`` asks for anything else."""
    opts: dict[str, Any] = {"spool": None, "config_file": None, "verbose": 0, "quiet": False}
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in ("--spool", "--config") and arg.startswith("--"):
            if not eq:
                following = next(args, None)
                if following is None:
                    return None
                value = following
            opts["spool" if name == "--spool" else "config_file"] = value
        elif arg == "--verbose" or (arg.startswith("-v") and set(arg[1:]) == {"v"}):
            opts["verbose"] += 1 if arg == "--verbose" else len(arg) - 1
        elif arg in ("-q", "--quiet"):
            opts["quiet"] = True
        else:
            return None
    return opts


def main() -> None:
    opts = _pipe_options(sys.argv[1:])
    if opts is not None and not _stdin_is_tty():
        import gc

        # One bounce, then os._exit: the cycle collector would only run during the imports, to
        # free nothing (~2.5 ms of the 50 ms budget, measured A/B with bench/bench_ingest.py).
        gc.disable()
        code = run_pipe(**opts)
        # Leave at once: 0 or 75 is decided and everything is committed. Skipping
        # the interpreter's teardown saves milliseconds per bounce, and a failing
        # flush of a closed stdout at exit would otherwise turn into exit 120.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110
                pass
        os._exit(code)
    code = build_command().main(sys.argv[1:], prog_name="bounce-ingest", standalone_mode=False)
    if code == EX_USAGE and _looks_like_a_pipe(sys.argv[1:]):
        # An alias line with a wrong flag: 64 is a permanent failure to Postfix,
        # and a bounce (null sender) that fails permanently is discarded. 75
        # keeps it queued until the line is fixed.
        sys.stderr.write("bounce-ingest: exit 75 instead of 64 so that Postfix keeps the bounce\n")
        code = EX_TEMPFAIL
    sys.exit(code)


def run_pipe(spool: str | None = None, config_file: str | None = None, verbose: int = 0,
             quiet: bool = False) -> int:
    """The alias pipe: 0 once the bounce on stdin is stored, 75 when it is not; nothing else, never raises."""
    try:
        from ..bounces.pipe import pipe_envelope, process_incoming, store_incoming
        from ..bounces.store import read_capped
        from ..clock import now as clock_now
        from ..config import load_config
        from .exits import setup_logging
        from .owner import become_spool_owner

        setup_logging(verbose, quiet)
        config = load_config(config_file, spool, lean=True)
        setup_logging(verbose, quiet, config.log)
        become_spool_owner(config.spool)  # root by hand: store what the service user can read
        # Read before anything is written: a bad MAILTOOLS_NOW must answer 75 with
        # nothing stored, not after the bounce is in incoming/ (one copy per retry).
        now = clock_now()
        raw, total = read_capped(sys.stdin.buffer)
        envelope = pipe_envelope(os.environ, config.bounce.prefix, len(raw), total)
        store, name = store_incoming(config, raw, envelope, now)
    except BaseException as exc:  # noqa: B036 - anything before storing is "try again later"
        _say_failure("not stored, Postfix will retry (exit 75)", exc)
        return EX_TEMPFAIL
    try:
        process_incoming(config, store, [name], now)  # stored is stored: exit 0 whatever happens now,
    except BaseException as exc:  # noqa: B036 - but a configuration error (the only thing it raises):
        # kept in incoming/ for --retry-incoming after the fix, and 75 so that Postfix keeps its copy
        # too rather than have it judged by a broken setup. A redelivery is stored again; both carry
        # the same VERP hash, which counts once.
        _say_failure(f"stored as {store.path('incoming', name)} but not processed: fix the configuration,"
                     " then run bounce-ingest --retry-incoming (exit 75: Postfix retries too)", exc)
        return EX_TEMPFAIL
    return EX_OK


def _say_failure(what: str, exc: BaseException) -> None:
    """A failure on stderr (and in the log), even from an install too broken to log."""
    try:
        from ..bounces.pipe import log_failure

        log_failure(what, exc)
    except BaseException:  # noqa: B036 - the answer must stay 75
        sys.stderr.write(f"bounce-ingest: {what}: {exc!r}\n")


def _looks_like_a_pipe(argv: list[str]) -> bool:
    """A message on stdin and no other source named: how Postfix's local(8) runs us."""
    sources = {"--maildir", "--smtp", "--retry-incoming", "-h", "--help"}
    named_files = [a for a in argv if not a.startswith("-")]
    return not _stdin_is_tty() and not sources.intersection(argv) and not named_files


def _stdin_is_tty() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


def build_command() -> Any:
    """The click command, built on demand so pipe mode never imports click."""
    import click

    from ..bounces.pipe import RETRY_MIN_AGE
    from .common import Command, common_options, json_option

    @click.command(cls=Command, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
    @click.argument("files", nargs=-1, metavar="[FILE...]")
    @click.option("--maildir", metavar="DIR", help="Process DIR/new, moving each message to DIR/cur (flag S).")
    @click.option("--smtp", metavar="HOST:PORT", help="Listen for bounces by SMTP until SIGTERM/SIGINT.")
    @click.option("--retry-incoming", is_flag=True,
                  help=f"Process what is left in bounces/incoming (older than {RETRY_MIN_AGE:.0f} s).")
    @click.option("--dry-run", is_flag=True, help="Classify and verify only: store, record and move nothing.")
    @json_option
    @common_options
    def command(files: tuple[str, ...], maildir: str | None, smtp: str | None, retry_incoming: bool,
                dry_run: bool, as_json: bool, spool: str | None, config_file: str | None,
                verbose: int, quiet: bool) -> int:
        from ..errors import UsageError

        sources = [bool(files), bool(maildir), bool(smtp), retry_incoming]
        if sum(sources) > 1:
            raise UsageError("give one of FILE..., --maildir, --smtp, --retry-incoming")
        if dry_run and (smtp or retry_incoming):
            raise UsageError("--dry-run works with FILE..., --maildir or standard input")
        if as_json and not (dry_run or retry_incoming):
            raise UsageError("--json prints the --dry-run verdicts or the --retry-incoming summary")
        if not any(sources) and _stdin_is_tty():
            raise UsageError("nothing to read: give FILE..., --maildir DIR, --smtp HOST:PORT "
                             "or a message on standard input (see --help)")
        if not any(sources) and not dry_run:
            return run_pipe(spool, config_file, verbose, quiet)
        from .common import open_context

        # A dry run creates and changes nothing, so it also classifies without a spool.
        ctx = open_context(spool, config_file, verbose, quiet, as_json, must_exist=not dry_run)
        if dry_run:
            # An empty --maildir is nothing to do, not a reason to read standard input.
            paths = _maildir_files(maildir) if maildir else list(files) or ["-"]
            return print_dry_run(ctx.config, paths, as_json)
        from ..clock import now as clock_now

        if smtp:
            from ..bounces.listener import serve
            from ..bounces.store import BounceStore

            serve(ctx.config, BounceStore(ctx.config.spool), smtp, clock_now)
            return EX_OK
        if retry_incoming:
            from ..bounces.pipe import retry_incoming as retry

            _print_retried(retry(ctx.config, clock_now()), as_json, quiet)
            return EX_OK
        from ..bounces.maildir import run_files, run_maildir

        now = clock_now()
        if maildir:
            return _batch_code(run_maildir(ctx.config, maildir, now).failed)
        if "-" in files:
            _store_stdin(ctx.config, now)
        return _batch_code(run_files(ctx.config, [f for f in files if f != "-"], now).failed)

    return command


def _print_retried(summary: dict[str, Any], as_json: bool, quiet: bool) -> None:
    """The --retry-incoming summary: what it did, and what it left because it was too young.

    The line goes to a terminal only (cron, which runs this every few minutes,
    would mail it each time); the log line says the same.
    """
    import time

    from .common import print_json

    if as_json:
        print_json(summary)
        return
    if quiet or not sys.stdout.isatty():
        return
    text = f"processed {summary['processed']}, failed {summary['failed']}, too young {summary['too_young']}"
    if summary["too_young"]:
        def at(when: float) -> str:
            return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))

        text += (f": {summary['too_young']} left in bounces/incoming/, to be taken by a run from"
                 f" {at(summary['next_eligible'])}")
        if summary["last_eligible"] != summary["next_eligible"]:
            text += f" (all of them from {at(summary['last_eligible'])})"
    sys.stdout.write(text + "\n")


def _batch_code(unreadable: int) -> int:
    """74 when some files could not be read (they are left where they were)."""
    return EX_IOERR if unreadable else EX_OK


def _store_stdin(config: Any, now: float) -> None:
    """``-`` among the files: standard input has no other copy, so durable in incoming/ first."""
    from ..bounces.pipe import process_incoming, store_incoming
    from ..bounces.store import envelope_lines, read_capped

    raw, _ = read_capped(sys.stdin.buffer)
    store, name = store_incoming(config, raw, envelope_lines([], None, "stdin"), now)
    process_incoming(config, store, [name], now)


def _maildir_files(maildir: str) -> list[str]:
    from ..bounces.maildir import check_maildir, pending

    check_maildir(maildir)
    return [os.path.join(maildir, "new", name) for name in pending(maildir)]


def print_dry_run(config: Any, sources: list[str], as_json: bool) -> int:
    """Classify and verify ``sources`` (paths, ``-`` for stdin); print one line each, change nothing."""
    import json

    from ..bounces.ingest import dry_run_json
    from ..bounces.pipe import read_only_ingester
    from ..bounces.store import MAX_SIZE
    from ..fsutil import read_file
    from .exits import error

    ingester = read_only_ingester(config)
    code = EX_OK
    for source in sources:
        try:
            raw = sys.stdin.buffer.read(MAX_SIZE) if source == "-" else read_file(source)[:MAX_SIZE]
        except OSError as exc:
            error(f"cannot read {source}: {exc.strerror or exc}")
            code = EX_IOERR
            continue
        line = dry_run_json(ingester.analyse(raw), source)
        sys.stdout.write((json.dumps(line, ensure_ascii=False) if as_json else _human(line)) + "\n")
    return code


def _human(line: dict[str, Any]) -> str:
    verp = line["verp"]
    if line["kind"] == "unsubscribe":  # a mailto address: it names its recipient only when it verifies
        whose = "mailto address " + ("verified" if line["recipients"] else "NOT verified")
    else:
        whose = "no VERP address" if verp is None else (
            f"user {verp['user_id']} package {verp['package_id']} "
            + ("verified" if verp["valid"] else "NOT verified"))
    rcpts = "; ".join(f"{r['address']} {r['action'] or '-'} {r['status'] or '-'} {r['reason']}"
                      f"{' hard' if r['hard'] else ''}" for r in line["recipients"])
    return f"{line['source']}: {line['kind']}, {whose}" + (f": {rcpts}" if rcpts else "")
