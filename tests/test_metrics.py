"""mailtools-metrics after real work, read back with prometheus_client's own parser.

The spool is filled by the installed commands against a real SMTP server on
loopback (sent, deferred, dropped, suppressed, held, queued, one claimed),
bounces and the outbox through the state layer, the sweep by bounce-sweep.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import Cli, message, spool_state
from prometheus_client.parser import text_string_to_metric_families

from mailtools.bounces.records import BounceEvent, record_bounce
from mailtools.config import parse_config
from mailtools.ids import id_time
from mailtools.outbound.spool import Spool

DESIGN_FAMILIES = {  # DESIGN "Metrics": family name -> (type, label names)
    "mailtools_queue_messages": ("gauge", {"state"}),
    "mailtools_queue_oldest_age_seconds": ("gauge", {"state"}),
    "mailtools_deliveries": ("counter", {"result"}),
    "mailtools_bounces": ("counter", {"kind", "hard"}),
    "mailtools_suppressed_addresses": ("gauge", {"reason"}),
    "mailtools_webhook_outbox": ("gauge", {"state"}),
    "mailtools_last_sweep_timestamp_seconds": ("gauge", set()),
}
DAY = 86400


def scrape(cli: Cli, now: float, *args: str) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}} of one mailtools-metrics run, checked against DESIGN."""
    done = cli("mailtools-metrics", *args, now=now)
    assert done.returncode == 0, done.stderr.decode()
    return parsed(done.stdout.decode())


def parsed(text: str) -> dict[str, dict[tuple, float]]:
    samples: dict[str, dict[tuple, float]] = {}
    families = list(text_string_to_metric_families(text))
    assert {f.name: f.type for f in families} == {name: kind for name, (kind, _) in DESIGN_FAMILIES.items()}
    for family in families:
        for sample in family.samples:
            assert set(sample.labels) == DESIGN_FAMILIES[family.name][1]
            assert not any("@" in value for value in sample.labels.values())  # no address is ever a label
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def by(samples: dict[str, dict[tuple, float]], name: str, label: str) -> dict[str, float]:
    return {dict(key)[label]: value for key, value in samples[name].items()}


def send(cli: Cli, *args: str) -> str:
    done = cli("mq-send", "-f", "app@shop.example", *args, input=message())
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip()


def bounce(address: str, hard: bool, key: str, when: float) -> BounceEvent:
    return BounceEvent(address, "42", "7", "shop.example", "userunknown" if hard else "mailboxfull",
                       "5.1.1" if hard else "4.2.2", hard, when, "<m@shop.example>", key, None)


