"""Where the bundled reference schema (migrations/, rollback/, sql/) lives.

In a wheel it is copied to schemadb/_data/ (see pyproject.toml); in a source checkout or an
editable install it is the repository root, next to the package.
"""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def reference_dir() -> Path:
    bundled = _PACKAGE / "_data"
    if (bundled / "migrations").is_dir():
        return bundled
    return _PACKAGE.parent


def is_source_checkout(directory: Path) -> bool:
    return (directory / "pyproject.toml").is_file() and (directory / "schemadb").is_dir()


def sql_path(*parts: str) -> Path:
    return reference_dir().joinpath("sql", *parts)


@functools.cache
def read_sql(*parts: str) -> str:
    """A file of sql/ (read once per process: they ship with schemadb and do not change while it runs)."""
    return sql_path(*parts).read_text(encoding="utf-8")
