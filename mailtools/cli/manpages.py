"""Manual pages, generated from the same objects as ``--help``, so the two cannot drift.

    python -m mailtools.cli.manpages OUTDIR        # OUTDIR/man1/<command>.1, OUTDIR/man5/mailtools.toml.5
    python -m mailtools.cli.manpages --list        # the commands, one a line

Section 1: one page per console script of the installed distribution, from its click
command object (options with their help records, usage, help text). Section 5:
``mailtools.toml(5)``, every key read from ``mailtools.config``'s records (type and
default), described by ``KEY_HELP``; a key without a description still appears.

Not click-man: with click 8 it leaves click's ``\\b`` no-rewrap markers in the page as
control characters, refills the examples, and lets ``\\n`` in a help text through as a
roff escape (groff -ww warns, and the text is garbled).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from .. import __version__, config

DISTRIBUTION = "mailtools"
# How a command module that keeps click off its fast path builds its command on demand.
FACTORIES = ("cli_command", "build_command")

# What each key of mailtools.toml means. Keys are "section.key" ("spool" at the top);
# a table of tables ([packages.ID]) is "packages.*.key".
KEY_HELP = {
    "spool": "The spool directory (overridden by --spool and MAILTOOLS_SPOOL).",
    "send_immediately": "mq-send tries delivery at once, as with --now (OpenACS's send_immediately).",
    "myorigin": "Domain appended to bare names (root, www-data) by mq-send; default the host's FQDN.",
    "secret_file": "The installation's secret (signs bounce addresses and tokens); default <spool>/secret. "
                   "Hosts that share a database share it.",
    "database.url": "The state database: empty for SQLite in <spool>/db/, or postgresql://...",
    "transport.kind": "smtp or sendmail.",
    "transport.host": "SMTP server.",
    "transport.port": "SMTP port.",
    "transport.starttls": "auto: encrypt when offered, unverified (Postfix's \"may\"); always: a verified "
                          "certificate or defer; never.",
    "transport.timeout": "Seconds to wait for the server (or the sendmail binary).",
    "transport.username": "SMTP AUTH user name.",
    "transport.password_file": "File holding the SMTP AUTH password (not readable by every user).",
    "transport.sendmail_path": "The sendmail binary for kind = \"sendmail\".",
    "transport.connections": "Parallel SMTP connections per mq-flush run.",
    "retry.min_backoff": "Seconds before the first retry of a deferred recipient; doubles each time.",
    "retry.max_backoff": "Longest wait between retries, in seconds.",
    "retry.max_attempts": "Attempts after which a deferred recipient is dropped.",
    "retry.max_age_days": "Days after which a deferred recipient is dropped.",
    "bounce.prefix": "Local part prefix of bounce (VERP) addresses and the alias name.",
    "bounce.domain": "Domain of bounce addresses; default the sender's domain.",
    "bounce.max_bounce_count": "An address with more hard bounces than this is disabled.",
    "bounce.max_days_to_bounce": "Quiet days after which an address's bounce counts are forgotten.",
    "bounce.soft_threshold": "Soft bounces for one (address, sending domain) that count as one hard bounce.",
    "bounce.notification_interval_days": "Days between notices to a disabled address.",
    "bounce.max_notification_count": "Most notices sent to one disabled address.",
    "bounce.notification_sender": "From address of the notices; default reminder@<domain>.",
    "bounce.reenable_url": "Link in the notices; {token} is replaced by a signed re-enable token.",
    "bounce.token_days": "Days a re-enable token is valid.",
    "bounce.callback_timeout": "Seconds a hook or webhook may take.",
    "retention.sent_days": "Days sent messages are kept before bounce-sweep purges them.",
    "retention.drop_days": "Days dropped messages are kept.",
    "retention.bounce_days": "Days handled bounces are kept.",
    "dkim.selector": "DKIM selector; messages are signed when selector, domain and key_file are set.",
    "dkim.domain": "DKIM signing domain (d=).",
    "dkim.key_file": "Private key: RSA (PEM) or ed25519 (base64).",
    "unsubscribe.url": "One-click unsubscribe link for messages queued with --unsubscribe; {token} is replaced.",
    "unsubscribe.mailto": "Also offer a mailto: unsubscribe address that reaches bounce-ingest.",
    "web.listen": "Address and port mailtools-web listens on.",
    "web.language": "Language of the web pages.",
    "log.syslog": "Also log to syslog (/dev/log).",
    "log.facility": "Syslog facility.",
    "log.level": "Lowest level logged: debug, info, warning, error.",
    "log.socket": "The local syslog socket (journald's or rsyslog's /dev/log).",
    "packages.*.key": "The package's name, for people.",
    "packages.*.on_bounce": "Command run for every recorded bounce: the event as JSON on stdin, the address "
                            "as its argument.",
    "packages.*.on_disable": "Command run when an address is disabled.",
    "packages.*.on_enable": "Command run when an address is enabled again.",
    "packages.*.on_complaint": "Command run for a spam complaint.",
    "packages.*.on_unsubscribe": "Command run for an unsubscribe.",
    "packages.*.unsubscribe": "Messages of this package carry the one-click unsubscribe headers.",
    "platforms.*.webhook": "URL POSTed for every hard bounce, complaint and unsubscribe; {address} is "
                           "replaced (URL-encoded).",
    "platforms.*.secret_file": "Secret that signs the webhook's body (Mailtools-Signature header).",
    "senders.*.host": "SMTP server for this sender's mail.",
    "senders.*.port": "Its port.",
    "senders.*.starttls": "auto, always or never; empty: as [transport].",
    "senders.*.username": "SMTP AUTH user name.",
    "senders.*.password_file": "File holding the SMTP AUTH password.",
}
TABLE_KEYS = {"packages": "package id", "platforms": "sender domain", "senders": "sender address"}
TOML_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


# -- roff ---------------------------------------------------------------------------------

def escape(text: str) -> str:
    """Text as roff shows it literally: backslashes, hyphens, non-ASCII, leading dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in text.split("\n"))


