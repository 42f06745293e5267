"""What per-recipient List-Unsubscribe costs the drain: DKIM signed once at enqueue vs per recipient.

    python bench/unsubscribe_sign.py [--messages 200] [--recipients 5] [--runs 3]

Each run queues ``--messages`` 1.5 KB messages of ``--recipients`` recipients
each (through mailtools.outbound.submit, in this process: enqueue is not what
is measured), then times one ``mq-flush --json`` (installed command, default
``transport.connections``) from exec to exit, delivering to Postfix's
smtp-sink on loopback. Modes, each with DKIM on ([dkim], RSA-2048 and ed25519):

- ``once``: no --unsubscribe; the message is signed once at enqueue and sent
  as it is to every recipient (what every message did before);
- ``per-recipient``: --unsubscribe; each copy gets its own List-Unsubscribe
  (token, mailto) and is signed at delivery, once per recipient.

The figure is recipients delivered per second, the median over runs; runs of
the two modes alternate so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

SECTION = "unsubscribe"
MODES = ("once", "per-recipient")


def make_key(directory: Path, kind: str) -> Path:
    path = directory / f"{kind}.key"
    if kind == "RSA-2048":
        subprocess.run(["openssl", "genrsa", "-out", str(path), "2048"], check=True, capture_output=True)
    else:
        import nacl.signing

        path.write_bytes(base64.b64encode(bytes(nacl.signing.SigningKey.generate())) + b"\n")
    path.chmod(0o600)
    return path


def once(mode: str, key: Path, messages: int, recipients: int, sink_port: int) -> dict:
    from mailtools.config import load_config
    from mailtools.outbound.spool import Spool
    from mailtools.outbound.submit import submit
    from mailtools.secret import load_secret

    with tempfile.TemporaryDirectory(prefix="bench-unsub-", dir="/var/tmp") as tmp:
        spool = Path(tmp) / "spool"
        Spool(str(spool)).ensure()
        load_secret(str(spool))
        config_path = common.write_config(Path(tmp) / "mailtools.toml", spool, sink_port, extra=(
            f'\n[dkim]\nselector = "mail"\ndomain = "example.org"\nkey_file = "{key}"\n'
            '\n[unsubscribe]\nurl = "https://example.org/mail/unsubscribe?token={token}"\n'))
        config = load_config(str(config_path))
        for i in range(messages):
            rcpts = [f"user{i}.{r}@example.com" for r in range(recipients)]
            submit(config, Spool(str(spool)), common.message(i), "app@example.org", rcpts,
                   unsubscribe=mode == "per-recipient")
        run = common.timed_flush(config_path, spool, messages)
    return {**run, "rate": messages * recipients / run["seconds"]}


def measure(messages: int = 200, recipients: int = 5, runs: int = 3) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-keys-") as keys, common.smtp_sink() as port:
        for kind in ("RSA-2048", "ed25519"):
            key = make_key(Path(keys), kind)
            results: dict[str, list[dict]] = {mode: [] for mode in MODES}
            for run in range(runs):
                for mode in MODES:
                    results[mode].append(once(mode, key, messages, recipients, port))
                    print(f"{kind} run {run + 1} {mode}: {results[mode][-1]['rate']:.0f} rcpt/s", file=sys.stderr)
            rates = {mode: common.median(r["rate"] for r in results[mode]) for mode in MODES}
            command = (f"python bench/unsubscribe_sign.py --messages {messages} --recipients {recipients}"
                       f" --runs {runs}")
            for mode in MODES:
                rows.append(common.row(SECTION, f"drain {messages}x{recipients} rcpts, {kind}, signed {mode}",
                                       f"{rates[mode]:.0f} rcpt/s", command=command, load=results[mode][0]["load"],
                                       value=rates[mode], runs=results[mode]))
            ratio = rates["per-recipient"] / rates["once"]
            rows.append(common.row(SECTION, f"per-recipient/once, {kind}", f"{ratio:.2f}x", command=command,
                                   load=max(r["load"] for mode in MODES for r in results[mode]), value=ratio))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--recipients", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    common.print_rows(measure(args.messages, args.recipients, args.runs))


if __name__ == "__main__":
    main()
