"""The library never reaches into the command layer: no import of mailtools.cli, no
sys.exit, print(), os._exit or sys.stdin outside mailtools/cli (DESIGN.md "The commands").

Rerun by hand for the whole graph: python tests/test_import_graph.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mailtools"
FORBIDDEN_CALLS = {("sys", "exit"), ("os", "_exit")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The mailtools modules ``path`` imports (relative imports resolved), at any depth."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "mailtools" or m.startswith("mailtools.")}


def escapes(path: Path) -> list[str]:
    """What a library module does that only a command may: exit, print, read stdin."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"{path.name}:{node.lineno}: print()")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            if pair in FORBIDDEN_CALLS or pair == ("sys", "stdin"):
                found.append(f"{path.name}:{node.lineno}: {pair[0]}.{pair[1]}")
    return found


def library_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)


def test_the_library_never_imports_the_commands() -> None:
    offenders = {module_name(p): sorted(m for m in imports(p) if m.startswith("mailtools.cli"))
                 for p in library_modules()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_library_never_exits_prints_or_reads_stdin() -> None:
    assert [line for p in library_modules() for line in escapes(p)] == []


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    # A checker that finds nothing anywhere would pass the two tests above for nothing.
    sample = PACKAGE / "cli" / "bounce_ingest.py"
    assert "mailtools.cli.common" in imports(sample)
    assert any("sys.stdin" in line for line in escapes(sample))
    assert any("sys.exit" in line for line in escapes(PACKAGE / "cli" / "mq_send.py"))


if __name__ == "__main__":
    # The import graph, one "module -> imported mailtools modules" line each.
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(p) for p in paths}
    for path in paths:
        targets = sorted(m for m in imports(path) & known if m != module_name(path) and m != "mailtools")
        print(f"{module_name(path)} -> {' '.join(targets)}", file=sys.stdout)
