"""What is applied, pending, changed or missing, and every reason to refuse to run: `status` and `validate`.

Everything here reads; nothing writes. The file checks need no database; the database checks compare
the files with the history table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .errors import ConfigError, Problem, ValidationError
from .migrations import Migration, Scan, SqlFile, scan


@dataclass
class Entry:
    version: str
    name: str
    state: str  # applied | pending | changed | missing
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None
    transactional: bool | None = None
    resume_at: int | None = None  # unfinished no-transaction file: next statement (1-based)
    irreversible: bool = False  # its rollback file has no statement
    rollback_changed: bool = False  # its rollback file differs from the one recorded when it was applied

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class StatusResult:
    directory: str
    history_table: str
    entries: list[Entry]
    current_version: str | None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # what `migrate` would refuse (see `validate`)

    @property
    def counts(self) -> dict[str, int]:
        out = {"applied": 0, "pending": 0, "changed": 0, "missing": 0}
        for e in self.entries:
            out[e.state] += 1
        out["irreversible"] = sum(e.irreversible for e in self.entries)
        out["rollback_changed"] = sum(e.rollback_changed for e in self.entries)
        return out

    def to_json(self) -> dict:
        return {"command": "status", "directory": self.directory, "history_table": self.history_table,
                "current_version": self.current_version, "counts": self.counts,
                "irreversible": [e.version for e in self.entries if e.irreversible],
                "notes": self.notes, "problems": [p.to_json() for p in self.problems],
                "migrations": [e.to_json() for e in self.entries]}


@dataclass
class ValidateResult:
    directory: str
    migrations: int
    problems: list[Problem]
    checked_database: bool
    irreversible: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)  # lint findings (warnings and allowed ones too)

    def to_json(self) -> dict:
        return {"command": "validate", "directory": self.directory, "migrations": self.migrations,
                "checked_database": self.checked_database, "ok": not self.problems,
                "irreversible": self.irreversible, "problems": [p.to_json() for p in self.problems],
                "lint": [x.to_json() for x in self.findings]}


def directory_of(settings: Settings) -> Path:
    from .resources import reference_dir

    d = settings.directory or reference_dir()
    if not d.is_dir():
        raise ConfigError(f"{d}: no such folder (--dir / SCHEMADB_DIR)")
    return d


def display(f: SqlFile) -> str:
    return f.display()


def entries_of(sc: Scan, applied: dict, progress: dict) -> list[Entry]:
    out: list[Entry] = []
    files = sc.by_key()
    for k in sorted(set(files) | set(applied)):
        m, a = files.get(k), applied.get(k)
        irreversible = bool(m and m.irreversible)
        if a is None:
            p = progress.get((k, m.name, "apply"))
            out.append(Entry(m.version, m.name, "pending", resume_at=p.statements_done + 1 if p else None,
                             irreversible=irreversible))
            continue
        if m is None or m.up is None:
            state = "missing"
        elif m.up.checksum != a.checksum:
            state = "changed"
        else:
            state = "applied"
        rb_changed = bool(m and m.down and a.rollback_checksum and m.down.checksum != a.rollback_checksum)
        out.append(Entry(a.version, a.name, state, a.applied_at.isoformat(timespec="seconds"), a.applied_by,
                         a.duration_ms, a.transactional, irreversible=irreversible, rollback_changed=rb_changed))
    return out


def orphan_runs(sc: Scan, applied: dict, progress: dict) -> list[Problem]:
    """Unfinished no-transaction runs of files that no longer exist under that version and name."""
    files = sc.by_key()
    out = []
    for (k, name, action), p in sorted(progress.items()):
        m = files.get(k)
        if action == "apply" and (k in applied or (m is not None and m.name == name)):
            continue
        if action == "rollback" and k in applied and m is not None and m.name == name:
            continue
        when = f", {p.logged_at:%Y-%m-%d %H:%M}" if p.logged_at else ""
        out.append(Problem("unfinished_run", f"{p.version} {name}: an unfinished no-transaction {action} "
                           f"({p.statements_done} statement(s) ran{when}) of a file that is no longer there; "
                           "review what it did, then `schemadb repair` closes it", version=p.version))
    return out


def database_problems(sc: Scan, applied: dict, root: Path, progress: dict | None = None) -> list[Problem]:
    problems: list[Problem] = []
    files = sc.by_key()
    top = max(applied, default=None)
    for k, a in sorted(applied.items()):
        m = files.get(k)
        if m is None or m.up is None:
            problems.append(Problem("missing_file", f"{a.version} {a.name}: applied, but "
                                    f"migrations/{a.version}_{a.name}.sql is gone", version=a.version))
        elif m.up.checksum != a.checksum:
            problems.append(Problem(
                "changed", f"{display(m.up)}: changed since it was applied on "
                f"{a.applied_at:%Y-%m-%d %H:%M}; restore it, or run `schemadb repair` after review",
                str(m.up.path), a.version))
        elif m.down and a.rollback_checksum and m.down.checksum != a.rollback_checksum:
            problems.append(Problem(
                "rollback_changed", f"{display(m.down)}: changed since its migration was applied on "
                f"{a.applied_at:%Y-%m-%d %H:%M}; restore it, or run `schemadb repair` after review "
                "(`schemadb rollback` refuses it until then)", str(m.down.path), a.version))
    for k, m in sorted(files.items()):
        if k not in applied and top is not None and k < top and m.up is not None:
            problems.append(Problem(
                "out_of_order", f"{display(m.up)}: pending, but older than the newest applied version "
                f"{applied[top].version}", str(m.up.path), m.version))
    if progress:
        problems += orphan_runs(sc, applied, progress)
    return problems


def file_problems(migrations: list[Migration], history, down: bool = False) -> list[Problem]:
    """What the parser sees in the files that would break schemadb's handling of them: transaction control
    in a transactional file, and statements that drop or write schemadb's own history tables."""
    from .facts import statements
    from .sqltext import SqlSyntaxError, position_to_line_col, touched_tables, transaction_control

    problems = []
    ours = {(history.schema, history.table), (history.schema, history.log_table)}
    for m in migrations:
        f = m.down if down else m.up
        if f is None or not f.has_statement:
            continue
        try:
            stmts = statements(f)
        except SqlSyntaxError:
            continue  # the server is the judge of syntax; it reports file:line when it runs
        for s in stmts:
            tx = transaction_control(s) if f.transactional else None
            if tx:
                line, _ = position_to_line_col(f.text, s.start)
                problems.append(Problem(
                    "transaction_control",
                    f"{display(f)}:{line}: transaction control ({tx}) in a transactional file; remove it (schemadb "
                    "wraps each file in a transaction) or start the file with -- schemadb:no-transaction",
                    str(f.path), f.version))
                break
            for (schema, name), verb in touched_tables(s):
                hit = (schema == history.schema) if name == "*" else (schema or history.schema, name) in ours
                if hit:
                    line, _ = position_to_line_col(f.text, s.start)
                    problems.append(Problem(
                        "history_table",
                        f"{display(f)}:{line}: {verb} schemadb's own history table {history.qualified} (or its log); "
                        "nothing was applied. If this project has a table of that name of its own, give schemadb "
                        "another one: --history-table (e.g. schemadb.schema_migrations)", str(f.path), f.version))
                    break
    return problems


