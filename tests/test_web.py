"""The unsubscribe and re-enable pages: the WSGI app served by wsgiref on loopback, a real state database.

Every answer (200, 400, 404, 405, 410, 503) is checked for what it says and
for what it left unchanged.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from mailtools.bounces.records import BounceEvent, record_bounce
from mailtools.bounces.tokens import make_token as reenable_token
from mailtools.bounces.unsubscribe import make_token
from mailtools.config import Config, parse_config
from mailtools.outbound.spool import Spool
from mailtools.secret import load_secret
from mailtools.state import open_state
from mailtools.web.server import make_web_server
from mailtools.web.wsgi import make_app

T0 = 1_700_000_000.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


class Site:
    """mailtools' pages served by the standard library's server on an ephemeral port."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.secret = load_secret(config.spool)
        self.state = open_state(config)
        app = make_app(config)
        app.actions.clock = lambda: T0 + 100
        self.server = make_web_server(app, "127.0.0.1:0")
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.state.close()

    def request(self, method: str, path: str, body: bytes = b"", content_type: str | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.server_address[1], timeout=10)
        headers = {"Content-Type": content_type} if content_type else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        answer = Answer(response.status, dict(response.getheaders()), response.read().decode())
        conn.close()
        return answer

    def one_click(self, token: str, body: bytes = b"List-Unsubscribe=One-Click") -> Answer:
        return self.request("POST", f"/unsubscribe?token={quote(token)}", body,
                            "application/x-www-form-urlencoded")

    def suppressions(self) -> list[tuple]:
        return [tuple(s[:2]) + (s.package_id,) for s in self.state.suppressions()]


def config_for(tmp_path: Path, language: str = "en") -> Config:
    """An installation with its spool (and secret) made; the database is made by whoever needs it."""
    Spool(str(tmp_path / "spool")).ensure()
    return parse_config({"spool": str(tmp_path / "spool"), "web": {"language": language},
                         "packages": {"7": {"on_unsubscribe": "/bin/true"}},
                         "platforms": {"news.example.org": {"webhook": "http://127.0.0.1:9/{address}"}}})


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    served = Site(config_for(tmp_path))
    yield served
    served.close()


def message_of(answer: Answer) -> str:
    return re.search(r'<p id="message">(.*?)</p>', answer.text, re.S).group(1)


def test_get_shows_one_button_and_changes_nothing(site: Site) -> None:
    token = make_token(site.secret, "ann@example.net", "7", "news.example.org")
    answer = site.request("GET", f"/unsubscribe?token={token}")
    assert answer.status == 200
    assert "<strong>ann@example.net</strong>" in message_of(answer)
    assert answer.text.count("<button") == 1 and 'method="post"' in answer.text and "<script" not in answer.text
    assert f'action="?token={token}"' in answer.text  # relative: works under any proxy prefix
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
    assert site.suppressions() == [] and site.state.events("ann@example.net") == []


def test_one_click_post_unsubscribes_from_its_package_and_queues_hook_and_webhook(site: Site) -> None:
    token = make_token(site.secret, "ann@example.net", "7", "news.example.org")
    answer = site.one_click(token)
    assert answer.status == 200 and "ann@example.net" in message_of(answer) and "<form" not in answer.text
    assert site.suppressions() == [("ann@example.net", "unsubscribe", "7")]
    assert site.state.is_suppressed(["ann@example.net"], "7") == {"ann@example.net": "unsubscribe"}
    assert site.state.is_suppressed(["ann@example.net"], "8") == {}  # other packages' mail still goes
    [event] = site.state.events("ann@example.net")
    assert (event.kind, event.reason, event.package_id) == ("unsubscribe", "one-click", "7")
    due = site.state.due_callbacks(T0 + 1000)
    assert sorted((c.kind, c.target) for c in due) == [("unsubscribe", "command"), ("unsubscribe", "webhook")]
    assert site.one_click(token).status == 200  # twice is harmless: nothing more recorded
    assert len(site.state.events("ann@example.net")) == 1 and len(site.state.due_callbacks(T0 + 1000)) == 2


