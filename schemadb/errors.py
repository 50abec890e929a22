"""One error hierarchy; each error carries the exit code the CLI ends with.

Exit codes are the same for every command: 0 done or nothing to do, 1 a migration or SQL
statement failed, 2 usage, configuration or connection error, 3 validation refused to run
(nothing was changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


class SchemadbError(Exception):
    """Base class: an expected failure, reported as one line without a traceback."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict:
        return {"type": type(self).__name__, "message": self.message}


class ConfigError(SchemadbError):
    """Missing or malformed configuration (no DSN, bad option value, missing folder)."""

    exit_code = EXIT_USAGE


class ConnectError(SchemadbError):
    """The server is unreachable, refused the login, or the database does not exist."""

    exit_code = EXIT_USAGE


class LockBusyError(SchemadbError):
    """Another runner holds the advisory lock and --lock-wait ran out."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, holder: dict | None = None):
        super().__init__(message)
        self.holder = holder or {}

    def to_json(self) -> dict:
        return {**super().to_json(), "holder": self.holder}


@dataclass(frozen=True)
class Problem:
    """One reason validation refuses to run."""

    kind: str  # malformed_name, duplicate_version, empty_file, not_utf8, missing_rollback, ...
    message: str
    path: str | None = None
    version: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "message": self.message, "path": self.path, "version": self.version}


class ValidationError(SchemadbError):
    """Validation refused to run; nothing was changed."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []

    def to_json(self) -> dict:
        return {**super().to_json(), "problems": [p.to_json() for p in self.problems]}


@dataclass
class SqlFailure:
    """Where and why SQL failed: the file, line and column, and the server's diagnostics."""

    path: str
    line: int | None = None
    column: int | None = None
    sqlstate: str | None = None
    message: str = ""
    detail: str | None = None
    hint: str | None = None
    context: str | None = None
    statement_index: int | None = None  # 0-based, among the file's statements
    statements_done: list[int] = field(default_factory=list)  # no-transaction: already committed
    invalid_index: str | None = None
    locks: dict | None = None  # lock attempts, waits and blockers, when locks were the trouble
    interrupted: bool = False

    def location(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"

    def one_line(self) -> str:
        parts = [f"{self.location()}: "]
        if self.sqlstate:
            parts.append(f"[{self.sqlstate}] ")
        parts.append(self.message)
        if self.detail:
            parts.append(f" (detail: {self.detail})")
        if self.hint:
            parts.append(f" (hint: {self.hint})")
        if self.context and not self.line:
            parts.append(f" (context: {self.context})")
        return " ".join("".join(parts).split())

    def to_json(self) -> dict:
        return {
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "sqlstate": self.sqlstate,
            "message": self.message,
            "detail": self.detail,
            "hint": self.hint,
            "context": self.context,
            "statement_index": self.statement_index,
            "statements_done": self.statements_done,
            "invalid_index": self.invalid_index,
            "locks": self.locks,
            "interrupted": self.interrupted,
        }


class MigrationError(SchemadbError):
    """A migration or rollback file failed; its own changes were undone (or, for a
    no-transaction file, the statements already run are recorded and the next run resumes)."""

    exit_code = EXIT_FAILED

    def __init__(self, action: str, version: str, name: str, failure: SqlFailure):
        self.action = action
        self.version = version
        self.name = name
        self.failure = failure
        super().__init__(f"{action} {version} {name} failed: {failure.one_line()}")

    def to_json(self) -> dict:
        return {
            **super().to_json(),
            "action": self.action,
            "version": self.version,
            "name": self.name,
            **self.failure.to_json(),
        }


class LockRetryExhausted(SchemadbError):
    """A statement could not take its locks within the lock-retry budget; nothing of it was applied."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, stats=None):
        super().__init__(message)
        self.stats = stats

    def to_json(self) -> dict:
        return {**super().to_json(), "locks": self.stats.to_json() if self.stats else None}


class Interrupted(SchemadbError):
    """Ctrl-C or SIGTERM: the message says truthfully what was done before it."""

    exit_code = EXIT_FAILED


class Skipped(SchemadbError):
    """A cron command found another instance running: nothing to do here, exit 0."""

    exit_code = EXIT_OK

    def __init__(self, message: str, holder: dict | None = None):
        super().__init__(message)
        self.holder = holder or {}


class Cancelled(SchemadbError):
    """The user declined a confirmation; nothing was changed."""

    exit_code = EXIT_REFUSED
