"""The manual pages: one per installed command and mailtools.toml(5), built the way
`make man` builds them, rendered by groff without a warning, listing every option the
command's own --help lists and every key the config module reads."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import ROOT, command_path

from mailtools.cli import manpages

GROFF = shutil.which("groff")
pytestmark = pytest.mark.skipif(GROFF is None, reason="groff is missing: make test installs groff-base")


def console_scripts_in_setup_cfg() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    lines = parser["options.entry_points"]["console_scripts"].strip().splitlines()
    return [line.split("=", 1)[0].strip() for line in lines]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("man")
    done = subprocess.run([sys.executable, "-m", "mailtools.cli.manpages", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return out


def render(page: Path) -> str:
    """The page as a reader sees it; groff's warnings (-ww) fail the test."""
    # From the top of the man tree, where a second name's ".so man1/NAME.1" is resolved.
    done = subprocess.run([GROFF, "-man", "-Tutf8", "-ww", "-rLL=200n", str(page)],
                          capture_output=True, timeout=60, cwd=page.parent.parent)
    assert done.stderr == b"", f"groff warns about {page.name}:\n{done.stderr.decode()}"
    text = re.sub(r".\x08", "", done.stdout.decode())  # overstrike bold/underline
    return text.replace("\u2010", "-").replace("\u2212", "-")  # groff's hyphen and minus glyphs


def help_options(command: str) -> set[str]:
    """Every flag in the Options section of `command --help` (the installed command)."""
    done = subprocess.run([command_path(command), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # the section ends at its first blank line (an epilog may follow)
    section = done.stdout.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    flags = set()
    for line in section.splitlines():
        first = re.match(r"  (-\S+(?:, -\S+)*)", line)  # continuation lines are indented further
        if first:
            flags.update(flag.split()[0] for flag in first.group(1).split(", "))
    assert flags, f"no options parsed from {command} --help:\n{done.stdout}"
    return flags


def test_a_page_for_every_console_script(pages):
    names = console_scripts_in_setup_cfg()
    assert sorted(names) == sorted(manpages.console_scripts()), "the installed package is stale: make venv"
    assert sorted(p.stem for p in (pages / "man1").glob("*.1")) == sorted(names)
    assert (pages / "man5" / "mailtools.toml.5").is_file()


@pytest.mark.parametrize("command", console_scripts_in_setup_cfg())
def test_page_lists_every_option_of_help_and_renders_cleanly(pages, command):
    text = render(pages / "man1" / f"{command}.1")
    assert re.search(rf"^NAME\n\s+{re.escape(command)} - \S", text, re.M), text[:400]
    options = re.search(r"^OPTIONS\n(.*?)^\S", text, re.M | re.S).group(1)
    missing = [flag for flag in sorted(help_options(command))
               if not re.search(rf"^\s+(\S+, )*{re.escape(flag)}([\s,=]|$)", options, re.M)]
    assert not missing, f"{command}.1 lacks options that {command} --help lists: {missing}"
    # click's no-rewrap marker and roff escapes must not leak into the text.
    assert "\x08" not in (pages / "man1" / f"{command}.1").read_text()


def test_mq_send_page_keeps_the_examples_verbatim(pages):
    text = render(pages / "man1" / "mq-send.1")
    assert "printf 'Subject: hi\\n\\nhello\\n' | mq-send -f app@example.org bob@example.net" in text


def test_config_page_has_every_key_the_config_module_reads(pages):
    text = render(pages / "man5" / "mailtools.toml.5")
    keys = manpages.config_keys()
    assert {table for table, *_ in keys} >= {"", "transport", "retry", "bounce", "dkim", "packages.*"}
    sections = re.split(r"^(?=\S)", text, flags=re.M)
    for table, key, _kind, _default in keys:
        heading = f'[{table[:-2]}."' if table.endswith(".*") else (f"[{table}]" if table else "TOP LEVEL")
        section = next((s for s in sections if s.startswith(heading)), "")
        assert re.search(rf"^\s+{re.escape(key)}\b", section, re.M), f"{table}.{key} missing under {heading}"
    # Defaults come from the config module itself, not from a copy.
    assert 'port = 25  (integer)' in text and 'prefix = "bounce"  (string)' in text


def test_every_key_read_by_the_config_module_is_described():
    undocumented = [f"{t}.{k}" if t else k for t, k, *_ in manpages.config_keys()
                    if (f"{t}.{k}" if t else k) not in manpages.KEY_HELP]
    assert not undocumented, f"describe these keys in mailtools/cli/manpages.py KEY_HELP: {undocumented}"


def test_a_group_gets_each_subcommand_with_its_options(tmp_path):
    """mailtools-db init|migrate|copy-style commands: one page, a section per subcommand."""
    @click.group(help="Manage the thing.")
    def tool():
        pass

    @tool.command(help="Copy FROM to TO.\n\n\b\nExample:\n  tool copy a b")
    @click.option("--dry-run", is_flag=True, help="Say what would be copied.")
    @click.argument("source")
    def copy(dry_run, source):
        pass

    page = tmp_path / "tool.1"
    page.write_text(manpages.command_page("tool", tool, [("tool", 1), ("mailtools.toml", 5)]))
    text = render(page)
    commands = text.split("\nCOMMANDS\n", 1)[1]
    assert re.search(r"^\s+copy\n\s+tool copy \[OPTIONS\] SOURCE", commands, re.M), commands
    assert re.search(r"^\s+--dry-run\n\s+Say what would be copied\.", commands, re.M), commands
    assert "  tool copy a b" in commands


def test_a_second_name_for_one_command_is_a_link_to_its_page(tmp_path):
    """A console script that is another name for a command (as mailq or sendmail would be)."""
    target = manpages.console_scripts()["mq-send"]
    manpages.write_pages(tmp_path, {"mq-send": target, "mailq": target})
    assert (tmp_path / "man1" / "mailq.1").read_text() == ".so man1/mq-send.1\n"
    assert render(tmp_path / "man1" / "mailq.1") == render(tmp_path / "man1" / "mq-send.1")
