"""mq-send: put one message (RFC 5322 on stdin) into the spool."""

from __future__ import annotations

import os
import sys

from ..outbound import sendmail_args as modes
from ..outbound.sendmail_args import OPTIONS, SendArgs, parse
from .exits import run_mapped, setup_logging

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any

    import click

MAX_MESSAGE = 64 * 1024 * 1024

HELP = """Queue one message read from standard input; print its queue id.

\b
The host's sendmail: link it as /usr/sbin/sendmail (and mailq, newaliases)
and cron, PHP's mail(), mail(1) and scripts use it unchanged. Every flag
Postfix's sendmail accepts is accepted (those it ignores are ignored); the
message is safe in the spool (fsynced) before mq-send exits 0, and mq-flush
delivers it. A user who cannot write the queue (PHP as www-data, a user's
crontab) gets the message into maildrop/, with its envelope and uid: the
next mq-flush takes it in.

\b
Addresses: a bare name (root) gets @myorigin (config myorigin, default the
host's FQDN), also in From/To/Cc; -f '<>' or -f '' is the null sender.

\b
Examples:
  printf 'Subject: hi\\n\\nhello\\n' | mq-send -f app@example.org bob@example.net
  mq-send -t -i < message.eml                     # PHP's mail(), scripts
  mq-send -i -FCronDaemon -B8BITMIME -oem root     # Debian's cron
  mq-send -t --user-id 42 --package-id 7 < message.eml
  mq-send -bp      # = mailq: list the queue       mq-send -q  # deliver now
  mq-send --unsubscribe --package-id 7 -f news@example.org -- a@example.net < letter.eml

\b
Exit codes: 0 queued (also when --now could not deliver yet: it stays
queued; a user who may not deliver, its message in maildrop/, is told on
stderr that the next mq-flush delivers it, and why); 64 bad arguments (an option Postfix refuses too, a line break, a
recipient starting with '-', an address that does not parse); 65 empty or
header-less message; 75 the spool is full or unwritable (try again); 78
bad configuration.

\b
Config keys read: spool, myorigin, send_immediately, [transport] (with
--now), [dkim] (signs at enqueue; a message with --unsubscribe and several
recipients is signed per recipient at delivery), [bounce] prefix/domain,
[unsubscribe] url/mailto and [packages.<id>] unsubscribe.
"""


def run(args: SendArgs) -> int:
    if args.mode != modes.SEND:
        return _other_mode(args)
    from ..clock import now
    from ..config import load_config
    from ..outbound.spool import Spool
    from ..outbound.submit import submit

    config = load_config(args.config, args.spool, lean=True)
    setup_logging(args.verbose, args.quiet, config.log)
    raw = sys.stdin.buffer.read(MAX_MESSAGE + 1)
    if len(raw) > MAX_MESSAGE:
        from ..errors import DataError

        raise DataError(f"message larger than {MAX_MESSAGE} bytes")
    if not args.ignore_dots:  # as sendmail: only -i (-oi) keeps a lone "." line, -t does not
        raw = _cut_at_dot(raw)
    spool = Spool(config.spool)
    envelope = submit(config, spool, raw, args.sender, args.recipients, user_id=args.user_id,
                      package_id=args.package_id, extract=args.extract, full_name=args.full_name, now=now(),
                      unsubscribe=args.unsubscribe)
    sent = False
    if args.now or config.send_immediately:
        sent = _try_now(config, spool, envelope.id, asked=args.now)
    if args.as_json:
        import json

        print(json.dumps({"id": envelope.id, "recipients": [r.address for r in envelope.recipients],
                          "sent": sent}))
    else:
        print(envelope.id)
    return 0


