"""One-click List-Unsubscribe (RFC 8058): per recipient, inside DKIM's h=, verified with dkimpy as received."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import dkim
import pytest
from conftest import Cli, ed25519_keys, flush, message, smtp_config

from mailtools.bounces.unsubscribe import mailto_valid, parse_mailto, read_token
from mailtools.outbound.spool import Spool
from mailtools.secret import load_secret

URL = "https://example.org/mail/unsubscribe?token={token}"


def config_text(key_file: Path | None, more: str = "") -> str:
    dkim_table = f'\n[dkim]\nselector = "mail"\ndomain = "example.org"\nkey_file = "{key_file}"\n' if key_file else ""
    return f'\n[bounce]\ndomain = "bounces.example.org"\n\n[unsubscribe]\nurl = "{URL}"\n{more}{dkim_table}'


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, bytes]:
    private, record = ed25519_keys(tmp_path)
    key_file = tmp_path / "dkim.key"
    key_file.write_bytes(private)
    return key_file, record


def make_cli(spool_dir: Path, tmp_path: Path, smtp, text: str) -> Cli:  # noqa: ANN001 - the SmtpServer
    """Commands on a spool that has its secret (as after its first mq-flush)."""
    Spool(str(spool_dir)).ensure()
    load_secret(str(spool_dir))
    return Cli(spool_dir, smtp_config(tmp_path / "unsub.toml", smtp.port, text))


def headers_of(data: bytes) -> dict[str, list[str]]:
    """Header fields of a received message, unfolded, by lower-case name."""
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode()
    found: dict[str, list[str]] = {}
    for field in re.split(r"\n(?![ \t])", head):
        name, _, value = field.partition(":")
        found.setdefault(name.lower(), []).append(re.sub(r"\s*\n\s*", " ", value.strip()))
    return found


def signed_headers(data: bytes) -> list[str]:
    [signature] = headers_of(data)["dkim-signature"]
    h = re.search(r"\bh=([^;]+)", signature).group(1)
    return [name.strip().lower() for name in re.sub(r"\s", "", h).split(":")]


def verifies(data: bytes, record: bytes) -> bool:
    return dkim.verify(data, dnsfunc=lambda name, timeout=5: record)


def test_one_recipient_is_signed_once_at_enqueue_with_both_headers_in_h(smtp, spool_dir, tmp_path, keys) -> None:
    key_file, record = keys
    cli = make_cli(spool_dir, tmp_path, smtp, config_text(key_file))
    done = cli("mq-send", "--unsubscribe", "--package-id", "7", "-f", "news@example.org", "ann@example.net",
               input=message(From="news@example.org", To="ann@example.net",
                             List_Unsubscribe="<https://app.example/own>"))  # the application's own is replaced
    assert done.returncode == 0, done.stderr
    queued = next((spool_dir / "queued").iterdir()).read_bytes()
    assert b'"unsubscribe": "added"' in queued and b"DKIM-Signature:" in queued  # signed at enqueue
    assert flush(cli)["sent"] == 1
    [received] = smtp.messages
    fields = headers_of(received.data)
    assert fields["list-unsubscribe-post"] == ["List-Unsubscribe=One-Click"]
    [value] = fields["list-unsubscribe"]
    assert "app.example/own" not in value
    https, mailto = re.findall(r"<([^>]+)>", value)
    token = unquote(https.split("token=", 1)[1])
    secret = load_secret(str(spool_dir))
    assert tuple(read_token(secret, token)) == ("ann@example.net", "7", "example.org")
    reference = parse_mailto(mailto.removeprefix("mailto:").split("?")[0], "bounce")
    assert reference is not None and mailto_valid(secret, "bounce", *reference)
    assert reference[0] in received.mail_from  # the mailto names this recipient's VERP hash
    assert {"list-unsubscribe", "list-unsubscribe-post", "from"} <= set(signed_headers(received.data))
    assert verifies(received.data, record)
    stripped = received.data.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b"")
    assert not verifies(stripped, record)  # the one-click promise cannot be taken off unseen


def test_several_recipients_each_get_their_own_headers_signed_at_delivery(smtp, spool_dir, tmp_path, keys) -> None:
    key_file, record = keys
    cli = make_cli(spool_dir, tmp_path, smtp, config_text(key_file))
    rcpts = ["a@example.net", "b@example.net", "c@example.net"]
    done = cli("mq-send", "--unsubscribe", "-f", "news@example.org", *rcpts,
               input=message(From="news@example.org", To="list@example.org"))
    assert done.returncode == 0, done.stderr
    queued = next((spool_dir / "queued").iterdir()).read_bytes()
    assert b'"unsubscribe": "per-recipient"' in queued
    assert b"DKIM-Signature:" not in queued and b"List-Unsubscribe" not in queued  # signed where they exist
    assert flush(cli)["sent"] == 3
    secret = load_secret(str(spool_dir))
    seen = {}
    for received in smtp.messages:
        fields = headers_of(received.data)
        assert len(fields["dkim-signature"]) == 1
        https = re.findall(r"<([^>]+)>", fields["list-unsubscribe"][0])[0]
        seen[received.rcpt_tos[0]] = read_token(secret, unquote(https.split("token=", 1)[1])).address
        assert {"list-unsubscribe", "list-unsubscribe-post"} <= set(signed_headers(received.data))
        assert verifies(received.data, record)
    assert seen == {r: r for r in rcpts}  # each copy unsubscribes its own recipient, and no one else


def test_a_package_that_says_unsubscribe_gets_the_headers_without_the_flag(smtp, spool_dir, tmp_path) -> None:
    cli = make_cli(spool_dir, tmp_path, smtp, config_text(None, 'mailto = false\n\n[packages.7]\nunsubscribe = true\n'))
    assert cli("mq-send", "--package-id", "7", "-f", "news@example.org", "a@example.net",
               input=message()).returncode == 0
    assert cli("mq-send", "--package-id", "8", "-f", "news@example.org", "b@example.net",
               input=message()).returncode == 0
    assert flush(cli)["sent"] == 2
    by_rcpt = {m.rcpt_tos[0]: headers_of(m.data) for m in smtp.messages}
    [value] = by_rcpt["a@example.net"]["list-unsubscribe"]
    assert value.startswith("<https://example.org/mail/unsubscribe?token=") and "mailto:" not in value
    assert "list-unsubscribe" not in by_rcpt["b@example.net"]  # package 8 did not ask


def test_without_a_url_only_the_mailto_and_no_one_click_post(smtp, spool_dir, tmp_path) -> None:
    cli = make_cli(spool_dir, tmp_path, smtp, '\n[bounce]\ndomain = "bounces.example.org"\n')
    assert cli("mq-send", "--unsubscribe", "-f", "news@example.org", "a@example.net", "b@example.net",
               input=message()).returncode == 0
    assert flush(cli)["sent"] == 2
    for received in smtp.messages:
        fields = headers_of(received.data)
        assert fields["list-unsubscribe"][0].startswith("<mailto:bounce-unsub-")
        assert "list-unsubscribe-post" not in fields  # RFC 8058: one-click needs an https URI


@pytest.mark.parametrize(("text", "words"), [
    ('\n[unsubscribe]\nmailto = false\n', "unsubscribe.url"),
    ('\n[unsubscribe]\nurl = "https://example.org/u"\n', "{token}"),
])
def test_unsubscribe_without_a_way_to_unsubscribe_is_a_config_error(smtp, spool_dir, tmp_path, text: str,
                                                                   words: str) -> None:
    cli = make_cli(spool_dir, tmp_path, smtp, text)
    done = cli("mq-send", "--unsubscribe", "-f", "news@example.org", "a@example.net", input=message())
    assert done.returncode == 78 and words in done.stderr.decode()
    assert not (spool_dir / "queued").exists() or not any((spool_dir / "queued").iterdir())


def test_a_spool_without_its_secret_yet_signs_even_one_recipient_at_delivery(smtp, tmp_path, keys) -> None:
    """mq-send never creates the secret (a root-owned one would lock out the flusher): delivery does."""
    key_file, record = keys
    spool_dir = tmp_path / "fresh"
    cli = Cli(spool_dir, smtp_config(tmp_path / "fresh.toml", smtp.port, config_text(key_file)))
    assert cli("mq-send", "--unsubscribe", "-f", "news@example.org", "a@example.net", input=message()).returncode == 0
    assert b'"unsubscribe": "per-recipient"' in next((spool_dir / "queued").iterdir()).read_bytes()
    assert flush(cli)["sent"] == 1
    [received] = smtp.messages
    assert "list-unsubscribe-post" in signed_headers(received.data) and verifies(received.data, record)
