"""mq-send's command line, declared once: OPTIONS is what the parser reads and what --help shows.

mq-send is the host's sendmail: cron, PHP's mail(), mail(1) and scripts call
it with whatever flags their sendmail took, once per message. The short
options are parsed as Postfix's sendmail parses them (getopt with
"A:B:C:F:GIL:N:R:UV:X:b:ce:f:h:imno:p:r:q:tvx", plus its special "-q" and
"-V"), so every line Postfix accepts is accepted here and the few it refuses
(-n, -B other than 8BITMIME/7BIT, -bd, -bs) are refused with 64 and the reason.
It is hand-written rather than ``getopt``/click because mq-send's enqueue has
a 30 ms budget (``getopt`` pulls in ``gettext`` and ``locale``, click ~40 ms);
click only renders --help, from the same table.
"""

from __future__ import annotations

from ..errors import UsageError

TYPE_CHECKING = False  # typing and collections.abc cost mq-send's start-up; only checkers need them
if TYPE_CHECKING:
    from collections.abc import Iterator

# Modes: what one mq-send call does (sendmail's -b, -q, -I and its argv[0]).
SEND, LIST, FLUSH, NEWALIASES, NOTHING, HELP = "send", "list", "flush", "newaliases", "nothing", "help"


class Option:
    """One option: its names, where its value goes, and its --help line (None: hidden)."""

    def __init__(self, names: tuple[str, ...], dest: str, takes_value: bool, help: str | None,
                 metavar: str = "") -> None:
        self.names, self.dest, self.takes_value, self.help, self.metavar = names, dest, takes_value, help, metavar


OPTIONS = (
    Option(("-t",), "extract", False, "Also take recipients from To/Cc/Bcc (Bcc is removed from the message)."),
    Option(("-f", "-r"), "sender", True, "Envelope sender; '' or '<>' is the null sender (default: the From "
           "address, else the caller at myorigin). A bare name gets @myorigin.", "ADDR"),
    Option(("-F",), "full_name", True, "Full name for a From header mq-send adds.", "NAME"),
    Option(("-i",), "ignore_dots", False, "A line with a single '.' does not end the message (also -oi)."),
    Option(("-o",), "sendmail_o", True, None),  # -oi as -i; -oem, -odb, -oA... mean nothing here
    Option(("-b",), "mode", True, "-bm (default) queue a message from stdin; -bp list the queue (as mailq); "
           "-bi nothing to do (as newaliases).", "MODE"),
    Option(("-q",), "queue_run", False, "Deliver what is due now (as mq-flush); reads no stdin. "
           "-q<interval> is ignored, as in Postfix. (Not --quiet: sendmail's -q.)"),
    Option(("-I",), "newaliases", False, None),
    Option(("-v", "--verbose"), "verbose", False, "More log lines on stderr (-vv: debug)."),
    Option(("--quiet",), "quiet", False, "Only warnings and errors on stderr."),
    Option(("--user-id",), "user_id", True, "Application user id, carried in the bounce address.", "ID"),
    Option(("--package-id",), "package_id", True, "Application package id, carried in the bounce address.", "ID"),
    Option(("--now",), "now", False, "Try delivery before returning; on failure it stays queued."),
    Option(("--unsubscribe",), "unsubscribe", False, "Per recipient one-click List-Unsubscribe headers "
           "(RFC 8058; [unsubscribe] url, mailto)."),
    Option(("--json",), "as_json", False, "Print {\"id\", \"recipients\", \"sent\"} as one JSON line."),
    Option(("--spool",), "spool", True, "Spool directory [env MAILTOOLS_SPOOL; config 'spool'].", "DIR"),
    Option(("--config",), "config", True, "TOML config [env MAILTOOLS_CONFIG].", "FILE"),
    Option(("-B",), "body_type", True, None),  # 8BITMIME or 7BIT, as Postfix checks
    Option(("-n",), "no_aliases", False, None),  # Postfix: "-n option not supported"
    # Accepted and ignored, as Postfix's sendmail does.
    Option(("-A", "-C", "-L", "-N", "-R", "-V", "-X", "-e", "-h", "-p"), "ignored", True, None),
    Option(("-G", "-U", "-c", "-m", "-x"), "ignored", False, None),
)
BY_NAME = {name: option for option in OPTIONS for name in option.names}


class SendArgs:
    """What one mq-send call asked for."""

    def __init__(self, recipients: list[str] | None = None, sender: str | None = None,
                 full_name: str | None = None, extract: bool = False, ignore_dots: bool = False,
                 user_id: str | None = None, package_id: str | None = None, now: bool = False,
                 as_json: bool = False, spool: str | None = None, config: str | None = None,
                 verbose: int = 0, quiet: bool = False, mode: str = SEND, unsubscribe: bool = False) -> None:
        self.recipients = recipients if recipients is not None else []
        self.sender, self.full_name, self.extract, self.ignore_dots = sender, full_name, extract, ignore_dots
        self.user_id, self.package_id, self.now, self.as_json = user_id, package_id, now, as_json
        self.spool, self.config, self.verbose, self.quiet, self.mode = spool, config, verbose, quiet, mode
        self.unsubscribe = unsubscribe  # one-click List-Unsubscribe headers (issue 14)


