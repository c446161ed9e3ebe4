"""Compare the outcomes of Django's admin suite run stock and with the toolkit swapped in.

Used by ``scripts/django-admin-suite``; outcomes are ``{test id: {"outcome", "detail"}}``
as :mod:`django_admin_suite.recording` writes them.
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from pathlib import Path

#: Outcomes that count as passing: a test skipped stock is skipped swapped too.
PASSING = {"pass", "skip", "xfail"}


def load_allowlist(path: Path) -> dict[str, str]:
    """``{test id: why}`` of the allow-list file (``[[difference]]`` tables)."""
    entries = tomllib.loads(path.read_text()).get("difference", []) if path.exists() else []
    allowed = {}
    for entry in entries:
        if not entry.get("why", "").strip():
            sys.exit(f"{path.name}: {entry.get('test')} says no why")
        allowed[entry["test"]] = entry["why"]
    return allowed


def module_of(test_id: str) -> str:
    # "admin_views.tests.Class.test" and unittest's "setUpClass (admin_views.tests.Class)".
    return test_id.split("(")[-1].split(".")[0].strip()


def compare(
    stock: dict, swapped: dict, allowed: dict[str, str], modules: list[str], max_allowed: int
) -> int:
    """Print the per-module table and what fails; 1 when anything does, else 0."""
    regressions = sorted(
        t
        for t, r in stock.items()
        if r["outcome"] in PASSING and swapped.get(t, {}).get("outcome") not in PASSING
    )
    unlisted = [t for t in regressions if t not in allowed]
    # An entry is stale when its test passes stock and swapped; one skipped stock (say
    # admindocs without docutils) cannot tell whether the difference is still there.
    stale = sorted(
        t
        for t in allowed
        if stock.get(t, {}).get("outcome") == "pass"
        and swapped.get(t, {}).get("outcome") in PASSING
    )
    rows = Counter()
    for t, r in stock.items():
        rows[module_of(t), "tests"] += 1
        rows[module_of(t), "stock"] += r["outcome"] == "pass"
    for t, r in swapped.items():
        rows[module_of(t), "swapped"] += r["outcome"] == "pass"
    for t in regressions:
        rows[module_of(t), "allowed" if t in allowed else "broken"] += 1

    print(
        f"\n{'module':<20} {'tests':>6} {'stock pass':>11} {'swapped pass':>13} "
        f"{'allow-listed':>13} {'broken':>7}"
    )
    for module in modules:
        print(
            f"{module:<20} {rows[module, 'tests']:>6} {rows[module, 'stock']:>11} "
            f"{rows[module, 'swapped']:>13} {rows[module, 'allowed']:>13} "
            f"{rows[module, 'broken']:>7}"
        )
    total = {
        k: sum(v for (m, kk), v in rows.items() if kk == k)
        for k in ("tests", "stock", "swapped", "allowed", "broken")
    }
    print(
        f"{'total':<20} {total['tests']:>6} {total['stock']:>11} {total['swapped']:>13} "
        f"{total['allowed']:>13} {total['broken']:>7}"
    )

    failed = False
    if unlisted:
        failed = True
        print(f"\n{len(unlisted)} test(s) pass stock and not with the toolkit's ModelAdmin:")
        for t in unlisted:
            got = swapped.get(t, {"outcome": "not run", "detail": ""})
            print(f"  {t}\n      {got['outcome']}: {got['detail']}")
    if stale:
        failed = True
        print(f"\n{len(stale)} allow-list entr(y/ies) now pass swapped; delete them:")
        for t in stale:
            print(f"  {t}")
    if len(allowed) > max_allowed:
        failed = True
        print(f"\nThe allow-list holds {len(allowed)} entries; at most {max_allowed} may be.")
    if not failed:
        print(f"\nok: nothing lost by swapping ({total['allowed']} allow-listed differences)")
    return 1 if failed else 0


#: The README's list of allowed differences sits between these lines.
README_START = "<!-- allow-list: written by scripts/django-admin-suite --write-readme -->"
README_END = "<!-- end of allow-list -->"


def write_readme(readme: Path, allowed: dict[str, str]) -> None:
    """Rewrite the README's list of allowed differences from the allow-list."""
    text = readme.read_text()
    start, end = text.index(README_START), text.index(README_END)
    items = "".join(f"- `{test}`: {why}\n" for test, why in sorted(allowed.items()))
    readme.write_text(text[: start + len(README_START)] + "\n" + items + text[end:])
