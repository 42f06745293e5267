"""Issue 7, hostile input, arguments, config, symlinks and network faults.

Covered elsewhere, not repeated here: header injection through -f/-F/recipients,
recipients that look like options, the refusal list of mq-send
(tests/test_cli_mq_send.py::test_refusals); an unknown key for mq-send
(test_cli_mq_send.py); queue ids with ``../`` given to mq-ctl and symlinks in
queued/ and maildrop/ (tests/test_spool.py); one message dropped mid-DATA, a
421, a stall past the timeout (tests/test_flush.py); the classifier alone on
hostile bytes (tests/test_classify.py::test_hostile_input_returns_quickly).
"""

from __future__ import annotations

import base64
import collections
import os
import random
import stat
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import Cli, command_path, enqueue, flush, flush_env, message, rows, send, smtp_config, tally, write_config
from ingest_support import POSTFIX, REPO, TestSpool, make_dsn, postfix_env, run_cli

from mailtools.bounces.store import split_envelope
from mailtools.outbound.spool import Spool

FROM_LINE = b"From MAILER-DAEMON  Sun Nov 22 03:08:46 2026\n"
MAX_SECONDS = 20.0   # one hostile message through the pipe, on a slow CI machine
MAX_RSS_MB = 400     # peak resident size of that process


# -- hostile bytes through the real pipe -------------------------------------------------------
def _nested(depth: int) -> bytes:
    out = [b"From: MAILER-DAEMON@x.example\nSubject: Undelivered\nContent-Type: multipart/mixed; boundary=b0\n\n"]
    out += [b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth)]
    out.append(b"--b%d\nContent-Type: text/plain\n\nuser unknown <a@b.example>\n" % depth)
    out += [b"--b%d--\n" % i for i in range(depth, -1, -1)]
    return b"".join(out)


def _nested_reports(depth: int) -> bytes:
    """message/rfc822 inside message/rfc822, 'depth' deep, with a DSN at the bottom."""
    inner = (POSTFIX / "bounce_userunknown.eml").read_bytes()
    for _ in range(depth):
        inner = b"From: x@y.example\nSubject: fwd\nContent-Type: message/rfc822\n\n" + inner
    return inner


