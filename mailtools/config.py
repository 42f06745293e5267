"""Configuration: TOML read with the standard library, checked key by key.

Precedence is flag > environment > file > default. An unknown key or a value
of the wrong type is a ConfigError (exit 78) that names the key, because a
typo in a mail server's config must not silently fall back to a default.
"""

from __future__ import annotations

import os

from .errors import ConfigError
from .record import Factory, Record

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any

DEFAULT_CONFIG = "/etc/mailtools/mailtools.toml"
DEFAULT_SPOOL = "/var/spool/mailtools"


class Transport(Record):
    kind: str = "smtp"
    host: str = "localhost"
    port: int = 25
    starttls: str = "auto"
    timeout: float = 30
    username: str = ""
    password_file: str = ""
    sendmail_path: str = "/usr/sbin/sendmail"
    connections: int = 4  # parallel SMTP connections per mq-flush run


class Retry(Record):
    min_backoff: float = 300
    max_backoff: float = 4000
    max_attempts: int = 100
    max_age_days: float = 5


class Bounce(Record):
    prefix: str = "bounce"
    domain: str = ""
    max_bounce_count: int = 10
    max_days_to_bounce: float = 3
    soft_threshold: int = 5
    notification_interval_days: float = 7
    max_notification_count: int = 4
    notification_sender: str = ""
    reenable_url: str = ""
    token_days: float = 60
    callback_timeout: float = 10


class Retention(Record):
    sent_days: float = 7
    drop_days: float = 7
    bounce_days: float = 30


class Database(Record):
    url: str = ""  # "" means sqlite:///<spool>/db/state.sqlite (mailtools.state.database_url)


class Dkim(Record):
    selector: str = ""
    domain: str = ""
    key_file: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.selector and self.domain and self.key_file)


class Log(Record):
    syslog: bool = False
    facility: str = "mail"
    level: str = "info"


class Package(Record):
    key: str = ""
    on_bounce: str = ""
    on_disable: str = ""
    on_enable: str = ""
    on_complaint: str = ""
    on_unsubscribe: str = ""
    unsubscribe: bool = False  # its mail carries one-click List-Unsubscribe (as mq-send --unsubscribe)


class Unsubscribe(Record):
    url: str = ""  # "https://example.org/mail/unsubscribe?token={token}"; empty: no one-click headers
    mailto: bool = True  # also a mailto: address that reaches bounce-ingest


class Web(Record):
    listen: str = "127.0.0.1:8025"
    language: str = "en"


class Platform(Record):
    webhook: str = ""
    secret_file: str = ""  # signs the webhook's POST (Mailtools-Signature); mode-checked like every secret


class SenderAccount(Record):
    host: str = ""
    port: int = 0
    starttls: str = ""
    username: str = ""
    password_file: str = ""


class Config(Record):
    spool: str = DEFAULT_SPOOL
    send_immediately: bool = False
    myorigin: str = ""  # the domain bare names get; default the host's FQDN (mailtools.outbound.origin)
    secret_file: str = ""  # "" means <spool>/secret; hosts sharing a database share one (DESIGN "Bounce addresses")
    transport: Transport = Factory(Transport)
    retry: Retry = Factory(Retry)
    bounce: Bounce = Factory(Bounce)
    retention: Retention = Factory(Retention)
    database: Database = Factory(Database)
    dkim: Dkim = Factory(Dkim)
    log: Log = Factory(Log)
    unsubscribe: Unsubscribe = Factory(Unsubscribe)
    web: Web = Factory(Web)
    packages: dict[str, Package] = Factory(dict)
    platforms: dict[str, Platform] = Factory(dict)
    senders: dict[str, SenderAccount] = Factory(dict)
    source: str | None = None  # the file it was read from, for messages


_SECTIONS = {"transport": Transport, "retry": Retry, "bounce": Bounce,
             "retention": Retention, "database": Database, "dkim": Dkim, "log": Log,
             "unsubscribe": Unsubscribe, "web": Web}
_TABLES = {"packages": Package, "platforms": Platform, "senders": SenderAccount}
_CHOICES = {"transport.kind": ("smtp", "sendmail"),
            "transport.starttls": ("auto", "always", "never"),
            "senders.starttls": ("", "auto", "always", "never")}
