"""A static scan for raw interpolation into HTML messages (issue 10 item 6).

Every user-written text a message shows (names, comments, course names and places, units, reasons)
goes through esc(). This reads the source of the modules that build messages and lists each place
where such a field is put into a .format() call or an f-string without esc(); the fake Bot API's
HTML check (tests run through it) catches at run time what a static scan cannot see.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Modules whose strings become Telegram HTML: replies, views and the notifications domain code queues.
SCANNED = ("handlers", "views", "scheduler", "domain/evaluation", "domain/registration.py", "domain/completion.py")
# Attributes that hold text a user or a spreadsheet wrote.
USER_TEXT = {"full_name", "cadre_name", "name", "unit_name", "manager_comment", "comment", "course_name",
             "location", "provider", "audience", "reason", "cancel_reason", "title", "specialty",
             "planned_title", "difficulties"}


def _files() -> list[Path]:
    found: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _raw(value: ast.expr) -> bool:
    """A user-text attribute (c.full_name, v.cadre_name) used as it is, not inside a call like esc()."""
    if isinstance(value, ast.BoolOp):  # course.location or 'nơi đã thông báo'
        return any(_raw(v) for v in value.values)
    return isinstance(value, ast.Attribute) and value.attr in USER_TEXT


def _plain_text(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Text Telegram does not parse as HTML, or that is escaped on the way out: a button label (the first
    of a (label, data) pair, or what a function named *_label returns), a photo or document caption (sent
    without parse_mode), a domain error's message (handlers show str(exc) through esc())."""
    if _in_label_function(node, parents):
        return True
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Tuple) and len(parent.elts) == 2 and parent.elts[0] is child:
            return True
        if isinstance(parent, ast.keyword) and parent.arg == "caption":
            return True
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.stmt):
            return False
        child, parent = parent, parents.get(parent)
    return False


def _in_label_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    while parent is not None and not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
        parent = parents.get(parent)
    return parent is not None and parent.name.endswith("_label")


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    where = path.relative_to(ROOT)
    found = []
    for node in ast.walk(tree):
        if _plain_text(node, parents):
            continue
        values: list[ast.expr] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            values = [k.value for k in node.keywords] + list(node.args)
        elif isinstance(node, ast.JoinedStr):
            values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        found += [f"{where}:{v.lineno}: {ast.unparse(v)}" for v in values if _raw(v)]
    return found


def test_no_user_text_is_interpolated_into_html_unescaped() -> None:
    findings = [f for path in _files() for f in _findings(path)]
    assert findings == []