def hostile_inputs(sent_dsn: bytes, seed: int, extra_random: int) -> dict[str, bytes]:
    """Sixty-odd hostile messages: the issue's list, DSNs with empty and bogus fields, mangled DSNs."""
    rng = random.Random(seed)
    dsn = sent_dsn
    head, _, body = dsn.partition(b"\n\n")
    cases = {
        "random-20k": rng.randbytes(20_000),
        "random-1": rng.randbytes(1),
        "empty": b"",
        "only-newlines": b"\n" * 5000,
        "nul-10k": b"\0" * 10_000,
        "nul-in-headers": b"From: MAILER\0DAEMON@x\nSubject: Un\0delivered\nTo: \0\n\nbody\0\n",
        "invalid-utf8-headers": b"From: \xff\xfe <x@\xc3\x28>\nSubject: \xc3\x28\xa0\n\n\xff\xfe hi\n",
        "200k-header-line": b"Subject: " + b"A" * 200_000 + b"\nFrom: someone@x.example\n\nbody\n",
        "200k-folded-header": b"Subject: x\n" + b" folded\n" * 25_000 + b"From: a@x.example\n\nbody\n",
        "100k-headers": b"".join(b"X-H%d: v\n" % i for i in range(100_000)) + b"\nbody\n",
        "mime-2000-deep": _nested(2000),
        "mime-200-deep": _nested(200),
        "rfc822-300-deep": _nested_reports(300),
        "3mb-body": (b"From: MAILER-DAEMON@x\nSubject: Undelivered Mail\n\n"
                     + b"The user a@b.example unknown\n" * 110_000),
        "3mb-one-line": b"From: MAILER-DAEMON@x\nSubject: Undelivered Mail\n\n" + b"x" * 3_000_000,
        "at-storm": b"From: MAILER-DAEMON@x\nSubject: Undelivered\n\n" + b"@" * 500_000,
        "boundary-storm": b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\n\n" * 100_000,
        "cr-only": dsn.replace(b"\n", b"\r"),
        "crlf": dsn.replace(b"\n", b"\r\n"),
        "dsn-empty-fields": dsn.replace(b"Action: failed", b"Action: ").replace(b"Status: 5.1.1", b"Status:"),
        "dsn-bogus-fields": dsn.replace(b"Action: failed", b"Action: \xff\xff").replace(b"Status: 5.1.1",
                                                                                         b"Status: 9.x.999999999"),
        "dsn-no-final-recipient": b"\n".join(line for line in dsn.split(b"\n")
                                             if not line.lower().startswith(b"final-recipient")),
        "dsn-empty-recipient": dsn.replace(b"Final-Recipient: rfc822;", b"Final-Recipient: rfc822;  <>\n X:"),
        "dsn-huge-diagnostic": dsn.replace(b"Diagnostic-Code: smtp;", b"Diagnostic-Code: smtp; " + b"5" * 300_000),
        "dsn-bogus-charset": head + b"\n\n" + body.replace(b"Content-Type: text/plain",
                                                           b"Content-Type: text/plain; charset=x-no-such-\xff"),
        "dsn-bogus-encoding": head + b"\n\n" + body.replace(b"Content-Description: Delivery report",
                                                            b"Content-Transfer-Encoding: base64\n"
                                                            b"Content-Description: Delivery report"),
        "dsn-encoded-words": dsn.replace(b"Subject: ", b"Subject: =?x-bogus?Q?=FF=00?= =?utf-8?B?////?= "),
        "dsn-1000-recipients": dsn.replace(b"Final-Recipient:", b"".join(
            b"Final-Recipient: rfc822; u%d@x.example\nAction: failed\nStatus: 5.1.1\n\n" % i
            for i in range(1000)) + b"Final-Recipient:", 1),
        "dsn-params-storm": dsn.replace(b"report-type=delivery-status;",
                                        b"report-type=delivery-status;" + b' p="x";' * 20_000),
        "dsn-truncated-1200": dsn[:1200],
        "dsn-no-body": head,
        "verp-in-every-header": b"".join(b"To: bounce-%d-zzzz-%d@bounces.example.org\n" % (i, i)
                                        for i in range(5000)) + b"\nbody\n",
    }
    for i in range(extra_random):  # mangled DSNs: truncated, bytes flipped, lines shuffled
        data = bytearray(dsn)
        for _ in range(rng.randrange(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if i % 3 == 0:
            data = data[:rng.randrange(len(data))]
        if i % 3 == 1:
            lines = bytes(data).split(b"\n")
            rng.shuffle(lines)
            data = bytearray(b"\n".join(lines))
        cases[f"mangled-dsn-{i}"] = bytes(data)
    return cases


def run_measured(argv: list[str], data: bytes, env: dict[str, str]) -> tuple[int, bytes, float, float]:
    """(exit code, stderr, seconds, peak RSS in MB) of one process fed ``data``."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, cwd=REPO)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))
    reader.start()
    try:
        proc.stdin.write(data)
    except BrokenPipeError:
        pass
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    return proc.returncode, errors[0], time.monotonic() - started, usage.ru_maxrss / 1024


def feed_pipe(tmp_path: Path, extra_random: int, seed: int) -> None:
    spool = TestSpool(tmp_path / "spool")
    sent = spool.send("victim@remote.test")
    cases = hostile_inputs(make_dsn("bounce_userunknown.eml", sent), seed, extra_random)
    env = postfix_env(spool, sent.address)
    started = time.monotonic()

    def one(item):  # noqa: ANN001, ANN202
        name, raw = item
        return name, raw, run_measured([command_path("bounce-ingest")], FROM_LINE + raw, env)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, sorted(cases.items())))
    elapsed = time.monotonic() - started
    slowest = max(r[2][2] for r in results)
    biggest = max(r[2][3] for r in results)
    stored = collections.Counter()
    for state in ("incoming", "processed", "unrecognized"):
        for name in os.listdir(spool.root / "bounces" / state):
            if not name.endswith(".why"):
                stored[split_envelope((spool.root / "bounces" / state / name).read_bytes())[1]] += 1
    for name, raw, (code, stderr, seconds, rss) in results:
        assert code == 0, (name, code, stderr[-500:])
        assert b"Traceback" not in stderr, (name, stderr[-2000:])
        assert seconds < MAX_SECONDS, (name, seconds)
        assert rss < MAX_RSS_MB, (name, rss)
        assert stored[raw] >= 1, f"{name}: the bytes are not in the spool"
    assert spool.files("incoming") == [], "processing failed for some input (left in incoming/)"
    assert spool.query("PRAGMA integrity_check") == [("ok",)]
    # Nothing in the hostile set may disable or hard-count an address we did not send to.
    assert {row[0] for row in spool.query("SELECT address FROM addresses")} <= {"victim@remote.test"}
    tally("hostile inputs fed to bounce-ingest", len(cases))
    tally("hostile inputs: slowest (s)", round(slowest, 2))
    tally("hostile inputs: peak RSS (MB)", round(biggest, 1))
    tally("hostile inputs: wall time (s)", round(elapsed, 1))


def test_hostile_bytes_through_the_pipe_exit_0_and_are_kept(tmp_path):
    feed_pipe(tmp_path, extra_random=28, seed=1)


@pytest.mark.slow
def test_many_more_mangled_dsns_through_the_pipe(tmp_path):
    feed_pipe(tmp_path, extra_random=400, seed=2)


def test_hostile_files_in_one_batch_run(tmp_path):
    """The same bytes through ``bounce-ingest FILE...`` (workers, one process): 0, nothing lost."""
    spool = TestSpool(tmp_path / "spool")
    sent = spool.send("victim@remote.test")
    cases = hostile_inputs(make_dsn("bounce_userunknown.eml", sent), 3, 10)
    folder = tmp_path / "in"
    folder.mkdir()
    for i, raw in enumerate(cases.values()):
        (folder / f"{i:03d}.eml").write_bytes(raw)
    done = run_cli(spool, *sorted(str(p) for p in folder.iterdir()), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert b"Traceback" not in done.stderr
    kept = [n for s in ("processed", "unrecognized") for n in spool.files(s) if not n.endswith(".why")]
    assert len(kept) == len(cases)
    tally("hostile inputs fed to bounce-ingest", len(cases))


# -- hostile arguments and config --------------------------------------------------------------
COMMANDS = [("mq-flush",), ("mq-list",), ("mq-ctl", "hold", "0660D556D18FD1CFF1EB75"), ("bounce-sweep",),
            ("bounce-status", "a@example.org"), ("bounce-enable", "a@example.org"),
            ("bounce-ingest", "--retry-incoming"), ("mq-send", "-f", "a@example.org", "b@example.net")]


@pytest.mark.parametrize("text, key", [('[transport]\nhots = "x"\n', "transport.hots"),
                                       ('[retry]\nmax_attempts = "ten"\n', "retry.max_attempts"),
                                       ('spoool = "/tmp"\n', "spoool"),
                                       ('[bounce]\nmax_bounce_count = 1.5\n', "bounce.max_bounce_count")])
def test_a_mistyped_config_key_is_78_naming_it_in_every_command(tmp_path, text, key):
    cli = Cli(tmp_path / "spool", write_config(tmp_path / "bad.toml", text))
    for argv in COMMANDS:
        done = cli(*argv, input=message())
        assert done.returncode == 78, (argv, done.stderr)
        assert key in done.stderr.decode(), (argv, done.stderr)
    # The alias pipe answers only 0 or 75 (Postfix discards a bounce on anything else): 75, naming the key.
    done = cli("bounce-ingest", input=FROM_LINE + b"Subject: x\n\nhello\n")
    assert done.returncode == 75 and key in done.stderr.decode()


def test_the_spool_secret_with_loose_permissions_is_fixed_and_said(cli, smtp, spool_dir):
    send(cli, "a@example.net")
    assert flush(cli)["sent"] == 1
    secret = spool_dir / "secret"
    os.chmod(secret, 0o644)
    send(cli, "b@example.net")
    done = cli("mq-flush", "--json")
    assert done.returncode == 0
    assert b"secret" in done.stderr and b"0600" in done.stderr
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_a_password_file_open_to_everyone_is_fixed_and_said(cli, smtp, spool_dir, tmp_path):
    password = tmp_path / "smtp.pass"
    password.write_text("hunter2\n")
    os.chmod(password, 0o644)
    config = smtp_config(tmp_path / "auth.toml", smtp.port, f"""
username = "app"
password_file = "{password}"
""")
    authed = Cli(spool_dir, config)
    send(authed, "a@example.net")
    done = authed("mq-flush", "--json")
    assert done.returncode == 0, done.stderr
    assert b"password_file" in done.stderr and b"0640" in done.stderr, done.stderr
    assert stat.S_IMODE(password.stat().st_mode) == 0o640
    done = authed("mq-flush", "--json")
    assert b"password_file" not in done.stderr  # said once, when it was fixed


def test_a_dkim_key_open_to_everyone_is_fixed_and_said(cli, spool_dir, tmp_path):
    nacl_signing = pytest.importorskip("nacl.signing")
    key_file = tmp_path / "dkim.key"
    key_file.write_bytes(base64.b64encode(bytes(nacl_signing.SigningKey.generate())))
    os.chmod(key_file, 0o604)
    signer = Cli(spool_dir, write_config(tmp_path / "dkim.toml",
                                         f'[dkim]\nselector="m"\ndomain="example.org"\nkey_file="{key_file}"\n'))
    done = signer("mq-send", "-f", "a@example.org", "b@example.net", input=message())
    assert done.returncode == 0, done.stderr
    assert b"dkim.key_file" in done.stderr and b"0600" in done.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..", "0660D4E0CC45D44ADE607B/../x", "/etc/passwd"])
def test_mq_flush_id_refuses_paths(cli, spool_dir, bad):
    Spool(str(spool_dir)).ensure()
    done = cli("mq-flush", "--id", bad)
    assert done.returncode == 65 and "not a queue id" in done.stderr.decode()


def test_quoted_and_non_ascii_addresses_are_delivered_as_given(cli, smtp, spool_dir):
    rcpts = ['"john doe"@example.net', "jürgen@example.de", "o'brien+tag@example.net", '"a\\"b"@example.net']
    done = cli("mq-send", "-f", "app@example.org", *rcpts, input=message())
    assert done.returncode == 0, done.stderr
    assert flush(cli)["sent"] == len(rcpts)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(rcpts)


def test_symlinks_in_the_spool_lead_nowhere_outside(cli, smtp, spool_dir, tmp_path):
    """Planted links in every state and in bounces/: never read, written, moved or deleted through."""
    outside = tmp_path / "outside"
    outside.write_text("precious\n")
    send(cli, "a@example.net")
    assert flush(cli)["sent"] == 1
    fake_id = "0660D4E0CC45D44ADE607B"
    for state in ("queued", "deferred", "held", "sent", "dropped"):
        os.symlink(outside, spool_dir / state / fake_id)
    bounces = spool_dir / "bounces"
    for state in ("incoming", "processed", "unrecognized"):
        (bounces / state).mkdir(parents=True, exist_ok=True)
        os.symlink(outside, bounces / state / "0660D4E0CC45D44ADE607C")
    old = time.time() - 86400 * 400
    os.utime(outside, (old, old))  # "old enough to purge", if the sweep looked through the link
    assert len(rows(cli)) == 1  # mq-list skips them
    assert flush(cli)["sent"] == 0
    assert cli("mq-ctl", "delete", fake_id).returncode == 65  # not a message of the spool
    assert cli("mq-ctl", "hold", fake_id).returncode == 65
    done = cli("bounce-ingest", "--retry-incoming", now=time.time() + 3600)
    assert done.returncode == 0, done.stderr
    done = cli("bounce-sweep", now=time.time() + 86400 * 365)
    assert done.returncode == 0, done.stderr
    assert outside.read_text() == "precious\n"


# -- network faults over many messages ---------------------------------------------------------
class _Faulty:
    """Per-recipient misbehaviour at the end of DATA: drop the connection, 421, or accept then drop."""

    def __init__(self, recorder, faults: dict[str, str]) -> None:  # noqa: ANN001
        self.recorder, self.faults = recorder, faults
        self.original = recorder.handle_DATA

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        fault = self.faults.get(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None
        if fault == "drop":
            server.transport.close()
            return "421 dropped"
        if fault == "421":
            return "421 4.3.2 shutting down"
        if fault == "accept-then-drop":  # the reply after the final dot is lost: the one duplicate case
            await self.original(server, session, envelope)
            server.transport.close()
            return "250 lost"
        return await self.original(server, session, envelope)


def test_faults_mid_batch_defer_only_their_message_and_duplicate_only_it(cli, smtp, spool_dir, config_file):
    ids = enqueue(spool_dir, config_file, 60)
    faults = {"r7@example.net": "drop", "r23@example.net": "421", "r41@example.net": "accept-then-drop"}
    faulty = _Faulty(smtp.recorder, faults)
    smtp.recorder.handle_DATA = faulty.handle_DATA
    first = subprocess.run([command_path("mq-flush"), "--json"], env=flush_env(cli), capture_output=True)
    assert first.returncode == 0, first.stderr
    deferred = {r["recipients"][0] for r in rows(cli) if r["state"] == "deferred"}
    assert deferred == set(faults)
    faults.clear()
    later = dict(flush_env(cli), MAILTOOLS_NOW=str(time.time() + 3600))
    again = subprocess.run([command_path("mq-flush"), "--json"], env=later, capture_output=True)
    assert again.returncode == 0, again.stderr
    received = collections.Counter(m.rcpt_tos[0] for m in smtp.wait_for(61))
    assert set(received) == set(ids.values())
    duplicates = {r: n for r, n in received.items() if n > 1}
    assert duplicates == {"r41@example.net": 2}  # the accepted message whose reply was lost, nothing else
    tally("network faults: duplicates (reply lost after the final dot)", sum(n - 1 for n in duplicates.values()))


def test_a_server_slower_than_the_timeout_defers_the_batch_once(cli, smtp, spool_dir, tmp_path, config_file):
    enqueue(spool_dir, config_file, 12)
    smtp.behaviour.stall_seconds = 2
    impatient = Cli(spool_dir, smtp_config(tmp_path / "fast.toml", smtp.port, "timeout = 0.5\n"))
    started = time.monotonic()
    done = subprocess.run([command_path("mq-flush"), "--json"], env=flush_env(impatient), capture_output=True)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 15  # each connection times out once, not once per message
    assert {r["state"] for r in rows(cli)} == {"deferred"}
    smtp.behaviour.stall_seconds = 0
    later = dict(flush_env(cli), MAILTOOLS_NOW=str(time.time() + 3600))
    assert subprocess.run([command_path("mq-flush")], env=later).returncode == 0
    time.sleep(2.5)  # the stalled transactions of the first run finish on the server side meanwhile
    received = collections.Counter(m.rcpt_tos[0] for m in smtp.messages)
    assert len(received) == 12
    # A stalled DATA that the server completes after our timeout is a lost reply: those may arrive twice.
    tally("network faults: duplicates after a stall past the timeout", sum(n - 1 for n in received.values()))
