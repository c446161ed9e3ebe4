"""The reference pages that are written from the code, so that they cannot drift.

Two tables are generated on every build, by reading the toolkit's source (nothing is
imported, so no setting or database is needed):

- the settings: every module-level ``DEFAULTS`` dict of a ``toolkit/**/conf.py``, with
  the comment above each key as its meaning and the return annotation of the
  ``SettingsSection`` property of the same name as its type; and the keys of one
  ``TOOLKIT_AI`` endpoint (``AI_REQUIRED_KEYS``, ``AI_ENDPOINT_DEFAULTS``);
- the system checks: every string ``"toolkit.E001"``-like in ``toolkit/``, with the
  message and hint of the ``Error``/``Warning`` (or helper) call that holds it.

As a Sphinx extension, it replaces the line ``<!-- generated: settings -->`` (or
``checks``) of a page with the table before the page is parsed.
``tests/test_docs_reference.py`` checks that every setting and every check id the toolkit
has is in them, and that none lacks its text.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "toolkit"
PREFIX = "TOOLKIT_"
CHECK_ID = re.compile(r"^toolkit\.([EW])(\d{3})$")
MARKER = re.compile(r"^<!-- generated: (\w+)(?: ([\w.]+))? -->$", re.MULTILINE)

#: Where the keys of one ``TOOLKIT_AI`` endpoint are declared: module, required keys,
#: optional keys with their defaults.
ENDPOINT_KEYS = ("toolkit/ai/conf.py", "AI_REQUIRED_KEYS", "AI_ENDPOINT_DEFAULTS")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|{}#$])")


@dataclass
class Setting:
    name: str
    default: str
    type: str
    meaning: str
    module: str


@dataclass
class CheckId:
    id: str
    messages: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        return "Error" if self.id.split(".")[1].startswith("E") else "Warning"

    @property
    def part(self) -> str:
        """The app that declares it: ``toolkit``, ``toolkit.admin_ext``, ..."""
        module = self.places[0].split(":")[0]
        parts = module.split("/")
        return "toolkit" if len(parts) == 2 else f"toolkit.{parts[1]}"


# -- reading the source --------------------------------------------------------------------


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _comments_by_line(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string for tok in tokens if tok.type == tokenize.COMMENT}


def _comment_above(line: int, comments: dict[int, str]) -> str:
    """The block of ``#`` comment lines right above ``line``, joined into one text."""
    lines: list[str] = []
    line -= 1
    while line in comments:
        lines.insert(0, comments[line].lstrip("#").strip())
        line -= 1
    return " ".join(lines)


def _module_assignment(tree: ast.Module, name: str) -> ast.expr | None:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            return node.value
    return None


def _property_types(tree: ast.Module) -> dict[str, str]:
    """Return annotations of the properties of the module's classes, by property name."""
    types: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef)
            and node.returns is not None
            and any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list)
        ):
            types[node.name] = ast.unparse(node.returns)
    return types


