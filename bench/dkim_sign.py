"""DKIM: milliseconds per signature with mailtools.outbound.dkimsign.sign, RSA-2048 and ed25519.

    python bench/dkim_sign.py [--count 200] [--runs 3]

Keys: ``openssl genrsa 2048`` and a nacl SigningKey (32 bytes, base64), in a
temporary directory. Each run signs ``--count`` 1.5 KB messages in one process
(the key is read once per process, as in mq-send or maildrop intake); the
figure is the median over runs of the mean per signature. dkimpy's import
(~80 ms, paid once per process that signs) is done before timing and reported.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

SECTION = "dkim"


def make_keys(directory: Path) -> dict[str, Path]:
    rsa = directory / "rsa.key"
    subprocess.run(["openssl", "genrsa", "-out", str(rsa), "2048"], check=True, capture_output=True)
    import nacl.signing

    ed = directory / "ed25519.key"
    ed.write_bytes(base64.b64encode(bytes(nacl.signing.SigningKey.generate())) + b"\n")
    for key in (rsa, ed):
        key.chmod(0o600)  # a private key open to others is refused or fixed (with a warning)
    return {"RSA-2048": rsa, "ed25519": ed}


def measure(quick: bool = False, count: int | None = None, runs: int | None = None) -> list[dict]:
    count = count or (50 if quick else 200)
    runs = runs or (1 if quick else 3)
    started = time.perf_counter()
    import dkim  # noqa: F401  (what the first signature of a process pays)

    import_ms = (time.perf_counter() - started) * 1000
    from mailtools.config import Dkim
    from mailtools.outbound.dkimsign import sign

    messages = [common.message(i) for i in range(count)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dkim-") as tmp:
        for name, key in make_keys(Path(tmp)).items():
            config = Dkim(selector="bench", domain="example.org", key_file=str(key))
            sign(config, messages[0])  # reads and caches the key
            load = common.load()
            per_run = []
            for _ in range(runs):
                started = time.perf_counter()
                for m in messages:
                    signed = sign(config, m)
                per_run.append((time.perf_counter() - started) * 1000 / count)
            if not signed.startswith(b"DKIM-Signature:"):
                raise RuntimeError(f"{name}: no DKIM-Signature header")
            ms = common.median(per_run)
            rows.append(common.row(SECTION, f"DKIM sign {name}", f"{ms:.2f} ms/signature",
                                   command=f"python bench/dkim_sign.py --count {count} --runs {runs}",
                                   load=load, value=ms, runs_ms=per_run, dkimpy_import_ms=import_ms))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    common.print_rows(measure(count=args.count, runs=args.runs))


if __name__ == "__main__":
    main()
