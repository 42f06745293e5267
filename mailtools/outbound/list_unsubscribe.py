"""One-click unsubscribe headers (RFC 8058), per recipient.

A message queued with ``mq-send --unsubscribe`` (or of a package whose config
says ``unsubscribe = true``) leaves with::

    List-Unsubscribe: <https://...?token=TOKEN>, <mailto:PREFIX-unsub-HASH.MAC@BOUNCE-DOMAIN?subject=unsubscribe>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click

(the https part when ``[unsubscribe] url`` is set, the mailto part when
``[unsubscribe] mailto``; List-Unsubscribe-Post only with an https URL, as
RFC 8058 asks). Both name one recipient, so DKIM must sign after they are in
place (mailtools.outbound.dkimsign signs List-Unsubscribe-Post too):

- a message to **one** recipient gets them at enqueue and is signed once there,
  as every other message is (``at_enqueue``);
- a message to **several** is stored without them, unsigned, and each copy
  is given its recipient's headers and signed at delivery (``for_recipient``).

``Envelope.unsubscribe`` says which: "" none, ``ADDED`` or ``PER_RECIPIENT``.
"""

from __future__ import annotations

from ..config import Config
from ..errors import ConfigError, MailtoolsError
from ..log import get_logger
from . import message as msg
from . import verp
from .envelope import UNSUBSCRIBE_PER_RECIPIENT

TYPE_CHECKING = False  # typing costs ~3 ms of mq-send's start-up
if TYPE_CHECKING:
    from .envelope import Envelope

log = get_logger(__name__)
ADDED = "added"  # the headers are in the stored message (one recipient), signed with it
PER_RECIPIENT = UNSUBSCRIBE_PER_RECIPIENT  # delivery adds them to each copy, and signs each
POST = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
_NAMES = ("list-unsubscribe", "list-unsubscribe-post")


def wanted(config: Config, flag: bool, package_id: str | None) -> bool:
    """Whether the message gets the headers (``--unsubscribe`` or its package's config).

    ConfigError when it should but ``[unsubscribe]`` gives neither a URL nor a mailto.
    """
    package = config.packages.get(str(package_id)) if package_id else None
    if not (flag or (package is not None and package.unsubscribe)):
        return False
    if not config.unsubscribe.url and not config.unsubscribe.mailto:
        raise ConfigError("unsubscribe.url: --unsubscribe (or a package's unsubscribe = true) needs"
                          " [unsubscribe] url = \"https://.../unsubscribe?token={token}\" or mailto = true")
    if config.unsubscribe.url and "{token}" not in config.unsubscribe.url:
        raise ConfigError("unsubscribe.url: must contain {token}")
    return True


def header_lines(config: Config, secret: bytes, envelope: Envelope, recipient: str, verp_hash: str) -> bytes:
    """The header lines (LF line ends) for one recipient of one message."""
    from ..bounces.unsubscribe import mailto_address, make_token

    uris = []
    if config.unsubscribe.url:
        token = make_token(secret, recipient, envelope.package_id or "", msg.domain_of(envelope.sender) or "")
        # URL-safe by construction (A-Z a-z 0-9 - _ .): no quoting, and no urllib.parse (4 ms of mq-send)
        uris.append(config.unsubscribe.url.replace("{token}", token))
    if config.unsubscribe.mailto:
        domain = config.bounce.domain or msg.domain_of(envelope.sender) or "localhost"
        address = mailto_address(secret, config.bounce.prefix, verp_hash, domain)
        if address is None:
            log.warning("%s: bounce.prefix %r leaves no room for the unsubscribe mailto address",
                        envelope.id, config.bounce.prefix)
        else:
            uris.append(f"mailto:{address}?subject=unsubscribe")
    lines = [b"List-Unsubscribe: " + ",\n ".join(f"<{u}>" for u in uris).encode("ascii")] if uris else []
    if config.unsubscribe.url:
        lines.append(POST)
    return b"".join(line + b"\n" for line in lines)


def _with_headers(message: bytes, lines: bytes) -> bytes:
    """``message`` without any List-Unsubscribe(-Post) of its own, with ``lines`` first."""
    for name in _NAMES:
        message = msg.strip_header(message, name)
    return lines + message


def at_enqueue(config: Config, envelope: Envelope, message: bytes) -> bytes:
    """Add the headers now (one recipient) or leave them for delivery; set ``envelope.unsubscribe``.

    The application's own List-Unsubscribe headers are replaced by ours.
    """
    if len(envelope.recipients) == 1:
        try:
            from ..secret import load_secret

            secret = load_secret(config.spool, create=False, secret_file=config.secret_file)
            recipient = envelope.recipients[0].address
            address = verp.make(secret, config.bounce.prefix, "", envelope.user_id, envelope.package_id,
                                envelope.message_id or "", recipient)
        except MailtoolsError as exc:  # a secret this user cannot read: the flusher can
            log.info("%s: unsubscribe headers left for delivery: %s", envelope.id, exc)
        else:
            envelope.unsubscribe = ADDED
            return _with_headers(message, header_lines(config, secret, envelope, recipient, address.hash))
    envelope.unsubscribe = PER_RECIPIENT
    for name in _NAMES:
        message = msg.strip_header(message, name)
    return message


def for_recipient(config: Config, secret: bytes, envelope: Envelope, message: bytes, recipient: str,
                  verp_hash: str) -> bytes:
    """The copy of ``message`` (LF line ends) for one recipient: its headers, signed when [dkim] is on."""
    personal = _with_headers(message, header_lines(config, secret, envelope, recipient, verp_hash))
    if config.dkim.enabled:
        from .dkimsign import sign

        personal = sign(config.dkim, personal)
    return personal
