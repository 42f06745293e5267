"""Signed tokens (mailtools.signing) and the unsubscribe token built on them."""

from __future__ import annotations

import pytest

from mailtools.bounces.unsubscribe import (
    UnsubscribeToken,
    mailto_address,
    mailto_valid,
    make_token,
    parse_mailto,
    read_token,
)
from mailtools.outbound import verp
from mailtools.signing import ForgedToken, sign, verify

SECRET = b"s" * 64
OTHER = b"o" * 64


def test_unsubscribe_token_names_address_package_and_domain_and_is_url_safe() -> None:
    token = make_token(SECRET, " Ann@Example.ORG ", "7", "News.Example.org")
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert read_token(SECRET, token) == UnsubscribeToken("ann@example.org", "7", "news.example.org")
    assert read_token(SECRET, make_token(SECRET, "b@example.org")) == ("b@example.org", "", "")


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


def test_mailto_address_fits_64_and_round_trips() -> None:
    digest = verp.compute_hash(SECRET, "42", "7", "<m@x>", "ann@example.org")
    address = mailto_address(SECRET, "bounce", digest, "bounces.example.org")
    local = address.partition("@")[0]
    assert local.startswith(f"bounce-unsub-{digest}.") and len(local) <= 64 and local == local.lower()
    assert verp.parse(address, "bounce") is None  # never mistaken for a bounce address
    found = parse_mailto(address.upper(), "bounce")  # an MTA that folded its case
    assert found is not None and found[0] == digest
    assert mailto_valid(SECRET, "bounce", *found)
    assert not mailto_valid(OTHER, "bounce", *found)
    assert not mailto_valid(SECRET, "bounce", found[0], found[1][:10])  # a shorter MAC is no easier
    assert parse_mailto(address, "other") is None
    assert parse_mailto("bounce-42-abcdefghijkl-7@bounces.example.org", "bounce") is None


def test_a_long_prefix_leaves_no_mailto_rather_than_a_guessable_one() -> None:
    digest = "a" * 16
    assert mailto_address(SECRET, "p" * 31, digest, "d.example") is None  # 9 left for the MAC
    short = mailto_address(SECRET, "p" * 24, digest, "d.example")
    assert short is not None and len(short.partition("@")[0]) == 64
