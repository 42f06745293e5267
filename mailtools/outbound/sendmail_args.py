"""sendmail-compatible argument parsing for mq-send, without click.

Applications call mq-send as /usr/sbin/sendmail with flags like ``-oi``,
``-fuser@host`` or ``-odb`` that only sendmail's own getopt understands, and
they call it once per message, so its start-up matters: this parser handles
every flag an application passes; ``--help`` and anything unknown go to the
click command, which documents them and rejects the unknown with exit 64.
"""

from __future__ import annotations

from ..record import Factory, Record

# sendmail/Postfix flags that take a value and that we accept and ignore.
IGNORED_WITH_VALUE = {"-N", "-R", "-V", "-B", "-C", "-L", "-O", "-h", "-X"}
IGNORED_FLAGS = {"-i", "-m", "-n", "-U", "-G", "-x", "-Am", "-Ac", "-bm", "-v"}
LONG_WITH_VALUE = {"--user-id": "user_id", "--package-id": "package_id", "--spool": "spool",
                   "--config": "config"}
LONG_FLAGS = {"--now": "now", "--json": "as_json", "--quiet": "quiet", "-q": "quiet", "--unsubscribe": "unsubscribe"}


class SendArgs(Record):
    recipients: list[str] = Factory(list)
    sender: str | None = None
    full_name: str | None = None
    extract: bool = False
    ignore_dots: bool = False
    user_id: str | None = None
    package_id: str | None = None
    now: bool = False
    as_json: bool = False
    spool: str | None = None
    config: str | None = None
    verbose: int = 0
    quiet: bool = False
    unsubscribe: bool = False  # one-click List-Unsubscribe headers (issue 14)


def parse(argv: list[str]) -> SendArgs | None:
    """The parsed arguments, or None when the click command should handle them."""
    args = SendArgs()
    items = iter(argv)
    for arg in items:
        if arg == "--":
            args.recipients.extend(items)
            break
        if not arg.startswith("-") or arg == "-":
            args.recipients.append(arg)
            continue
        name, eq, inline = arg.partition("=")
        if name in LONG_WITH_VALUE:
            value = inline if eq else next(items, None)
            if value is None:
                return None
            setattr(args, LONG_WITH_VALUE[name], value)
        elif arg in LONG_FLAGS:
            setattr(args, LONG_FLAGS[arg], True)
        elif arg == "--verbose":
            args.verbose += 1
        elif arg.startswith("--"):
            return None  # --help and the unknown: click explains
        elif arg == "-t":
            args.extract = True
        elif arg in ("-i", "-oi"):
            args.ignore_dots = True
        elif arg[:2] in ("-f", "-r", "-F"):
            value = arg[2:] or next(items, None)
            if value is None:
                return None
            if arg[:2] == "-F":
                args.full_name = value
            else:
                args.sender = value
        elif arg[:2] == "-o" or arg in IGNORED_FLAGS:
            continue  # -odb, -oem, -om ...: queueing and error modes mean nothing here
        elif arg[:2] in IGNORED_WITH_VALUE:
            if len(arg) == 2 and next(items, None) is None:
                return None
        else:
            return None
    return args
