"""Role names decide nothing outside the permissions module: views, API handlers, services and templates
ask can(actor, "action") (services/permissions.py), and domain/roles.py says which roles may do what.

Flagged outside the allowed files: importing a role constant (COUNTY_ADMIN …) from domain/roles.py, a
comparison involving `<x>.role` (unless against a request value, e.g. the user list's role filter), a
role name as a string in a comparison; in templates, `.role ==`/`!=`/`in` and a quoted role name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pwposts.domain.roles import ROLES

ROOT = Path(__file__).resolve().parents[2]
ROLE_CONSTANTS = {"COUNTY_ADMIN", "TOWNSHIP_CLERK", "VILLAGE_CLERK", "INSPECTOR", "HOLDER"}
# Files where roles are meant to be named, and why.
ALLOWED = {
    "pwposts/domain/roles.py",  # the table: role -> actions
    "pwposts/services/permissions.py",  # the one place the table is applied
    "pwposts/models/accounts.py",  # the role column's CHECK constraint
    "pwposts/services/accounts.py",  # creating an account of a given role (a holder has no region)
    "pwposts/services/county_setup.py",  # `pwposts init` creates the first county admin
}
ALLOWED_PREFIXES = ("pwposts/demo",)  # the demo creates its users


def _is_role_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "role"


def _role_strings(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value in ROLES for n in ast.walk(node))


def python_findings(source: str, name: str) -> list[str]:
    """Role-based decisions in one Python module's source, as 'name:line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("roles"):
            for alias in node.names:
                if alias.name in ROLE_CONSTANTS:
                    found.append(f"{name}:{node.lineno}: imports the role {alias.name}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_role_attr(s) for s in sides):
                others = [s for s in sides if not _is_role_attr(s)]
                if not all(isinstance(s, ast.Subscript) for s in others):
                    found.append(f"{name}:{node.lineno}: compares .role")
            elif any(_role_strings(s) for s in sides):
                found.append(f"{name}:{node.lineno}: compares with a role name")
    return found


TEMPLATE_ROLE = re.compile(
    r"\.role\s*(==|!=|\bin\b|\bnot in\b)|['\"](" + "|".join(ROLES) + r")['\"]",
)


def template_findings(text: str, name: str) -> list[str]:
    return [
        f"{name}:{n}: {m.group(0)}"
        for n, line in enumerate(text.splitlines(), 1)
        for m in TEMPLATE_ROLE.finditer(line)
    ]


def test_role_names_are_used_for_decisions_only_in_the_permissions_module():
    found = []
    for path in sorted((ROOT / "pwposts").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED or name.startswith(ALLOWED_PREFIXES):
            continue
        found += python_findings(path.read_text(encoding="utf-8"), name)
    for path in sorted((ROOT / "templates").rglob("*.html")):
        found += template_findings(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "decide with can(actor, action) (services/permissions.py) instead:\n" + "\n".join(found)


def test_the_scan_finds_what_it_forbids():
    bad = """
from ..domain.roles import INSPECTOR, ROLE_LABELS
def view(user, request):
    if user.role == INSPECTOR or current_user.role in ("county_admin", "township_clerk"):
        pass
    if kind != "holder":
        pass
    q = select(User).where(User.role == request.args["role"])  # a filter, not a decision
"""
    found = python_findings(bad, "x.py")
    assert sorted(f.split(":", 1)[1] for f in found) == [
        "2: imports the role INSPECTOR",
        "4: compares .role",
        "4: compares .role",
        "6: compares with a role name",
    ], found
    assert len(template_findings("{% if current_user.role != 'village_clerk' %}", "t.html")) == 2
    assert template_findings("{{ current_user.role|role_label }} {% if can('view_flags') %}", "t.html") == []