def parse(argv: list[str], prog: str = "mq-send") -> SendArgs:
    """The parsed command line; UsageError (64) for what Postfix's sendmail refuses too.

    ``prog`` is the name mq-send was run as: ``mailq`` lists the queue and
    ``newaliases`` has nothing to do, as Postfix's sendmail decides by argv[0].
    """
    args = SendArgs(mode=LIST if prog == "mailq" else NEWALIASES if prog == "newaliases" else SEND)
    items = iter(argv)
    for arg in items:
        if arg == "--":
            args.recipients.extend(items)
            break
        if not arg.startswith("-") or arg == "-":
            args.recipients.append(arg)
        elif arg.startswith("--"):
            _long(args, arg, items)
        elif arg.startswith("-q"):
            _queue_run(args, arg)
        else:
            _short_cluster(args, arg, items)
    if args.mode != SEND and args.recipients:
        raise UsageError(f"recipients are given only to send a message (not with {_mode_flag(args.mode)})")
    if args.mode != SEND and args.extract:
        raise UsageError("-t can be used only in delivery mode")
    return args


def _long(args: SendArgs, arg: str, items: Iterator[str]) -> None:
    name, eq, inline = arg.partition("=")
    if name == "--help":
        args.mode = HELP
        return
    option = BY_NAME.get(name)
    if option is None:
        raise UsageError(f"no such option: {name} (see mq-send --help)")
    if option.takes_value:
        value = inline if eq else next(items, None)
        if value is None:
            raise UsageError(f"option {name} requires a value")
        _set(args, option, value, name)
    elif eq:
        raise UsageError(f"option {name} takes no value")
    else:
        _set(args, option, None, name)


def _short_cluster(args: SendArgs, arg: str, items: Iterator[str]) -> None:
    """getopt: "-ti" is -t -i; "-fuser" and "-f user" give -f its value."""
    if arg == "-V":
        return  # Postfix: -V alone turns on its own VERP; ours is always on
    at = 1
    while at < len(arg):
        name = "-" + arg[at]
        option = BY_NAME.get(name)
        if option is None:
            raise UsageError(f"no such option: {name} (see mq-send --help)")
        if option.takes_value:
            value = arg[at + 1:] or next(items, None)
            if value is None:
                raise UsageError(f"option {name} requires a value")
            _set(args, option, value, name)
            return
        _set(args, option, None, name)
        at += 1


def _queue_run(args: SendArgs, arg: str) -> None:
    """-q flushes; -qRsite flushes (every site: one queue); -q30m is a daemon's interval: ignored."""
    rest = arg[2:]
    if rest == "" or (rest[0] == "R" and rest[1:]):
        args.mode = FLUSH
    elif rest[0].isdigit():
        args.mode = NOTHING
    else:
        raise UsageError(f"-q{rest[0]} is not implemented (use -q)")


def _set(args: SendArgs, option: Option, value: str | None, name: str) -> None:
    dest = option.dest
    if dest == "ignored":
        return
    if dest == "sendmail_o":
        if value and value[0] == "i":
            args.ignore_dots = True
    elif dest == "mode":
        args.mode = _b_mode(value or "")
    elif dest == "queue_run":
        args.mode = FLUSH
    elif dest == "newaliases":
        args.mode = NEWALIASES
    elif dest == "body_type":
        if value not in ("8BITMIME", "7BIT"):
            raise UsageError("-B option needs 8BITMIME or 7BIT")
    elif dest == "no_aliases":
        raise UsageError("-n option not supported (as in Postfix)")
    elif dest == "verbose":
        args.verbose += 1
    elif option.takes_value:
        setattr(args, dest, value)
    else:
        setattr(args, dest, True)


def _b_mode(value: str) -> str:
    modes = {"m": SEND, "p": LIST, "i": NEWALIASES}
    if value[:1] in modes:
        return modes[value[:1]]
    if value[:1] in ("d", "s"):
        raise UsageError(f"-b{value[:1]} is not supported: mq-send queues messages read from standard input "
                         "(-bm); run a real MTA for an SMTP daemon")
    raise UsageError(f"unsupported: -b{value[:1]}")


def _mode_flag(mode: str) -> str:
    return {LIST: "-bp/mailq", FLUSH: "-q", NEWALIASES: "-bi/newaliases", NOTHING: "-q<interval>"}.get(mode, mode)
