"""DKIM: signed once at enqueue, verified with dkimpy against the public key."""

from __future__ import annotations

import base64
import subprocess

import dkim
import pytest
from conftest import Cli, ed25519_keys, flush, message, smtp_config, write_config


def rsa_keys(tmp_path):
    private = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, check=True).stdout
    public = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=private,
                            capture_output=True, check=True).stdout
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


@pytest.mark.parametrize("make_keys", [rsa_keys, ed25519_keys])
def test_delivered_mail_verifies(make_keys, smtp, spool_dir, tmp_path):
    private, dns_record = make_keys(tmp_path)
    key_file = tmp_path / "dkim.key"
    key_file.write_bytes(private)
    cli = Cli(spool_dir, smtp_config(tmp_path / "dkim.toml", smtp.port, f"""
[dkim]
selector = "mail"
domain = "example.org"
key_file = "{key_file}"
"""))
    done = cli("mq-send", "-f", "app@example.org", "a@example.net", "b@example.net",
               input=message(From="app@example.org", To="a@example.net"))
    assert done.returncode == 0, done.stderr
    assert flush(cli)["sent"] == 2
    signatures = [m.data.split(b"DKIM-Signature:")[1][:400] for m in smtp.messages]
    assert signatures[0] == signatures[1]  # signed once per message, not per recipient

    def dns(name, timeout=5):
        assert name == b"mail._domainkey.example.org."
        return dns_record

    for received in smtp.messages:
        assert dkim.verify(received.data, dnsfunc=dns), received.data[:300]
        tampered = received.data.replace(b"Hello there", b"Hello THERE")
        assert not dkim.verify(tampered, dnsfunc=dns)


def test_an_unreadable_key_is_a_config_error(spool_dir, tmp_path):
    cli = Cli(spool_dir, write_config(tmp_path / "dkim.toml",
                                      '[dkim]\nselector="m"\ndomain="example.org"\nkey_file="/nonexistent"\n'))
    done = cli("mq-send", "-f", "app@example.org", "a@example.net", input=message())
    assert done.returncode == 78 and "dkim.key_file" in done.stderr.decode()


NOT_KEYS = [b"garbage\n", b"", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            b"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n"]


@pytest.mark.parametrize("content", NOT_KEYS)
def test_a_key_that_is_not_one_refuses_with_78_naming_the_key(spool_dir, tmp_path, content):
    key_file = tmp_path / "dkim.key"
    key_file.write_bytes(content)
    key_file.chmod(0o600)
    cli = Cli(spool_dir, write_config(tmp_path / "dkim.toml",
                                      f'[dkim]\nselector="m"\ndomain="example.org"\nkey_file="{key_file}"\n'))
    done = cli("mq-send", "-f", "app@example.org", "a@example.net", input=message())
    stderr = done.stderr.decode()
    assert done.returncode == 78, stderr
    assert "dkim.key_file" in stderr and str(key_file) in stderr and "Traceback" not in stderr
    queued = spool_dir / "queued"
    assert not queued.exists() or not list(queued.iterdir())  # refused, not queued unsigned
