"""`schemadb lint`: the statements that take production down, judged with what schemadb knows and a file-at-a-time
linter cannot: which files are pending, each file's transaction mode, what earlier files (or the live catalog)
say about the tables, and how big they are.

Three ways to judge (all through one Linter):
- FILE…: those files, in the order given, as one pending run (against the catalog with a DSN);
- a DSN without FILEs: the pending migrations of --dir (not in the database's history), as one run;
- neither: each migration of --dir alone, as production would see it: what earlier files create exists, holds
  rows and is in use; only what the file itself creates is new.
A migration's rollback is judged after it (by the lock and failure rules only; drops are its purpose).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from .engine import Linter
from .findings import Finding
from .model import Catalog, Model
from .rules import RULES

__all__ = ["RULES", "Finding", "LintResult", "RuleList", "gate", "lint"]


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    mode: str = ""  # "files", "pending", "each file alone"
    catalog: bool = False
    format: str = "text"  # how the CLI prints it: text or github (json is --json)

    @property
    def counts(self) -> dict:
        c = Counter("allowed" if f.allowed is not None else f.severity for f in self.findings)
        return {"error": c["error"], "warning": c["warning"], "allowed": c["allowed"]}

    @property
    def ok(self) -> bool:
        return not any(f.blocking for f in self.findings)

    def to_json(self) -> dict:
        return {"command": "lint", "ok": self.ok, "files": self.files, "mode": self.mode, "catalog": self.catalog,
                "findings": [f.to_json() for f in self.findings], "counts": self.counts}


class RuleList:
    """`schemadb lint --list-rules`."""

    def to_json(self) -> dict:
        return {"rules": [{"id": r.id, "group": r.group, "fix": r.fix, "template": r.template}
                          for r in RULES.values()]}


class _Run:
    """Files judged in order against one model."""

    def __init__(self, model: Model, strict: bool, lock_timeout_ms: int):
        volatile = model.catalog.volatile if model.catalog is not None else None
        self.model = model
        self.linter = Linter(model, strict, lock_timeout_ms, volatile)
        self.findings: list[Finding] = []
        self.files = 0

    def migration(self, up, up_display: str, down=None, down_display: str | None = None, alone: bool = False):
        self.files += 1
        self.findings += self.linter.lint_file(up, up_display, None)
        if down is not None and down.has_statement:
            self.files += 1
            saved = self.linter.model
            self.linter.model = saved.child()  # what the rollback does is not what the next migration sees
            try:
                self.findings += self.linter.lint_file(down, down_display, None, rollback=True)
            finally:
                self.linter.model = saved
        if alone:
            self.model.settle()

    def replay(self, f) -> None:
        """Apply a file to the model without judging it (the files before the run)."""
        self.linter.lint_file(f, "", None)
        self.model.settle()


def _relative(path: str, root: Path) -> str:
    """`path` relative to `root` when it is inside it (os.path, cheap: thousands of files are named per run)."""
    import os

    given, real = _bases(str(root))
    full = os.path.abspath(path)
    if full.startswith(given + os.sep):
        return os.path.relpath(full, given)
    full = os.path.realpath(path)
    if full.startswith(real + os.sep):
        return os.path.relpath(full, real)
    return path


@functools.cache
def _bases(root: str) -> tuple[str, str]:
    import os

    return os.path.abspath(root), os.path.realpath(root)


def lint(settings, paths: list[str] | tuple = (), strict: bool = False, sc=None) -> LintResult:
    """`sc`: the scan of --dir when the caller has one (validate), so that it is not taken twice."""
    from ..migrations import read_file, scan
    from ..state import directory_of

    root = directory_of(settings)
    result = LintResult(catalog=bool(settings.dsn))
    conn_ctx = None
    if settings.dsn:
        from ..db import connect

        conn_ctx = connect(settings, "lint")
    try:
        conn = conn_ctx.__enter__() if conn_ctx is not None else None
        model = Model(Catalog(conn) if conn is not None else None)
        run = _Run(model, strict, settings.lock_timeout_ms)
        if paths:
            result.mode = "files"
            files = [read_file(p) for p in paths]
            if conn is None:
                _replay_before(run, root, files)
            for p, f in zip(paths, files, strict=True):
                rollback = Path(p).resolve().parent.name == "rollback"
                run.files += 1
                run.findings += run.linter.lint_file(f, p, None, rollback=rollback)
        else:
            sc = sc if sc is not None else scan(root)
            if conn is not None:
                from ..history import History

                result.mode = "pending"
                applied = History(settings).applied(conn)
                todo = [m for m in sc.migrations if m.key not in applied]
            else:
                result.mode = "each file alone"
                todo = sc.migrations
            for m in todo:
                if m.up is None:
                    continue
                run.migration(m.up, _relative(m.up.file, root), m.down,
                              _relative(m.down.file, root) if m.down else None, alone=conn is None)
        result.findings, result.files = run.findings, run.files
    finally:
        if conn_ctx is not None:
            conn_ctx.__exit__(None, None, None)
    return result


def _replay_before(run: _Run, root: Path, files: list) -> None:
    """FILEs of --dir's migrations/ without a DSN: the migrations before the first of them exist (replayed)."""
    from ..migrations import scan

    mig = (root / "migrations").resolve()
    inside = [f for f in files if Path(f.file).resolve().parent == mig]
    if not inside:
        return
    first = min(int(f.version) for f in inside)
    for m in scan(root).migrations:
        if m.key >= first:
            break
        if m.up is not None:
            run.replay(m.up)


def gate(conn, sc, pending: list, history, strict: bool = False, lock_timeout_ms: int = 200):
    """migrate's check before anything is applied: the pending files (and their rollbacks) as one run against
    the connection's catalog. Returns (findings, problems: the blocking ones, notes: per version, the allowed
    findings and their reasons for the migration log)."""
    run = _Run(Model(Catalog(conn)), strict, lock_timeout_ms)
    for m in pending:
        if m.up is None:
            continue
        run.migration(m.up, _relative(m.up.file, sc.directory), m.down,
                      _relative(m.down.file, sc.directory) if m.down else None)
    conn.rollback()
    findings = [f for f in run.findings if f.rule != "transaction-nesting"]  # file_problems refuses it already
    problems = [Problem("lint", f"{f.file}:{f.line}:{f.column}: {f.rule}: {f.message}\n    fix: {f.fix}", f.file,
                        f.version) for f in findings if f.blocking]
    notes: dict = {}
    for f in findings:
        if f.allowed is not None and f.version:
            notes.setdefault(f.version, {}).setdefault("lint_allowed", []).append(
                {"rule": f.rule, "file": f.file, "line": f.line, "reason": f.allowed})
    return findings, problems, notes
