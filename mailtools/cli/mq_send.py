"""mq-send: put one message (RFC 5322 on stdin) into the spool."""

from __future__ import annotations

import sys

from ..outbound.sendmail_args import SendArgs, parse
from .exits import run_mapped, setup_logging

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any

MAX_MESSAGE = 64 * 1024 * 1024

HELP = """Queue one message read from standard input; print its queue id.

\b
Usable as /usr/sbin/sendmail by any application: the usual sendmail flags
(-t, -f/-r, -F, -i, -oi, -o*, -N, -bm) are accepted; the message is safe
in the spool (fsynced) before mq-send exits 0, and mq-flush delivers it.

\b
Examples:
  printf 'Subject: hi\\n\\nhello\\n' | mq-send -f app@example.org bob@example.net
  mq-send -t --user-id 42 --package-id 7 < message.eml
  mq-send --now --json -f app@example.org -- alice@example.net < msg.eml

\b
Exit codes: 0 queued (also when --now could not deliver yet: it stays
queued); 64 bad arguments (line breaks, a recipient starting with '-', an
address that does not parse); 65 empty or header-less message; 75 the spool
is full or unwritable (try again); 78 bad configuration.

\b
Config keys read: spool, send_immediately, [transport] (with --now),
[dkim] (signs at enqueue), [bounce] prefix/domain (with --now).
"""


def run(args: SendArgs) -> int:
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
                      package_id=args.package_id, extract=args.extract, full_name=args.full_name)
    sent = False
    if args.now or config.send_immediately:
        sent = _try_now(config, spool, envelope.id)
    if args.as_json:
        import json

        print(json.dumps({"id": envelope.id, "recipients": [r.address for r in envelope.recipients],
                          "sent": sent}))
    else:
        print(envelope.id)
    return 0


def _try_now(config: Any, spool: Any, queue_id: str) -> bool:
    """--now: one delivery attempt. The message is already durably queued, so whatever
    goes wrong here is logged and mq-send still exits 0 with the id: a caller told 75 or
    78 would queue it again, and both copies would go out."""
    from ..outbound.flush import deliver_now

    try:
        return deliver_now(config, spool, queue_id)
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


def cli_command():  # built on demand: importing click costs more than the whole fast path
    import click

    from .common import Command, common_options, json_option

    @click.command(cls=Command, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("-t", "extract", is_flag=True, help="Also take recipients from To/Cc/Bcc (Bcc is removed).")
    @click.option("-f", "-r", "sender", metavar="ADDR", help="Envelope sender (default: the From address).")
    @click.option("-F", "full_name", metavar="NAME", help="Full name for a From header mq-send adds.")
    @click.option("-i", "ignore_dots", is_flag=True, help="A line with a single '.' does not end the message.")
    @click.option("-o", "sendmail_o", multiple=True, hidden=True)
    @click.option("-N", "-R", "-V", "-B", "-C", "-L", "sendmail_ignored", multiple=True, hidden=True)
    @click.option("-b", "mode", default="m", hidden=True)
    @click.option("--user-id", metavar="ID", help="Application user id, carried in the bounce address.")
    @click.option("--package-id", metavar="ID", help="Application package id, carried in the bounce address.")
    @click.option("--now", is_flag=True, help="Try delivery before returning; on failure it stays queued.")
    @json_option
    @common_options
    @click.argument("recipients", nargs=-1, metavar="[--] RCPT...")
    def command(extract, sender, full_name, ignore_dots, sendmail_o, sendmail_ignored, mode, user_id,
                package_id, now, as_json, spool, config_file, verbose, quiet, recipients):
        if mode != "m":
            raise click.UsageError(f"-b{mode}: only -bm (read a message from stdin) is supported")
        return run(SendArgs(list(recipients), sender, full_name, extract, ignore_dots or "i" in sendmail_o,
                            user_id, package_id, now, as_json, spool, config_file, verbose, quiet))

    return command


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args is None:
        cli_command().main(argv, prog_name="mq-send")
    sys.exit(run_mapped(lambda: run(args)))


if __name__ == "__main__":
    main()
