"""SOWA smailer XML lists: ``<list><item><fld_time/><fld_sender/><fld_address/>
<fld_topic/><fld_content/></item>...</list>``, one message per item."""

from __future__ import annotations

from ..errors import DataError

FIELDS = ("fld_time", "fld_sender", "fld_address", "fld_topic", "fld_content")


def parse_smailer(raw: bytes, now: float) -> list[bytes]:
    """Turn each item into an RFC 5322 message (UTF-8, headers encoded as needed); ``now`` dates an item
    whose fld_time is empty or not a number."""
    import xml.etree.ElementTree as ElementTree
    from email.message import EmailMessage
    from email.utils import formatdate

    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise DataError(f"not well-formed XML: {exc}") from None
    if root.tag != "list":
        raise DataError(f"XML root is <{root.tag}>, expected <list>")
    items = root.findall("item")
    if not items:
        raise DataError("XML list has no <item>")
    messages = []
    for number, item in enumerate(items, 1):
        values = {name: (item.findtext(name) or "").strip() for name in FIELDS}
        if not values["fld_sender"] or not values["fld_address"]:
            raise DataError(f"item {number}: fld_sender and fld_address are required")
        if any(c in values[k] for k in ("fld_sender", "fld_address", "fld_topic") for c in "\r\n"):
            raise DataError(f"item {number}: a line break in a header field (header injection)")
        message = EmailMessage()
        message["From"] = values["fld_sender"]
        message["To"] = values["fld_address"]
        message["Subject"] = values["fld_topic"]
        message["Date"] = formatdate(_time(values["fld_time"], now), usegmt=True)
        message.set_content(values["fld_content"] + "\n")
        messages.append(message.as_bytes())
    return messages


def _time(value: str, now: float) -> float:
    try:
        return float(value) if value else now
    except ValueError:
        return now
