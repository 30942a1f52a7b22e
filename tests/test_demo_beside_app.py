"""The demo county lives beside the app (issue 12.3): nothing in pwposts outside pwposts/demo/ imports
it, not even lazily inside a function; `pwposts demo` reaches the CLI through an entry point."""

from __future__ import annotations

import ast
from pathlib import Path

import pwposts

PACKAGE = Path(pwposts.__file__).parent
DEMO = PACKAGE / "demo"


def _module_of(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement in `path` names, absolute (relative ones resolved)."""
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, stem))
            found += [(node.lineno, f"{stem}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value == "pwposts.demo" or node.value.startswith("pwposts.demo."):
                found.append((node.lineno, node.value))  # importlib.import_module("pwposts.demo")
    return found


def test_nothing_outside_the_demo_imports_it():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if DEMO in path.parents:
            continue
        for line, name in _imported(path):
            if name == "pwposts.demo" or name.startswith("pwposts.demo."):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert not offenders, "the app must not import the demo:\n" + "\n".join(offenders)


def test_the_scan_resolves_relative_imports():
    # the scan itself: relative imports, at the top and inside functions, come out as absolute names
    names = [name for _line, name in _imported(PACKAGE / "cli.py")]
    assert "pwposts.extensions" in names  # `from .extensions import db`
    assert "pwposts.services.audit" in names  # `from .services.audit import …` inside a function


def test_the_demo_command_is_registered_by_entry_point(app):
    assert "demo" in app.cli.commands
    assert app.cli.commands["demo"].callback.__module__.startswith("pwposts.demo")
