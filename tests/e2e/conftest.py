"""Fixtures for the end-to-end tests against a real Postfix (see postfix_instance.py).

`postfix`: the machine's Postfix, installed if missing, configured for loopback-only
test delivery, started; stopped and put back at the end, also when a test fails.
`mailtools`: the repo installed into the service user's venv, its commands run as
that user. Both are session-scoped: Postfix starts once per run.
"""

from __future__ import annotations

import shutil
import time

import pytest

from . import postfix_instance as pi

# Round-trip times measured by the tests, printed at the end of the run.
ROUND_TRIPS: dict[str, float] = {}

# Harness self-test aliases in the service user's map: one stores what it gets, one
# fails temporarily (exit 75, EX_TEMPFAIL) the way bounce-ingest does on a bad spool.
PROBE_ALIASES = {
    "e2eprobe": f'"|cat >> {pi.PROBE_OUT}"',
    "e2etempfail": '"|exit 75"',
}


def pytest_terminal_summary(terminalreporter):
    if ROUND_TRIPS:
        terminalreporter.section("mailtools e2e round trips (mq-flush start -> bounce-status record)")
        for name, seconds in ROUND_TRIPS.items():
            terminalreporter.write_line(f"{name}: {seconds:.2f} s")


@pytest.fixture(scope="session")
def postfix():
    if not pi.is_root():
        if not pi.postfix_installed():
            pytest.skip("e2e: Postfix is not installed and installing it needs root "
                        "(run as root, or apt-get install postfix)")
        pytest.fail("e2e: configuring and starting Postfix needs root; run the suite as root "
                    "(CI does), or deselect these tests with -m 'not e2e'", pytrace=False)
    with pi.session_lock():
        missing = pi.missing_packages()
        if missing:
            t0 = time.monotonic()
            pi.apt_install(missing)
            print(f"e2e: installed {' '.join(missing)} in {time.monotonic() - t0:.1f} s")
        pf = pi.Postfix()
        pf.take_over()
        try:
            pf.configure_base()
            shutil.rmtree(pi.SPOOL, ignore_errors=True)
            configs = pi.write_configs()
            pi.PROBE_OUT.unlink(missing_ok=True)
            print(pi.setup_service_user(pf, extra_aliases=PROBE_ALIASES), end="")
            pf.configs = configs
            pf.start()
            yield pf
        finally:
            pf.give_back()


@pytest.fixture(scope="session")
def mailtools(postfix):
    t0 = time.monotonic()
    venv = pi.install_mailtools()
    print(f"e2e: installed mailtools into {venv} in {time.monotonic() - t0:.1f} s")
    return pi.Service(venv, postfix.configs)


@pytest.fixture
def record_round_trip():
    """record_round_trip(name, seconds): shown in the summary at the end of the run."""
    return ROUND_TRIPS.__setitem__


@pytest.fixture
def maillog(postfix):
    """The tail of Postfix's log, for assertion messages."""
    return postfix.log_tail
