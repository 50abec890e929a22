"""What differs between two states of the same objects, said so that a DBA can act on it.

Each difference names the object, its kind and what changed: a short value inline
(`column public.t.a: statistics target 1000 → -1`), a definition as a unified diff of its lines
(text), and the whole before and after values in JSON. A table whose columns only changed places is
one difference of its own kind ("column order"), which `--ignore column-order` leaves out.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

Key = tuple[str, str]
_LONG = 80


@dataclass
class Difference:
    kind: str
    name: str
    change: str  # dropped | left behind | changed | column order
    aspect: str | None = None  # what of the object changed (its 'field' in JSON)
    before: object = None
    after: object = None
    diff: list[str] = field(default_factory=list)  # unified diff lines of a long value
    stage: str = "rollback"  # rollback (compared with before the migration) | re-apply (with after it)
    warning: bool = False  # cluster-wide objects (roles): another database may have changed them

    @property
    def message(self) -> str:
        pre = "re-apply: " if self.stage == "re-apply" else ""
        who = f"{self.kind} {self.name}"
        if self.change == "dropped":
            return f"{pre}{who}: dropped by the {self.stage}, but existed before" + (
                " the migration" if self.stage == "rollback" else "")
        if self.change == "left behind":
            return f"{pre}{who}: left behind by the {self.stage}"
        if self.change == "column order":
            return f"{pre}{who}: column order differs: ({', '.join(self.before)}) → ({', '.join(self.after)})"
        if self.diff:
            return f"{pre}{who}: {self.aspect} differs"
        return f"{pre}{who}: {self.aspect} {_show(self.before)} → {_show(self.after)}"

    def lines(self) -> list[str]:
        """The message and, for a long value, its unified diff."""
        return [self.message] + [f"    {ln}" for ln in self.diff]

    def to_json(self) -> dict:
        return {"kind": self.kind, "object": self.name, "change": self.change, "field": self.aspect,
                "before": self.before, "after": self.after, "stage": self.stage, "warning": self.warning,
                "message": self.message}


def _show(v) -> str:
    if v is None:
        return "absent"
    if isinstance(v, str):
        return v
    return json.dumps(v, default=str)


def _long(v) -> bool:
    return isinstance(v, str) and ("\n" in v.strip() or len(v) > _LONG) or (
        not isinstance(v, str) and v is not None and len(_show(v)) > _LONG)


def _unified(before, after, name: str) -> list[str]:
    a = _show(before).splitlines() if isinstance(before, str) else json.dumps(before, indent=1, default=str).splitlines()
    b = _show(after).splitlines() if isinstance(after, str) else json.dumps(after, indent=1, default=str).splitlines()
    out = list(difflib.unified_diff(a, b, fromfile=f"{name} before", tofile=f"{name} after", lineterm="", n=2))
    return out


def compare(before: dict[Key, dict | None], after: dict[Key, dict | None], stage: str = "rollback",
            ignore: frozenset[str] = frozenset()) -> list[Difference]:
    """Differences between two states of the same keys (None: the object is absent)."""
    out: list[Difference] = []
    positions: dict[str, list[tuple[str, int, int]]] = {}  # table -> (column, before, after) of columns in both
    for key in set(before) & set(after):
        if key[0] == "column" and before[key] is not None and after[key] is not None:
            table, column = key[1].rsplit(".", 1)
            positions.setdefault(table, []).append((column, before[key].get("position"), after[key].get("position")))
    for key in sorted(set(before) | set(after)):
        kind, name = key
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        warning = kind in ("role", "membership")
        if a is None:
            out.append(Difference(kind, name, "dropped", stage=stage, warning=warning))
            continue
        if b is None:
            out.append(Difference(kind, name, "left behind", stage=stage, warning=warning))
            continue
        for f in sorted(set(b) | set(a)):
            vb, va = b.get(f), a.get(f)
            if vb == va:
                continue
            if kind == "column" and f == "position":
                continue  # the order of a table's columns is compared below, relative to each other
            diff = _unified(vb, va, f"{kind} {name} {f}") if _long(vb) or _long(va) else []
            out.append(Difference(kind, name, "changed", f, vb, va, diff, stage, warning))
    if "column-order" not in ignore:
        for table, cols in sorted(positions.items()):
            b_order = [c for c, _b, _a in sorted(cols, key=lambda x: x[1] or 0)]
            a_order = [c for c, _b, _a in sorted(cols, key=lambda x: x[2] or 0)]
            if b_order != a_order:
                out.append(Difference("table", table, "column order", "columns", b_order, a_order, stage=stage))
    return out
