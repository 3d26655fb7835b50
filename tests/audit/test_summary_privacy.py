"""Audit summaries name people by id, never by name, username or number (issue 15):
the audit log is read by auditors who need not see who, only which record."""

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# An f-string piece that would put a person's name, an account's login or a number in.
FORBIDDEN = re.compile(
    r"(person|people|found\[0\]|member|resident|holder)\.name|\.username|\.display_name"
    r"|\.mobile|\.id_number"
)


def _summaries(tree: ast.AST) -> list[tuple[int, str]]:
    """Source of every f-string given as ``summary=…`` or assigned to ``summary``."""
    found = []
    for node in ast.walk(tree):
        value = None
        if (isinstance(node, ast.keyword) and node.arg == "summary") or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "summary" for t in node.targets)
        ):
            value = node.value
        for part in ast.walk(value) if value is not None else ():
            if isinstance(part, ast.FormattedValue):
                found.append((part.lineno, ast.unparse(part.value)))
    return found


def test_no_audit_summary_carries_a_name_or_number() -> None:
    offenders = [
        f"{path.relative_to(APP)}:{line} {expression}"
        for path in sorted(APP.rglob("*.py"))
        for line, expression in _summaries(ast.parse(path.read_text(encoding="utf-8")))
        if FORBIDDEN.search(expression)
    ]
    assert offenders == []


def test_the_guard_sees_a_planted_name() -> None:
    planted = ast.parse('record(s, p, "x", summary=f"「{person.name}」加入")')
    assert [e for _, e in _summaries(planted) if FORBIDDEN.search(e)] == ["person.name"]
