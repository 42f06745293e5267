"""mailtools-web as a command: where it listens, its exit codes, its help."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import Cli, command_path, spool_state

from mailtools.bounces.unsubscribe import make_token
from mailtools.outbound.spool import Spool
from mailtools.secret import load_secret


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    spool = tmp_path / "spool"
    Spool(str(spool)).ensure()
    spool_state(spool).close()
    return Cli(spool, None)


def test_it_says_where_it_listens_serves_and_stops_cleanly_on_sigterm(cli: Cli) -> None:
    web = subprocess.Popen([command_path("mailtools-web"), "-v", "--listen", "127.0.0.1:0", "--json"], env=cli.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = web.stdout.readline().decode()
        port = int(re.fullmatch(r'\{"listen": "127\.0\.0\.1:(\d+)"\}\n', line).group(1))
        token = make_token(load_secret(cli.env["MAILTOOLS_SPOOL"]), "ann@example.net")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("HEAD", f"/unsubscribe?token={token}")
        response = conn.getresponse()
        assert response.status == 200 and int(response.getheader("Content-Length")) > 0
        assert response.read() == b""  # HEAD: headers only
        conn.close()
        web.send_signal(signal.SIGTERM)
        assert web.wait(10) == 0
        log = web.stderr.read().decode()
        assert "method=HEAD, path=/unsubscribe, status=200" in log  # the access log, with -v
        assert token not in log and token.split(".")[0] not in log  # without the token
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
        web.stdout.close()
        web.stderr.close()


def test_an_address_in_use_is_69_naming_it(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = cli("mailtools-web", "--listen", f"127.0.0.1:{port}", timeout=30)
    assert done.returncode == 69 and f"127.0.0.1:{port}" in done.stderr.decode()


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999", "127.0.0.1:"])
def test_a_bad_listen_is_64(cli: Cli, listen: str) -> None:
    done = cli("mailtools-web", "--listen", listen, timeout=30)
    assert done.returncode == 64 and "--listen" in done.stderr.decode()


def test_help_teaches(cli: Cli) -> None:
    text = cli("mailtools-web", "--help").stdout.decode()
    for words in ("List-Unsubscribe=One-Click", "location /mail/", "mailtools.web.wsgi:application", "410",
                  "[web] listen", "port 0"):
        assert words in text