def refuse(problems: list[Problem], what: str) -> None:
    if problems:
        raise ValidationError(f"{what} refused: {len(problems)} problem(s); nothing was changed", problems)


def status(settings: Settings) -> StatusResult:
    from .runner import session

    root = directory_of(settings)
    sc = scan(root)
    with session(settings, "status", lock=False) as (conn, history):
        applied = history.applied(conn)
        progress = history.progress(conn)
    entries = entries_of(sc, applied, progress)
    current = max(applied.values(), key=lambda a: a.key).version if applied else None
    notes = [p.message for p in orphan_runs(sc, applied, progress)]
    return StatusResult(str(root), history.qualified, entries, current, notes, list(sc.problems))


def validate(settings: Settings, files_only: bool = False) -> ValidateResult:
    from .history import History
    from .runner import session

    root = directory_of(settings)
    sc = scan(root)
    history = History(settings)
    problems = list(sc.problems)
    problems += file_problems(sc.migrations, history)
    problems += file_problems(sc.migrations, history, down=True)
    if not files_only:
        with session(settings, "validate", lock=False) as (conn, history):
            problems += database_problems(sc, history.applied(conn), root, history.progress(conn))
    from .lint import lint

    # the lint: of the pending files against the database, or (files only) of each file alone
    linted = lint(settings.with_(dsn=None) if files_only else settings, sc=sc)
    findings = [f for f in linted.findings if f.rule != "transaction-nesting"]  # file_problems has it
    problems += [Problem("lint", f"{f.file}:{f.line}:{f.column}: {f.rule}: {f.message}", f.file, f.version)
                 for f in findings if f.blocking]
    return ValidateResult(str(root), len(sc.migrations), problems, not files_only,
                          [m.version for m in sc.irreversible], [f for f in findings if not f.blocking])