def help_paragraphs(text: str) -> list[tuple[bool, list[str]]]:
    """click's help text as (verbatim, lines) paragraphs: ``\\b`` marks one not to refill."""
    text = inspect.cleandoc(text).split("\f", 1)[0]
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        verbatim = lines[0].strip() == "\b"
        paragraphs.append((verbatim, lines[1:] if verbatim else lines))
    return paragraphs


def roff_help(text: str) -> list[str]:
    out = []
    for verbatim, lines in help_paragraphs(text):
        if verbatim:
            out += [".PP", ".nf", *(escape(line) for line in lines), ".fi"]
        else:
            out += [".PP", escape(" ".join(line.strip() for line in lines))]
    return out


def title(name: str, section: int) -> str:
    date = time.strftime("%Y-%m-%d", time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))))
    return f'.TH "{escape(name.upper())}" "{section}" "{date}" "mailtools {__version__}" "mailtools manual"'


def see_also(names: list[tuple[str, int]], own: str) -> list[str]:
    refs = [f"\\fB{escape(n)}\\fP({s})" for n, s in names if n != own]
    return [".SH SEE ALSO", ",\n".join(refs)]


# -- section 1: the commands ---------------------------------------------------------------

def console_scripts() -> dict[str, str]:
    """{command: "module:function"} of the installed distribution, in its order."""
    eps = metadata.distribution(DISTRIBUTION).entry_points
    return {ep.name: ep.value for ep in eps if ep.group == "console_scripts"}


def click_command(target: str) -> click.Command:
    """The click command behind a console script's ``module:function``."""
    module = importlib.import_module(target.split(":", 1)[0])
    found = [v for v in vars(module).values() if isinstance(v, click.Command)]
    if len(found) == 1:
        return found[0]
    for name in FACTORIES:
        factory = getattr(module, name, None)
        if callable(factory):
            return factory()
    raise LookupError(f"{module.__name__}: no click command object (one module-level click.Command, "
                      f"or a factory named {' or '.join(FACTORIES)})")


def options_section(ctx: click.Context, command: click.Command) -> list[str]:
    lines = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
        if record is None:  # hidden, or an argument (the synopsis names those)
            continue
        flags, help_text = record
        lines += [".TP", f"\\fB{escape(flags)}\\fP", escape(help_text) if help_text else ""]
    return lines


def synopsis(path: str, command: click.Command, ctx: click.Context) -> str:
    return f"\\fB{escape(path)}\\fP {escape(' '.join(command.collect_usage_pieces(ctx)))}"


