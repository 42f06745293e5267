"""The pages in a real browser: headless Chromium (Debian's, driven by Selenium) against mailtools-web.

Everything is real: mq-send queues, mq-flush delivers to an SMTP server on
loopback, the links are taken from the messages as received, bounce-ingest
takes a DSN through its pipe, bounce-sweep writes the notice, mailtools-web
runs as a subprocess on an ephemeral port, and bounce-status says what
changed. Selenium never downloads anything: the driver and the browser are
given by path (scripts/test-deps installs chromium and chromium-driver).
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, command_path, flush, message, smtp_config, spool_state
from ingest_support import Sent, make_dsn

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                reason="needs Debian's chromium and chromium-driver (scripts/test-deps)")


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must fetch nothing, whatever happens
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Installation:
    """A spool, a config, an SMTP server to deliver to, and mailtools-web serving the pages."""

    def __init__(self, tmp_path: Path, smtp) -> None:  # noqa: ANN001 - the SmtpServer
        self.config = tmp_path / "mailtools.toml"
        self.base = '\n[bounce]\ndomain = "bounces.example.org"\nmax_bounce_count = 0\n'
        smtp_config(self.config, smtp.port, self.base)
        self.cli = Cli(tmp_path / "spool", self.config)
        self.smtp = smtp
        assert self.cli("mq-send", "-f", "news@example.org", "first@example.net", input=message()).returncode == 0
        assert flush(self.cli)["sent"] == 1  # the spool, its secret and database exist, as on a live host
        self.web = subprocess.Popen([command_path("mailtools-web"), "--listen", "127.0.0.1:0"], env=self.cli.env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.web.stdout.readline().decode()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
        assert found, (line, self.web.stderr.read1().decode() if self.web.poll() is not None else "")
        self.url = found.group(1)
        with open(self.config, "a") as handle:  # the links the messages will carry point at it
            handle.write(f'reenable_url = "{self.url}/reenable?token={{token}}"\n'
                         f'[unsubscribe]\nurl = "{self.url}/unsubscribe?token={{token}}"\n')

    def close(self) -> None:
        self.web.terminate()
        try:
            assert self.web.wait(10) == 0
        finally:
            if self.web.poll() is None:
                self.web.kill()
            self.web.stdout.close()
            self.web.stderr.close()

    def status(self, address: str) -> dict | None:
        rows = self.cli.json_lines("bounce-status", address)
        return rows[0] if rows else None

    def events(self, address: str) -> list:
        state = spool_state(self.cli.env["MAILTOOLS_SPOOL"], readonly=True)
        try:
            return state.events(address)
        finally:
            state.close()

    def received_by(self, address: str) -> list:
        return [m for m in self.smtp.messages if m.rcpt_tos == [address]]


@pytest.fixture
def site(tmp_path: Path, smtp) -> Iterator[Installation]:  # noqa: ANN001
    installation = Installation(tmp_path, smtp)
    yield installation
    installation.close()


def submit(browser, button) -> None:  # noqa: ANN001 - a WebDriver and its element
    """Click a form's button and wait until the answer page has replaced the form.

    click() returns once the click is dispatched, not when the POST's page has
    loaded; on a loaded machine the old page's title would still be read.
    """
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    button.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(button))


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_unsubscribe_from_the_list_unsubscribe_link_in_a_browser(site: Installation, browser) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    sent = site.cli("mq-send", "--unsubscribe", "--package-id", "7", "-f", "news@example.org", "ann@example.net",
                    input=message(subject="November letter"))
    assert sent.returncode == 0, sent.stderr
    assert flush(site.cli)["sent"] == 1
    [received] = site.received_by("ann@example.net")
    link = re.search(rb"List-Unsubscribe: <(http://[^>]+)>", received.data).group(1).decode()
    assert link.startswith(site.url + "/unsubscribe?token=")

    browser.get(link)  # what a person's mail client opens
    assert browser.title == "Unsubscribe"
    assert "ann@example.net" in browser.find_element(By.ID, "message").text
    [button] = browser.find_elements(By.TAG_NAME, "button")
    assert site.status("ann@example.net") is None  # the GET alone changed nothing

    submit(browser, button)
    assert browser.title == "Unsubscribed"
    assert browser.find_element(By.ID, "message").text == "ann@example.net will not receive this mail any more."
    after = site.status("ann@example.net")
    assert after["unsubscribed_packages"] == ["7"] and after["suppressed"] is None  # package 7's mail only
    assert [(e.kind, e.reason, e.package_id) for e in site.events("ann@example.net")] == [("unsubscribe", "web", "7")]

    browser.get(link)  # the link again: still the one-button page; acting twice is harmless
    submit(browser, browser.find_element(By.TAG_NAME, "button"))
    assert browser.title == "Unsubscribed"
    assert len(site.events("ann@example.net")) == 1

    forged = re.sub(r"token=.", lambda m: "token=" + ("B" if m.group(0)[-1] != "B" else "C"), link)
    browser.get(forged)
    assert browser.title == "This link is not valid" and not browser.find_elements(By.TAG_NAME, "button")
    assert http_status(forged) == 400


def test_reenable_from_a_real_notice_in_a_browser(site: Installation, browser) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    assert site.cli("mq-send", "-f", "news@example.org", "bob@example.net", input=message()).returncode == 0
    assert flush(site.cli)["sent"] == 1
    [received] = site.received_by("bob@example.net")
    message_id = re.search(rb"Message-ID: (<[^>]+>)", received.data, re.I).group(1).decode()
    dsn = make_dsn("bounce_userunknown.eml", Sent(received.mail_from, "bob@example.net", message_id, "0", "0"))
    local, _, domain = received.mail_from.partition("@")
    ingest = site.cli("bounce-ingest", input=b"From MAILER-DAEMON  Tue Dec  1 20:00:00 2026\n" + dsn,
                      env={"ORIGINAL_RECIPIENT": received.mail_from, "RECIPIENT": received.mail_from, "SENDER": "",
                           "LOCAL": local, "DOMAIN": domain, "EXTENSION": local.partition("-")[2]})
    assert ingest.returncode == 0, ingest.stderr
    sweep = site.cli.json_lines("bounce-sweep")
    assert sweep[0]["disabled"] == 1 and sweep[0]["notified"] == 1
    assert site.status("bob@example.net")["suppressed"] == "bounce"
    assert flush(site.cli)["sent"] == 1  # the notice, past the suppression
    notice = site.received_by("bob@example.net")[-1].data.decode()
    link = re.search(r"(http://127\.0\.0\.1:\d+/reenable\?token=\S+)", notice).group(1)

    browser.get(link)
    assert browser.title == "Receive mail again"
    assert site.status("bob@example.net")["disabled"] is True  # the GET alone changed nothing
    submit(browser, browser.find_element(By.TAG_NAME, "button"))
    assert browser.title == "Mail enabled again"
    assert "bob@example.net" in browser.find_element(By.ID, "message").text
    after = site.status("bob@example.net")
    assert after["disabled"] is False and after["suppressed"] is None

    browser.get(link)  # the same link again: used
    assert browser.title == "This link was already used" and not browser.find_elements(By.TAG_NAME, "button")
    assert http_status(link) == 410
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    browser.get(forged)
    assert browser.title == "This link is not valid"
    assert http_status(forged) == 400
    assert site.status("bob@example.net")["suppressed"] is None

