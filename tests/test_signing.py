"""Signed tokens (mailtools.signing) and the unsubscribe token built on them."""

from __future__ import annotations

import pytest

from mailtools.bounces.unsubscribe import make_token, read_token
from mailtools.signing import ForgedToken, sign, verify

SECRET = b"s" * 64
OTHER = b"o" * 64


def test_unsubscribe_token_names_address_and_package_and_is_url_safe() -> None:
    token = make_token(SECRET, " Ann@Example.ORG ", "7")
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert read_token(SECRET, token) == ("ann@example.org", "7")
    assert read_token(SECRET, make_token(SECRET, "b@example.org")) == ("b@example.org", "")


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-3],                    # cut short
    lambda t: t.replace(".", ""),        # the dot lost
    lambda t: t + ".x",                  # one dot too many
    lambda t: "A" + t[1:] if t[0] != "A" else "B" + t[1:],   # payload changed
    lambda t: t.split(".")[0] + ".%%%",  # not base64url
    lambda t: "",
])
def test_damaged_unsubscribe_tokens_are_forged(mangle) -> None:  # noqa: ANN001
    with pytest.raises(ForgedToken):
        read_token(SECRET, mangle(make_token(SECRET, "ann@example.org", "7")))


def test_a_token_of_another_installation_or_purpose_is_forged() -> None:
    with pytest.raises(ForgedToken, match="signature"):
        read_token(SECRET, make_token(OTHER, "ann@example.org"))
    # the same payload signed for another purpose (a re-enable link) does not pass
    other_purpose = sign(SECRET, b"mailtools-reenable-v1", b"7:ann@example.org")
    with pytest.raises(ForgedToken):
        read_token(SECRET, other_purpose)


def test_verify_returns_payload_and_mac_text() -> None:
    token = sign(SECRET, b"p", b"payload")
    payload, mac_text = verify(SECRET, b"p", token, "this link")
    assert payload == b"payload" and token.endswith("." + mac_text)