def test_the_figures_after_real_work(cli: Cli, smtp, spool_dir: Path) -> None:
    smtp.behaviour.rules["slow@example.net"] = "451 4.7.1 greylisted, try later"
    smtp.behaviour.rules["gone@example.net"] = "550 5.1.1 no such user"
    ids = {name: send(cli, f"{name}@example.net") for name in ("ok", "slow", "gone", "bad", "hold")}
    db = spool_state(spool_dir)
    db.suppress("bad@example.net", "manual", "test", time.time())
    db.suppress("angry@example.net", "complaint", "test", time.time())
    assert cli("mq-ctl", "hold", ids["hold"]).returncode == 0
    [summary] = cli.json_lines("mq-flush")
    assert summary == {"sent": 1, "deferred": 1, "dropped": 1, "suppressed": 1}
    assert cli("mq-send", "-f", "app@shop.example", "--now", "now@example.net", input=message()).returncode == 0
    ids["queued"], ids["claimed"] = send(cli, "later@example.net"), send(cli, "claimed@example.net")
    assert Spool(str(spool_dir)).claim("queued", ids["claimed"], time.time()) is not None  # a flusher's claim

    t0 = time.time()
    assert cli("bounce-sweep", "-q", now=t0 + 100).returncode == 0  # before the outbox below: it runs what is due
    config = parse_config({"platforms": {"shop.example": {"webhook": "http://127.0.0.1:9/{address}"}}})
    for number, address in enumerate(("a@example.org", "b@example.org", "c@example.org")):
        assert record_bounce(db, bounce(address, True, f"h{number}", t0), config)
    assert record_bounce(db, bounce("d@example.org", False, "s1", t0), config)
    first, second, _ = db.outbox()
    db.callback_failed(first.id, t0 + 60, "HTTP 503")
    db.give_up_callback(second.id, t0, "HTTP 410")
    db.close()

    # An application's plain message waiting in maildrop/ for the next mq-flush (".name", then renamed).
    (spool_dir / "maildrop" / ".app-1").write_bytes(b"From: app@shop.example\nTo: x@example.net\n\nhi\n")
    (spool_dir / "maildrop" / ".app-1").rename(spool_dir / "maildrop" / "app-1")
    (spool_dir / "maildrop" / ".app-2").write_bytes(b"being written")  # not finished: not counted

    now = t0 + 1000
    samples = scrape(cli, now)
    messages = by(samples, "mailtools_queue_messages", "state")
    assert messages == {"maildrop": 1, "queued": 1, "active": 1, "deferred": 1, "held": 1, "sent": 2, "dropped": 2}
    # ... as mq-list --state all counts them (here every message's recipients ended alike).
    listed = Counter(row["state"] for row in cli.json_lines("mq-list", "--state", "all"))
    assert listed == {state: n for state, n in messages.items() if n}
    ages = by(samples, "mailtools_queue_oldest_age_seconds", "state")
    assert ages["queued"] == pytest.approx(now - id_time(ids["queued"]))
    assert ages["maildrop"] == pytest.approx(now - (spool_dir / "maildrop" / "app-1").stat().st_mtime)
    assert ages["active"] == pytest.approx(now - id_time(ids["claimed"]))
    assert ages["held"] == pytest.approx(now - id_time(ids["hold"]))
    assert ages["sent"] == pytest.approx(now - id_time(ids["ok"]))  # older than the --now one
    assert ages["dropped"] == pytest.approx(now - id_time(ids["gone"]))

    assert by(samples, "mailtools_deliveries_total", "result") == {
        "sent": 2, "deferred": 1, "dropped": 1, "suppressed": 1}  # mq-flush, then mq-send --now
    assert samples["mailtools_bounces_total"] == {(("hard", "true"), ("kind", "bounce")): 3,
                                                  (("hard", "false"), ("kind", "bounce")): 1}
    assert by(samples, "mailtools_suppressed_addresses", "reason") == {
        "bounce": 0, "complaint": 1, "unsubscribe": 0, "manual": 1}
    assert by(samples, "mailtools_webhook_outbox", "state") == {"pending": 1, "retrying": 1, "dead": 1}
    assert samples["mailtools_last_sweep_timestamp_seconds"] == {(): t0 + 100}

    # A month later the sweep purged the sent and dropped files and the events; the counters kept counting.
    later = t0 + 40 * DAY
    assert cli("bounce-sweep", "-q", now=later).returncode == 0
    samples = scrape(cli, later + 1)
    assert by(samples, "mailtools_queue_messages", "state")["sent"] == 0
    assert sum(samples["mailtools_bounces_total"].values()) == 4
    assert by(samples, "mailtools_deliveries_total", "result")["sent"] == 2
    assert samples["mailtools_last_sweep_timestamp_seconds"] == {(): later}
    assert cli("bounce-sweep", "--dry-run", "-q", now=later + DAY).returncode == 0  # a dry run is no sweep
    assert scrape(cli, later + DAY)["mailtools_last_sweep_timestamp_seconds"] == {(): later}


def test_textfile_is_replaced_atomically(cli: Cli, spool_dir: Path, tmp_path: Path) -> None:
    send(cli, "a@example.net")
    assert cli("mq-flush", "-q").returncode == 0
    out = tmp_path / "collector"
    out.mkdir()
    target = out / "mailtools.prom"
    target.write_text("stale\n")
    before = os.stat(target).st_ino
    done = cli("mailtools-metrics", "--textfile", str(target))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    assert os.stat(target).st_ino != before  # a new file renamed over the old one, never rewritten in place
    assert os.listdir(out) == ["mailtools.prom"]  # no temporary file left behind
    assert by(parsed(target.read_text()), "mailtools_queue_messages", "state")["sent"] == 1
    assert cli("mailtools-metrics", "--textfile", str(tmp_path / "missing" / "m.prom")).returncode == 75


def test_a_missing_spool_or_database_is_75_not_an_empty_queue(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "nowhere", None)
    done = cli("mailtools-metrics")
    assert done.returncode == 75 and b"nowhere" in done.stderr and done.stdout == b""
    (tmp_path / "fresh" / "queued").mkdir(parents=True)
    done = Cli(tmp_path / "fresh", None)("mailtools-metrics")
    assert done.returncode == 75 and b"state.sqlite" in done.stderr


def test_help_names_every_metric(tmp_path: Path) -> None:
    done = Cli(tmp_path, None)("mailtools-metrics", "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    for name in DESIGN_FAMILIES:
        assert name.removesuffix("_seconds") in text


RULES = Path(__file__).resolve().parents[1] / "postfix" / "prometheus"


def test_alert_rules_name_only_metrics_that_exist() -> None:
    import re

    exported = {"mailtools_deliveries_total", "mailtools_bounces_total"} | {
        name for name in DESIGN_FAMILIES if name not in ("mailtools_deliveries", "mailtools_bounces")}
    named = set(re.findall(r"\bmailtools_[a-z_]+", (RULES / "mailtools.rules.yml").read_text()))
    assert named and named <= exported, named - exported


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian package prometheus) is not installed")
def test_alert_rules_fire_as_meant_by_promtool() -> None:
    """Each alert fires on the series it is for and not on a healthy host's (mailtools.rules.test.yml)."""
    for args in (["check", "rules", "mailtools.rules.yml"], ["test", "rules", "mailtools.rules.test.yml"]):
        done = subprocess.run(["promtool", *args], cwd=RULES, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