def test_the_pages_button_is_recorded_as_web_and_a_token_without_package_covers_all_mail(site: Site) -> None:
    token = make_token(site.secret, "bob@example.net")
    page = site.request("GET", f"/unsubscribe?token={token}")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]+)">', page.text))
    answer = site.one_click(token, urlencode(fields).encode())
    assert answer.status == 200
    [row] = site.state.suppressions()
    assert (row.address, row.reason, row.origin, row.package_id) == ("bob@example.net", "unsubscribe", "web", None)
    assert site.state.is_suppressed(["bob@example.net"], "7") == {"bob@example.net": "unsubscribe"}


def test_a_multipart_one_click_post_is_read_as_rfc_8058_recommends(site: Site) -> None:
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n")
    token = make_token(site.secret, "cy@example.net", "7")
    answer = site.request("POST", f"/unsubscribe?token={token}", body, "multipart/form-data; boundary=XyZ")
    assert answer.status == 200
    assert site.suppressions() == [("cy@example.net", "unsubscribe", "7")]


@pytest.mark.parametrize("body", [b"", b"List-Unsubscribe=Yes", b"confirm=yes", b"List-Unsubscribe=one-click"])
def test_a_post_without_the_one_click_body_is_400_and_changes_nothing(site: Site, body: bytes) -> None:
    answer = site.one_click(make_token(site.secret, "ann@example.net", "7"), body)
    assert answer.status == 400 and "Nothing was changed" in message_of(answer)
    assert site.suppressions() == []


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "<script>.x", "forged-by-other-secret"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_forged_unsubscribe_token_is_400_and_changes_nothing(site: Site, token: str, method: str) -> None:
    if token == "forged-by-other-secret":
        token = make_token(b"x" * 32, "ann@example.net", "7")
    answer = (site.one_click(token) if method == "POST" else site.request("GET", f"/unsubscribe?token={quote(token)}"))
    assert answer.status == 400 and "not valid" in answer.text and "<form" not in answer.text
    assert site.suppressions() == []


def test_unknown_paths_are_404_and_other_methods_405(site: Site) -> None:
    assert site.request("GET", "/").status == 404
    assert site.request("GET", "/admin?token=x").status == 404
    answer = site.request("PUT", f"/unsubscribe?token={make_token(site.secret, 'ann@example.net')}", b"x")
    assert answer.status == 405 and answer.headers["Allow"] == "GET, POST"
    assert site.suppressions() == []


def disabled(site: Site, address: str) -> float:
    """``address`` disabled by the daily policy at T0; returns its disabled_at."""
    for i in range(11):
        record_bounce(site.state, BounceEvent(address, None, None, None, "userunknown", "5.1.1", True,
                                              T0 - 100 + i, None, f"{address}{i}", None), site.config)
    site.state.sweep_disable(T0, 10, [])
    return T0


def test_reenable_get_asks_post_enables_and_the_link_then_is_410(site: Site) -> None:
    token = reenable_token(site.secret, "dee@example.net", T0 + 86400, disabled(site, "dee@example.net"))
    page = site.request("GET", f"/reenable?token={token}")
    assert page.status == 200 and "dee@example.net" in message_of(page) and page.text.count("<button") == 1
    assert site.state.is_suppressed(["dee@example.net"]) == {"dee@example.net": "bounce"}  # GET changed nothing
    done = site.request("POST", f"/reenable?token={token}", b"confirm=yes", "application/x-www-form-urlencoded")
    assert done.status == 200 and "enabled again" in message_of(done)
    assert site.state.is_suppressed(["dee@example.net"]) == {}
    again = site.request("GET", f"/reenable?token={token}")
    assert again.status == 410 and "already been used" in again.text and "<form" not in again.text
    assert site.request("POST", f"/reenable?token={token}", b"confirm=yes",
                        "application/x-www-form-urlencoded").status == 410


