"""Fixtures for the end-to-end tests against a real Postfix (see postfix_instance.py).

`postfix`: the suite's own Postfix instance (Postfix installed from Debian's packages if
missing), created fresh, started on loopback ports of its own; stopped at the end, also
when a test fails. The machine's own Postfix is left alone: its fingerprint is taken before
and compared after (a difference fails the session's teardown).
`mailtools`: the commands installed by mailtools-setup --install-to, run as the service
user. Both are session-scoped: the instance starts once per run.
"""

from __future__ import annotations

import shutil
import time

import pytest

from . import deployment as dep
from . import postfix_instance as pi

# Round-trip times measured by the tests, printed at the end of the run.
ROUND_TRIPS: dict[str, float] = {}

# Harness self-test aliases in the service user's map: one stores what it gets, one
# fails temporarily (exit 75, EX_TEMPFAIL) the way bounce-ingest does on a bad spool.
PROBE_ALIASES = {
    "e2eprobe": f'"|cat >> {dep.PROBE_OUT}"',
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
        pytest.fail("e2e: the service user and the Postfix instance need root; run the suite as root "
                    "(CI does), or deselect these tests with -m 'not e2e'", pytrace=False)
    with pi.session_lock():
        missing = dep.missing_packages(pi.postfix_installed())
        if missing:
            t0 = time.monotonic()
            pi.apt_install(missing)
            print(f"e2e: installed {' '.join(missing)} in {time.monotonic() - t0:.1f} s")
        before = pi.SystemPostfix.fingerprint()  # after apt: installing is allowed to change it
        # The service user's group is the instance's setgid_group (see postfix_instance.py):
        # it must exist before the instance; mailtools-setup then makes the user in it.
        dep.ensure_group(dep.SERVICE_USER)
        instance = pi.PostfixInstance(setgid_group=dep.SERVICE_USER)
        try:
            instance.create()
            shutil.rmtree(dep.SPOOL, ignore_errors=True)  # a fresh spool for every run
            configs = dep.write_configs(instance)
            dep.PROBE_OUT.unlink(missing_ok=True)
            t0 = time.monotonic()
            print(dep.setup_service_user(instance, extra_aliases=PROBE_ALIASES, install=True), end="")
            print(f"e2e: mailtools-setup --install-to {dep.E2E_ROOT} took {time.monotonic() - t0:.1f} s")
            instance.configs = configs
            instance.system_before = before
            instance.start()
            yield instance
        finally:
            instance.stop()
        after = pi.SystemPostfix.fingerprint()
        assert after == before, f"the machine's Postfix changed during the e2e run:\nbefore {before}\nafter  {after}"


@pytest.fixture(scope="session")
def mailtools(postfix):
    dep.installed_commands()
    return dep.Service(dep.BIN, postfix.configs)


@pytest.fixture
def record_round_trip():
    """record_round_trip(name, seconds): shown in the summary at the end of the run."""
    return ROUND_TRIPS.__setitem__


@pytest.fixture
def maillog(postfix):
    """The tail of the instance's log, for assertion messages."""
    return postfix.log_tail
