"""Configuration: TOML read with the standard library, checked key by key.

Precedence is flag > environment > file > default. An unknown key or a value
of the wrong type is a ConfigError (exit 78) that names the key, because a
typo in a mail server's config must not silently fall back to a default.
"""

from __future__ import annotations

import os

from .errors import ConfigError

TYPE_CHECKING = False  # typing costs ~3 ms of start-up; only type checkers need Any
if TYPE_CHECKING:
    from typing import Any

DEFAULT_CONFIG = "/etc/mailtools/mailtools.toml"
DEFAULT_SPOOL = "/var/spool/mailtools"


# Plain classes with an explicit typed __init__, not dataclasses: mq-send and the
# bounce pipe read the config once per message, and ``dataclasses`` costs ~8 ms of
# their 30/50 ms budget. The keyword parameters are the keys: _fill reads the names
# and types from __init__'s annotations, so a new key is one parameter and one line.
class Section:
    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable


class Transport(Section):
    def __init__(self, *, kind: str = "smtp", host: str = "localhost", port: int = 25, starttls: str = "auto",
                 timeout: float = 30, username: str = "", password_file: str = "",
                 sendmail_path: str = "/usr/sbin/sendmail", connections: int = 4) -> None:
        self.kind, self.host, self.port, self.starttls, self.timeout = kind, host, port, starttls, timeout
        self.username, self.password_file, self.sendmail_path = username, password_file, sendmail_path
        self.connections = connections  # parallel SMTP connections per mq-flush run


class Retry(Section):
    def __init__(self, *, min_backoff: float = 300, max_backoff: float = 4000, max_attempts: int = 100,
                 max_age_days: float = 5) -> None:
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.max_attempts, self.max_age_days = max_attempts, max_age_days


class Bounce(Section):
    def __init__(self, *, prefix: str = "bounce", domain: str = "", max_bounce_count: int = 10,
                 max_days_to_bounce: float = 3, soft_threshold: int = 5, notification_interval_days: float = 7,
                 max_notification_count: int = 4, notification_sender: str = "", reenable_url: str = "",
                 token_days: float = 60, callback_timeout: float = 10) -> None:
        self.prefix, self.domain = prefix, domain
        self.max_bounce_count, self.max_days_to_bounce = max_bounce_count, max_days_to_bounce
        self.soft_threshold = soft_threshold
        self.notification_interval_days, self.max_notification_count = (notification_interval_days,
                                                                        max_notification_count)
        self.notification_sender, self.reenable_url = notification_sender, reenable_url
        self.token_days, self.callback_timeout = token_days, callback_timeout


class Retention(Section):
    def __init__(self, *, sent_days: float = 7, drop_days: float = 7, bounce_days: float = 30) -> None:
        self.sent_days, self.drop_days, self.bounce_days = sent_days, drop_days, bounce_days


class Database(Section):
    def __init__(self, *, url: str = "") -> None:
        self.url = url  # "" means sqlite:///<spool>/db/state.sqlite (the state package decides)


class Dkim(Section):
    def __init__(self, *, selector: str = "", domain: str = "", key_file: str = "") -> None:
        self.selector, self.domain, self.key_file = selector, domain, key_file

    @property
    def enabled(self) -> bool:
        return bool(self.selector and self.domain and self.key_file)


class Log(Section):
    def __init__(self, *, syslog: bool = False, facility: str = "mail", level: str = "info",
                 socket: str = "/dev/log") -> None:
        self.syslog, self.facility, self.level = syslog, facility, level
        self.socket = socket  # the local syslog socket (a test binds its own)


class Package(Section):
    def __init__(self, *, key: str = "", on_bounce: str = "", on_disable: str = "", on_enable: str = "",
                 on_complaint: str = "", on_unsubscribe: str = "", unsubscribe: bool = False) -> None:
        self.key, self.on_bounce, self.on_disable, self.on_enable = key, on_bounce, on_disable, on_enable
        self.on_complaint, self.on_unsubscribe = on_complaint, on_unsubscribe
        self.unsubscribe = unsubscribe  # its mail carries one-click List-Unsubscribe (as mq-send --unsubscribe)