def test_an_expired_reenable_token_is_410_and_a_forged_one_400(site: Site) -> None:
    disabled(site, "eve@example.net")
    expired = reenable_token(site.secret, "eve@example.net", T0 + 50, T0)
    for method in ("GET", "POST"):
        answer = site.request(method, f"/reenable?token={expired}", b"confirm=yes" if method == "POST" else b"",
                              "application/x-www-form-urlencoded")
        assert answer.status == 410 and "too old" in answer.text
    forged = reenable_token(b"y" * 32, "eve@example.net", T0 + 86400, T0)
    assert site.request("GET", f"/reenable?token={forged}").status == 400
    unsubscribe_as_reenable = make_token(site.secret, "eve@example.net")  # a token of another purpose
    assert site.request("POST", f"/reenable?token={unsubscribe_as_reenable}").status == 400
    assert site.state.is_suppressed(["eve@example.net"]) == {"eve@example.net": "bounce"}


def test_a_hostile_address_is_shown_escaped(site: Site) -> None:
    hostile = '"<script>alert(1)</script>"@example.net'
    answer = site.request("GET", f"/unsubscribe?token={make_token(site.secret, hostile)}")
    assert answer.status == 200
    assert "<script>" not in answer.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(("language", "words"), [("de", "Abmelden"), ("fr", "Se désabonner"), ("de-AT", "Abmelden"),
                                                 ("xx", "Unsubscribe")])
def test_pages_speak_the_configured_language(tmp_path: Path, language: str, words: str) -> None:
    site = Site(config_for(tmp_path, language))
    try:
        answer = site.request("GET", f"/unsubscribe?token={make_token(site.secret, 'ann@example.net')}")
        assert answer.status == 200 and f'<html lang="{language}">' in answer.text and words in answer.text
        assert site.request("GET", "/unsubscribe?token=bad").status == 400
    finally:
        site.close()


def test_no_database_is_503_and_says_try_again(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    secret = load_secret(config.spool)
    app = make_app(config)  # the spool has its secret but no database yet
    server = make_web_server(app, "127.0.0.1:0")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        conn.request("POST", f"/unsubscribe?token={make_token(secret, 'ann@example.net')}",
                     body=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        assert response.status == 503 and b"try again" in response.read()
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
    assert not Path(tmp_path / "spool" / "db" / "state.sqlite").exists()  # not created behind anyone's back


def test_the_access_log_never_holds_a_token(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    token = make_token(site.secret, "ann@example.net", "7")
    with caplog.at_level(logging.INFO, logger="mailtools.web"):
        site.request("GET", f"/unsubscribe?token={token}")
        site.one_click(token)
        site.request("GET", "/reenable?token=forged.forged")
    lines = [r.getMessage() for r in caplog.records]
    assert any("path=/unsubscribe" in line and "status=200" in line for line in lines)
    assert not any(token in line or token.split(".")[1] in line or "forged" in line for line in lines)


def test_the_wsgi_entry_reads_the_config_from_the_environment(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import mailtools.web.wsgi as wsgi

    config_file = tmp_path / "mailtools.toml"
    config_file.write_text(f'spool = "{tmp_path / "spool"}"\n[web]\nlanguage = "fr"\n')
    Spool(str(tmp_path / "spool")).ensure()
    monkeypatch.setenv("MAILTOOLS_CONFIG", str(config_file))
    monkeypatch.setattr(wsgi, "_app", None)
    secret = load_secret(str(tmp_path / "spool"))
    seen = {}

    def start_response(status: str, headers: list) -> None:
        seen["status"] = status

    from wsgiref.util import setup_testing_defaults

    environ: dict = {"PATH_INFO": "/unsubscribe", "QUERY_STRING": f"token={make_token(secret, 'ann@example.net')}"}
    setup_testing_defaults(environ)
    body = b"".join(wsgi.application(environ, start_response))
    assert seen["status"] == "200 OK" and "Se désabonner".encode() in body
    config_file.write_text("no_such_key = 1\n")
    monkeypatch.setattr(wsgi, "_app", None)
    body = b"".join(wsgi.application(environ, start_response))
    assert seen["status"].startswith("503") and b"try again" in body