def _try_now(config: Any, spool: Any, queue_id: str, asked: bool = True) -> bool:
    """--now: one delivery attempt. The message is already durably queued, so whatever
    goes wrong here is logged and mq-send still exits 0 with the id: a caller told 75 or
    78 would queue it again, and both copies would go out. A caller who cannot deliver
    (its message went to maildrop/) is told so on stderr, with why; with send_immediately
    from the config rather than --now it is an info line (PHP's mail() would log each)."""
    from ..clock import now
    from ..errors import LeftForFlush
    from ..log import INFO, WARNING, event
    from ..outbound.flush import deliver_now
    from .signals import stop_on_signals  # a signal mid-delivery: record the reply, as mq-flush does

    try:
        return deliver_now(config, spool, queue_id, now(), stop_on_signals())
    except LeftForFlush as exc:
        event("mailtools.outbound.submit", level=WARNING if asked else INFO, detail=str(exc))
        return False
    except Exception as exc:  # noqa: BLE001 - see the docstring; mq-flush reports it again
        from ..log import get_logger

        get_logger("mailtools.outbound.submit").error("%s: queued, but --now could not deliver it: %s", queue_id, exc)
        return False


def _cut_at_dot(raw: bytes) -> bytes:
    """Classic sendmail: without -i, a line with a single '.' ends the message."""
    if raw.startswith(b".\n") or raw.startswith(b".\r\n"):
        return b""
    for marker in (b"\n.\n", b"\n.\r\n"):
        at = raw.find(marker)
        if at >= 0:
            return raw[: at + 1]
    return raw


def _other_mode(args: SendArgs) -> int:
    """mailq/-bp, -q, newaliases/-bi: none of them reads standard input."""
    if args.mode == modes.HELP:
        import click

        click.echo(cli_command().get_help(click.Context(cli_command(), info_name="mq-send")))
        return 0
    if args.mode == modes.NEWALIASES:
        print("newaliases: nothing to do: mailtools keeps no alias database (bounces reach it through "
              "Postfix's alias map, see mailtools-setup)")
        return 0
    if args.mode == modes.NOTHING:
        return 0  # -q30m: a daemon's queue interval, ignored as Postfix does
    shared = [*(["--spool", args.spool] if args.spool else []), *(["--config", args.config] if args.config else []),
              *(["-v"] * args.verbose), *(["--quiet"] if args.quiet else []), *(["--json"] if args.as_json else [])]
    if args.mode == modes.LIST:
        from .mq_list import command
    else:
        from .mq_flush import command
    return int(command.main(shared, prog_name="mailq" if args.mode == modes.LIST else "mq-flush",
                            standalone_mode=False) or 0)


def cli_command() -> click.Command:  # built only for --help (click costs ~25 ms of mq-send's start-up)
    """The --help page, from the one declaration of the options (sendmail_args.OPTIONS)."""
    import click

    params: list[click.Parameter] = []
    for option in OPTIONS:
        if option.help is None:
            continue
        if option.takes_value:
            params.append(click.Option(list(option.names), metavar=option.metavar, help=option.help))
        else:
            params.append(click.Option(list(option.names), is_flag=True, help=option.help))
    ignored = " ".join(name for option in OPTIONS if option.help is None for name in option.names)
    epilog = (f"Also accepted, as Postfix's sendmail accepts them: {ignored} (-oi is -i; -B takes "
              "8BITMIME or 7BIT; -n is refused, as in Postfix).")
    params.append(click.Argument(["recipients"], nargs=-1, metavar="[--] RCPT..."))
    return click.Command("mq-send", help=HELP, epilog=epilog, params=params,
                         context_settings={"help_option_names": ["--help"]})


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    import gc

    # One message, then exit: the cycle collector would only run during the imports, to free
    # nothing (part of the 30 ms budget). Memory stays bounded by the message size limit.
    gc.disable()
    # As Postfix's sendmail: run as "mailq" it lists the queue, as "newaliases" it has nothing to do.
    prog = os.path.basename(sys.argv[0])
    sys.exit(run_mapped(lambda: run(parse(argv, prog))))


if __name__ == "__main__":
    main()