def _dict_entries(
    value: ast.expr, source: str, comments: dict[int, str]
) -> Iterator[tuple[str, str, str]]:
    """(key, default as written, comment above it) for each entry of a dict literal."""
    if not isinstance(value, ast.Dict):
        return
    for key, default in zip(value.keys, value.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            text = ast.get_source_segment(source, default) or ast.unparse(default)
            yield key.value, " ".join(text.split()), _comment_above(key.lineno, comments)


def _parse(path: Path) -> tuple[str, ast.Module]:
    source = path.read_text(encoding="utf-8")
    return source, ast.parse(source, filename=str(path))


def settings() -> list[Setting]:
    """Every ``TOOLKIT_*`` setting: the ``DEFAULTS`` of each ``conf.py`` under toolkit/."""
    found: list[Setting] = []
    for path in sorted(PACKAGE.rglob("conf.py")):
        source, tree = _parse(path)
        defaults = _module_assignment(tree, "DEFAULTS")
        if defaults is None:
            continue
        types = _property_types(tree)
        comments = _comments_by_line(source)
        for key, default, meaning in _dict_entries(defaults, source, comments):
            found.append(
                Setting(PREFIX + key, default, types.get(key, ""), meaning, _module_name(path))
            )
    return found


def endpoint_keys() -> list[Setting]:
    """The keys of one ``TOOLKIT_AI`` endpoint: the required ones, then the optional."""
    module, required_name, defaults_name = ENDPOINT_KEYS
    source, tree = _parse(ROOT / module)
    comments = _comments_by_line(source)
    found: list[Setting] = []
    required = _module_assignment(tree, required_name)
    if isinstance(required, ast.Tuple | ast.List):
        for element in required.elts:
            if isinstance(element, ast.Constant) and isinstance(element.value, str):
                found.append(Setting(element.value, "required", "", "", module))
    defaults = _module_assignment(tree, defaults_name)
    if defaults is not None:
        for key, default, meaning in _dict_entries(defaults, source, comments):
            found.append(Setting(key, default, "", meaning, module))
    return found


def _texts(node: ast.expr | None) -> list[str]:
    """A message as the code writes it, f-string values shown as ``…``; both branches of a
    conditional message."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(_text(v) if isinstance(v, ast.Constant) else "…" for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [_text(node.left) + _text(node.right)]
    if isinstance(node, ast.IfExp):
        return [*_texts(node.body), *_texts(node.orelse)]
    return ["…"]


def _text(node: ast.expr | None) -> str:
    return " / ".join(_texts(node))


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) and _is_text(node.orelse)
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
        node, ast.JoinedStr | ast.BinOp
    )


def _messages_and_hints(call: ast.Call, id_node: ast.expr) -> tuple[list[str], list[str]]:
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    texts = [a for a in call.args if a is not id_node and _is_text(a)]
    message = keywords.get("msg") or (texts[0] if texts else None)
    hint = keywords.get("hint") or (texts[1] if len(texts) > 1 else None)
    return _texts(message), _texts(hint)


def _enclosing_names(tree: ast.Module) -> dict[ast.AST, str]:
    """Each node's innermost enclosing function or class (``Class.method``)."""
    names: dict[ast.AST, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}.{child.name}" if prefix else child.name
                names[child] = name
                visit(child, name)
            else:
                names[child] = prefix
                visit(child, prefix)

    visit(tree, "")
    return names


def check_ids() -> list[CheckId]:
    """Every check id the toolkit declares, with what it says, sorted by id."""
    found: dict[str, CheckId] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        _, tree = _parse(path)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        enclosing = _enclosing_names(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if not CHECK_ID.match(node.value):
                continue
            entry = found.setdefault(node.value, CheckId(node.value))
            parent: Any = parents.get(node)
            if isinstance(parent, ast.keyword):
                parent = parents.get(parent)
            messages: list[str] = []
            hints: list[str] = []
            if isinstance(parent, ast.Call):
                messages, hints = _messages_and_hints(parent, node)
            elif isinstance(parent, ast.Tuple | ast.List):
                # A table of ids, {setting: (..., id, hint)}: the other texts are the hint,
                # the key names what is checked.
                hints = [_text(e) for e in parent.elts if e is not node and _is_text(e)]
                owner = parents.get(parent)
                if isinstance(owner, ast.Dict):
                    key = owner.keys[owner.values.index(parent)]
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        name = key.value if key.value.startswith(PREFIX) else PREFIX + key.value
                        messages = [f"{name} is not a value the toolkit can use."]
            entry.messages += [m for m in messages if m and m not in entry.messages]
            entry.hints += [h for h in hints if h and h not in entry.hints]
            place = f"{_relative(path)}:{enclosing.get(node, '') or '<module>'}"
            if place not in entry.places:
                entry.places.append(place)
    return [found[key] for key in sorted(found, key=_id_order)]


def _id_order(check_id: str) -> tuple[int, str]:
    match = CHECK_ID.match(check_id)
    assert match
    return int(match.group(2)), match.group(1)


# -- writing Markdown ----------------------------------------------------------------------


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def settings_markdown() -> str:
    lines: list[str] = []
    by_module: dict[str, list[Setting]] = {}
    for setting in settings():
        by_module.setdefault(setting.module, []).append(setting)
    for module, rows in by_module.items():
        app = module.rsplit(".conf", 1)[0]
        lines += [
            f"## `{app}`",
            "",
            f"Read through `{module}.conf`; defaults in `{module}.DEFAULTS`.",
            "",
            "| setting | type | default | meaning |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_code(s.name)} | {_code(s.type) if s.type else ''} | {_code(s.default)} "
            f"| {_escape(s.meaning)} |"
            for s in rows
        ]
        lines.append("")
    module, required, defaults = ENDPOINT_KEYS
    lines += [
        "## Keys of one `TOOLKIT_AI` endpoint",
        "",
        f"From `{required}` and `{defaults}` in `{module}`; checked by `toolkit.E050`-`E059` "
        "and `W050`-`W054`.",
        "",
        "| key | default | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {_code(k.name)} | {'required' if k.default == 'required' else _code(k.default)} "
        f"| {_escape(k.meaning) or 'the endpoint cannot be used without it'} |"
        for k in endpoint_keys()
    ]
    lines.append("")
    return "\n".join(lines)


def checks_markdown() -> str:
    lines: list[str] = []
    by_part: dict[str, list[CheckId]] = {}
    for check in check_ids():
        by_part.setdefault(check.part, []).append(check)
    for part in sorted(by_part, key=lambda p: (p != "toolkit", p)):
        lines += [
            f"## `{part}`",
            "",
            "| id | level | message | hint | declared in |",
            "| --- | --- | --- | --- | --- |",
        ]
        for check in by_part[part]:
            messages = "<br>".join(_escape(m) for m in check.messages) or "see the hint"
            hints = "<br>".join(_escape(h) for h in check.hints)
            places = "<br>".join(_code(p) for p in check.places)
            lines.append(f"| `{check.id}` | {check.level} | {messages} | {hints} | {places} |")
        lines.append("")
    return "\n".join(lines)


def api_markdown(package: str) -> str:
    """autodoc of ``package``: its classes and functions, then its other public names
    (constants, type aliases), which autodoc lists only when asked by name."""
    import importlib
    import inspect

    module = importlib.import_module(package)
    data = [
        name
        for name in module.__all__
        if not (inspect.isclass(getattr(module, name)) or inspect.isroutine(getattr(module, name)))
    ]
    lines = ["```{eval-rst}", f".. automodule:: {package}", ""]
    for name in data:
        lines += [f".. data:: {name}", f"   :value: {getattr(module, name)!r}", ""]
    lines.append("```")
    return "\n".join(lines)


GENERATORS: dict[str, Any] = {
    "settings": settings_markdown,
    "checks": checks_markdown,
    "api": api_markdown,
}


def expand(source: str) -> str:
    """``source`` with each ``<!-- generated: NAME [ARG] -->`` line replaced by its text."""

    def generate(match: re.Match[str]) -> str:
        name, argument = match.groups()
        return GENERATORS[name](argument) if argument else GENERATORS[name]()

    return MARKER.sub(generate, source)


# -- Sphinx --------------------------------------------------------------------------------


def _on_source_read(app: Any, docname: str, source: list[str]) -> None:
    source[0] = expand(source[0])


_SUBSTITUTION = re.compile(r"(?<![`\\])\|(\w+)\|(?!`)")


def _literal_pipes(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """The toolkit's docstrings define no reST substitutions: ``|z|`` is text (an
    absolute value), not a substitution reference."""
    lines[:] = [_SUBSTITUTION.sub(r"\\|\1\\|", line) for line in lines]


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _on_source_read)
    app.connect("autodoc-process-docstring", _literal_pipes)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
