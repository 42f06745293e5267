"""What every command shares (cli/common.py, cli/exits.py): a spool that is missing or not
ours is an error naming the path (75, 77), never an empty answer and never a new spool."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, command_path, message, smtp_config

from mailtools.outbound.spool import Spool

READERS_AND_WRITERS = [
    ("mq-flush",), ("mq-list",), ("mq-ctl", "hold", "0660D556D18FD1CFF1EB75"), ("bounce-sweep",),
    ("bounce-status",), ("bounce-status", "a@example.org"), ("bounce-enable", "a@example.org"),
    ("bounce-ingest", "--retry-incoming"), ("bounce-ingest", "--maildir", "{maildir}"),
    ("bounce-ingest", "{dsn}"),
]


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    return tmp_path / "Maildir"


@pytest.mark.parametrize("argv", READERS_AND_WRITERS, ids=" ".join)
def test_a_mistyped_spool_is_75_naming_it_and_creates_nothing(cli: Cli, spool_dir: Path, maildir: Path,
                                                               tmp_path: Path, argv: tuple[str, ...]) -> None:
    dsn = tmp_path / "dsn.eml"
    dsn.write_bytes(message())
    args = [a.format(maildir=maildir, dsn=dsn) for a in argv]
    done = cli(*args)
    assert done.returncode == 75, done.stderr
    assert f"spool {spool_dir} does not exist" in done.stderr.decode()
    assert not spool_dir.exists() and done.stdout == b""


def test_the_alias_pipe_with_a_missing_spool_is_75_and_mq_send_makes_the_spool(cli: Cli, spool_dir: Path) -> None:
    done = cli("bounce-ingest", input=message())  # Postfix keeps the bounce and retries
    assert done.returncode == 75 and not spool_dir.exists()
    assert cli("mq-send", "-f", "a@example.org", "b@example.net", input=message()).returncode == 0
    assert cli("mq-list").returncode == 0


def test_a_spool_path_that_is_a_file_is_75(cli: Cli, spool_dir: Path) -> None:
    spool_dir.write_text("not a spool")
    done = cli("mq-list")
    assert done.returncode == 75 and f"spool {spool_dir} is not a directory" in done.stderr.decode()


def test_an_smtp_listener_on_a_port_in_use_is_69_naming_the_address(cli: Cli, spool_dir: Path) -> None:
    Spool(str(spool_dir)).ensure()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("bounce-ingest", "--smtp", f"127.0.0.1:{port}", timeout=30)
    assert done.returncode == 69, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr.decode()


def test_an_empty_maildir_dry_run_does_not_read_standard_input(cli: Cli, spool_dir: Path, maildir: Path) -> None:
    Spool(str(spool_dir)).ensure()
    reader, writer = os.pipe()  # never written to nor closed: a read would hang until the timeout
    try:
        done = subprocess.run([command_path("bounce-ingest"), "--maildir", str(maildir), "--dry-run", "--json"],
                              stdin=reader, capture_output=True, env=cli.env, timeout=20)
    finally:
        os.close(reader)
        os.close(writer)
    assert (done.returncode, done.stdout) == (0, b""), done.stderr


# -- as another user ---------------------------------------------------------------


def python_for(user: str) -> list[str] | None:
    """An interpreter ``user`` may run that imports the installed mailtools, or None.

    The venv's python is often a link into /root (pyenv), out of other users'
    reach: then the system's python of the same version runs the venv's
    site-packages (same ABI, so the C extensions load).
    """
    site = sysconfig.get_paths()["purelib"]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for interpreter in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        argv = [interpreter, "-c", f"import sys; sys.path.insert(0, {site!r}); import click, mailtools"]
        done = subprocess.run(["runuser", "-u", user, "--", *argv], capture_output=True)
        if done.returncode == 0:
            return [interpreter, "-c", f"import sys; sys.path.insert(0, {site!r}); "
                    "from mailtools.cli.{module} import main; sys.argv[0] = {name!r}; main()"]
    return None


def run_as(user: str, cli: Cli, name: str, *args: str) -> subprocess.CompletedProcess:
    python = python_for(user)
    if os.geteuid() != 0 or shutil.which("runuser") is None or python is None:
        pytest.skip(f"needs root, runuser and a python {user} can run")
    code = python[2].format(module=name.replace("-", "_"), name=name)
    return subprocess.run(["runuser", "-u", user, "--", python[0], "-c", code, *args], capture_output=True,
                          env=cli.env, timeout=60, cwd="/")


@pytest.fixture
def shared(smtp) -> Iterator[Cli]:  # noqa: ANN001 - the SmtpServer fixture
    """Commands on a spool made and used by root (one message delivered, one queued), in a
    directory other users can reach (pytest's tmp_path is not), its config readable by all."""
    base = Path(tempfile.mkdtemp(prefix="mtperm-", dir="/tmp"))
    try:
        base.chmod(0o755)
        config = smtp_config(base / "mailtools.toml", smtp.port)
        config.chmod(0o644)
        cli = Cli(base / "spool", config)
        assert cli("mq-send", "-f", "a@example.org", "b@example.net", input=message()).returncode == 0
        assert cli("mq-flush").returncode == 0
        queued = cli("mq-send", "-f", "a@example.org", "c@example.net", input=message())
        assert queued.returncode == 0
        (base / "queued-id").write_text(queued.stdout.decode().strip())
        yield cli
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("root_mode", [0o751, 0o755], ids=["spool-0751", "spool-0755"])
@pytest.mark.parametrize("argv", [("mq-list",), ("mq-list", "--json"), ("mq-flush",), ("mq-ctl", "hold", "{id}"),
                                  ("bounce-status",), ("bounce-status", "b@example.net"),
                                  ("bounce-enable", "b@example.net")], ids=" ".join)
def test_another_user_gets_77_naming_the_path_never_70_nor_an_empty_answer(
        shared: Cli, root_mode: int, argv: tuple[str, ...]) -> None:
    root_spool = Path(shared.env["MAILTOOLS_SPOOL"])
    root_spool.chmod(root_mode)
    before = sorted(str(p) for p in root_spool.rglob("*"))
    queue_id = (root_spool.parent / "queued-id").read_text()
    done = run_as("nobody", shared, *(a.format(id=queue_id) for a in argv))
    stderr = done.stderr.decode()
    assert done.returncode == 77, stderr
    assert str(root_spool) in stderr and "permission denied" in stderr.lower() and "bug" not in stderr
    assert done.stdout == b""  # not "No addresses with bounces.", not an empty queue
    assert sorted(str(p) for p in root_spool.rglob("*")) == before  # and nothing changed


def test_an_unreadable_state_database_is_77_not_no_record(shared: Cli) -> None:
    root_spool = Path(shared.env["MAILTOOLS_SPOOL"])
    root_spool.chmod(0o755)
    (root_spool / "db").chmod(0o755)
    (root_spool / "db" / "state.sqlite").chmod(0o600)
    done = run_as("nobody", shared, "bounce-status", "--json", "b@example.net")
    assert done.returncode == 77, done.stderr
    assert f"cannot read the state database file {root_spool}/db/state.sqlite" in done.stderr.decode()