def command_page(name: str, command: click.Command, others: list[tuple[str, int]]) -> str:
    ctx = click.Context(command, info_name=name, **command.context_settings)  # as command.main() makes it
    summary = command.get_short_help_str(limit=80)
    lines = [title(name, 1), ".SH NAME", f"{escape(name)} \\- {escape(summary)}",
             ".SH SYNOPSIS", synopsis(name, command, ctx),
             ".SH DESCRIPTION", *roff_help(command.help or "")]
    lines += [".SH OPTIONS", *options_section(ctx, command)]
    if isinstance(command, click.Group):
        lines.append(".SH COMMANDS")
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            assert sub is not None  # list_commands() names only commands the group has
            sub_ctx = click.Context(sub, info_name=sub_name, parent=ctx, **sub.context_settings)
            lines += [f".SS {escape(sub_name)}", synopsis(f"{name} {sub_name}", sub, sub_ctx),
                      *roff_help(sub.help or ""), *options_section(sub_ctx, sub)]
    lines += [".SH ENVIRONMENT", ".TP", "\\fBMAILTOOLS_SPOOL\\fP, \\fBMAILTOOLS_CONFIG\\fP",
              "The spool and the config file when \\-\\-spool and \\-\\-config are not given.",
              ".TP", "\\fBMAILTOOLS_NOW\\fP",
              "ISO 8601 or Unix seconds: replaces the clock for every time decision (tests, simulations).",
              ".SH FILES", ".TP", "\\fI/etc/mailtools/mailtools.toml\\fP",
              "The configuration, see \\fBmailtools.toml\\fP(5).",
              ".TP", "\\fI/var/spool/mailtools\\fP", "The spool: plain files, one per message and state."]
    lines += see_also(others, name)
    return "\n".join(lines) + "\n"


# -- section 5: mailtools.toml ----------------------------------------------------------

def config_keys() -> list[tuple[str, str, str, Any]]:
    """(table, key, type, default) for every key mailtools.config reads, in its order."""
    return config.describe()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def toml_page(commands: list[tuple[str, int]]) -> str:
    lines = [title("mailtools.toml", 5), ".SH NAME", "mailtools.toml \\- configuration of the mailtools commands",
             ".SH SYNOPSIS", "\\fI/etc/mailtools/mailtools.toml\\fP",
             ".SH DESCRIPTION",
             *roff_help("""TOML, read with the standard library. Precedence: a command's flag, then the
             environment (MAILTOOLS_CONFIG names the file, MAILTOOLS_SPOOL the spool), then this file,
             then the defaults below. An unknown key or a value of the wrong type is a configuration
             error (exit 78) that names the key.

             Files that hold secrets (password_file, dkim.key_file, the spool's secret) must not be
             open to every user: loose modes are tightened with a warning, or the command refuses
             with exit 78 when the file is not its own to change.""")]
    current = None
    for table, key, kind, default in config_keys():
        if table != current:
            current = table
            if table.endswith(".*"):
                base = table[:-2]
                heading = f'[{base}."<{TABLE_KEYS.get(base, "name")}>"]'
            else:
                heading = f"[{table}]" if table else "top level"
            lines.append(f".SH {escape(heading.upper() if not table else heading)}")
        shown = "" if default is None else f" = {toml_value(default)}"  # a table's own default is its keys
        lines += [".TP", f"\\fB{escape(key)}\\fP{escape(shown)}  ({escape(TOML_TYPES.get(kind, kind))})"]
        described = KEY_HELP.get(f"{table}.{key}" if table else key)
        lines.append(escape(described) if described else "")
    lines += [".SH EXAMPLE", ".nf", *(escape(line) for line in EXAMPLE.strip().split("\n")), ".fi"]
    lines += see_also(commands, "mailtools.toml")
    return "\n".join(lines) + "\n"


EXAMPLE = """
[transport]
host = "smtp.example.org"
port = 587
starttls = "always"
username = "news"
password_file = "/etc/mailtools/smtp.pass"

[bounce]
domain = "bounces.example.org"
reenable_url = "https://example.org/mail/reenable?token={token}"

[packages.7]
key = "forums"
on_bounce = "/usr/local/bin/forums-bounce"
"""


# -- writing ----------------------------------------------------------------------------

def write_pages(outdir: Path, scripts: dict[str, str] | None = None) -> list[Path]:
    """Every page under outdir/man1 and outdir/man5; a second name for one command is a .so link.

    ``scripts``: {command: "module:function"}, by default the installed console scripts.
    """
    scripts = console_scripts() if scripts is None else scripts
    pages = [(name, 1) for name in scripts] + [("mailtools.toml", 5)]
    written: list[Path] = []
    first_for: dict[str, str] = {}
    for name, target in scripts.items():
        path = outdir / "man1" / f"{name}.1"
        path.parent.mkdir(parents=True, exist_ok=True)
        if target in first_for:
            path.write_text(f".so man1/{first_for[target]}.1\n")
        else:
            first_for[target] = name
            path.write_text(command_page(name, click_command(target), pages))
        written.append(path)
    path = outdir / "man5" / "mailtools.toml.5"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(toml_page(pages))
    return [*written, path]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--list"]:
        sys.stdout.write("".join(f"{name}\n" for name in console_scripts()))
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        sys.stderr.write("usage: python -m mailtools.cli.manpages OUTDIR | --list\n")
        return 64
    for path in write_pages(Path(args[0])):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