class Unsubscribe(Section):
    def __init__(self, *, url: str = "", mailto: bool = True) -> None:
        self.url = url  # "https://example.org/mail/unsubscribe?token={token}"; empty: no one-click headers
        self.mailto = mailto  # also a mailto: address that reaches bounce-ingest


class Web(Section):
    def __init__(self, *, listen: str = "127.0.0.1:8025", language: str = "en") -> None:
        self.listen, self.language = listen, language


class Platform(Section):
    def __init__(self, *, webhook: str = "", secret_file: str = "") -> None:
        self.webhook = webhook
        self.secret_file = secret_file  # signs the webhook's POST (Mailtools-Signature); mode-checked like every secret


class SenderAccount(Section):
    def __init__(self, *, host: str = "", port: int = 0, starttls: str = "", username: str = "",
                 password_file: str = "") -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.username, self.password_file = username, password_file


class Config(Section):
    def __init__(self, *, spool: str = DEFAULT_SPOOL, send_immediately: bool = False, myorigin: str = "",
                 secret_file: str = "",
                 transport: Transport | None = None, retry: Retry | None = None, bounce: Bounce | None = None,
                 retention: Retention | None = None, database: Database | None = None,
                 dkim: Dkim | None = None, log: Log | None = None, unsubscribe: Unsubscribe | None = None,
                 web: Web | None = None,
                 packages: dict[str, Package] | None = None, platforms: dict[str, Platform] | None = None,
                 senders: dict[str, SenderAccount] | None = None) -> None:
        self.spool, self.send_immediately = spool, send_immediately
        self.myorigin = myorigin  # the domain bare names get; default the host's FQDN
        # "" means <spool>/secret; hosts sharing a database share one (DESIGN "Bounce addresses")
        self.secret_file = secret_file
        self.transport = transport or Transport()
        self.retry = retry or Retry()
        self.bounce = bounce or Bounce()
        self.retention = retention or Retention()
        self.database = database or Database()
        self.dkim = dkim or Dkim()
        self.log = log or Log()
        self.unsubscribe = unsubscribe or Unsubscribe()
        self.web = web or Web()
        self.packages: dict[str, Package] = packages or {}
        self.platforms: dict[str, Platform] = platforms or {}
        self.senders: dict[str, SenderAccount] = senders or {}
        self.source: str | None = None  # the file it was read from, for messages


def keys(cls: type) -> dict[str, str]:
    """The config keys of a section and their annotated types, from its __init__."""
    annotations = dict(vars(cls)["__init__"].__annotations__)
    annotations.pop("return", None)
    return annotations


_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
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


def describe() -> list[tuple[str, str, str, object]]:
    """(table, key, type, default) of every key read, in order: what mailtools.toml(5) documents."""
    top: list[tuple[str, str, str, object]] = []
    tables = []
    for name, kind in keys(Config).items():
        section = _SECTIONS.get(name) or _TABLES.get(name)
        if section is None:
            top.append(("", name, kind, _default(Config, name)))
        else:
            tables.append((f"{name}.*" if name in _TABLES else name, section))
    for table, section in tables:
        top += [(table, key, kind, _default(section, key)) for key, kind in keys(section).items()]
    return top


def _default(cls: type, key: str) -> object:
    return vars(cls)["__init__"].__kwdefaults__[key]


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
    known = keys(type(obj))
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if key not in known:
            raise ConfigError(f"unknown config key {name!r}")
        kind = _TYPES.get(known[key], str)
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


def _parse_toml(raw: bytes, source: str, lean: bool = False) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    if lean:  # mq-send and the alias pipe: the usual plain file without tomllib's import
        from .tomlsubset import loads

        quick = loads(text)
        if quick is not None:
            return quick
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None


def load_config(path: str | None = None, spool: str | None = None, lean: bool = False) -> Config:
    """Read the configuration with the documented precedence.

    ``path``/``spool`` are the command-line flags (None when not given).
    ``lean``: for the two entry points with a start-up budget (mailtools.tomlsubset).
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
        data = _parse_toml(raw, candidate, lean)
    config = parse_config(data, candidate if data or explicit else None)
    if spool:
        config.spool = spool
    elif os.environ.get("MAILTOOLS_SPOOL"):
        config.spool = os.environ["MAILTOOLS_SPOOL"]
    return config