# (lowest, highest) allowed; None: no bound. A negative backoff or bounce count
# is a typo that would disable everyone or retry in a loop, not a setting.
_RANGES = {"transport.port": (1, 65535), "senders.port": (0, 65535), "transport.timeout": (0.1, None),
           "transport.connections": (1, 64), "retry.min_backoff": (0, None), "retry.max_backoff": (0, None),
           "retry.max_attempts": (1, None), "retry.max_age_days": (0.001, None),
           "bounce.max_bounce_count": (0, None), "bounce.max_days_to_bounce": (0, None),
           "bounce.soft_threshold": (0, None), "bounce.notification_interval_days": (0.001, None),
           "bounce.max_notification_count": (0, None), "bounce.token_days": (0.001, None),
           "bounce.callback_timeout": (0.1, None), "retention.sent_days": (0, None),
           "retention.drop_days": (0, None), "retention.bounce_days": (0, None)}


def _coerce(name: str, value: Any, kind: type, rule: str) -> Any:
    # bool is an int in Python; a config saying port = true is still wrong.
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"config key {name!r}: expected {kind.__name__}, got {type(value).__name__} {value!r}")
    choices = _CHOICES.get(rule)
    if choices and value not in choices:
        raise ConfigError(f"config key {name!r}: {value!r} is not one of {', '.join(c for c in choices if c)}")
    low, high = _RANGES.get(rule, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low:g}" if high is None else f"from {low:g} to {high:g}"
        raise ConfigError(f"config key {name!r}: {value!r} is out of range ({bounds})")
    return value


def _fill(obj: Any, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"config key {prefix!r}: expected a table")
    known = {name: type(obj)._types[name] for name in obj._fields if name != "source"}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if key not in known:
            raise ConfigError(f"unknown config key {name!r}")
        kind = known[key]
        kind = {"str": str, "int": int, "float": float, "bool": bool}.get(kind, kind)
        if key in _SECTIONS and not prefix:  # [packages.7] unsubscribe = true is a key, not the section
            _fill(getattr(obj, key), value, name)
        elif key in _TABLES and not prefix:
            if not isinstance(value, dict):
                raise ConfigError(f"config key {name!r}: expected a table")
            table = getattr(obj, key)
            for sub, subdata in value.items():
                table[str(sub)] = _fill(_TABLES[key](), subdata, f"{name}.{sub}")
        else:
            # Entries of [senders."a@b"] share one rule set, keyed without the address.
            table = prefix.split(".")[0]
            rule = f"{table}.{key}" if table in _TABLES else name
            setattr(obj, key, _coerce(name, value, kind, rule))
    return obj


def parse_config(data: dict[str, Any], source: str | None = None) -> Config:
    """Build a Config from an already-parsed TOML table."""
    config = _fill(Config(), data, "")
    if config.retry.max_backoff < config.retry.min_backoff:
        raise ConfigError(f"config key 'retry.max_backoff': {config.retry.max_backoff:g} is below "
                          f"retry.min_backoff ({config.retry.min_backoff:g})")
    config.source = source
    return config


def _parse_toml(raw: bytes, source: str) -> dict[str, Any]:
    from .tomlsubset import loads

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    quick = loads(text)  # the usual plain file, without tomllib's ~8 ms import
    if quick is not None:
        return quick
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None


def load_config(path: str | None = None, spool: str | None = None) -> Config:
    """Read the configuration with the documented precedence.

    ``path``/``spool`` are the command-line flags (None when not given).
    """
    explicit = path or os.environ.get("MAILTOOLS_CONFIG")
    candidate = explicit or DEFAULT_CONFIG
    data: dict[str, Any] = {}
    if explicit or os.path.exists(candidate):
        try:
            with open(candidate, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ConfigError(f"cannot read config file {candidate}: {exc.strerror}") from None
        data = _parse_toml(raw, candidate)
    config = parse_config(data, candidate if data or explicit else None)
    if spool:
        config.spool = spool
    elif os.environ.get("MAILTOOLS_SPOOL"):
        config.spool = os.environ["MAILTOOLS_SPOOL"]
    return config
