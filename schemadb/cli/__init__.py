"""The `schemadb` command line: each command parses options and calls one library function; the
output layer (schemadb.output) prints what it returns."""

from __future__ import annotations

import sys

import click

from ..errors import EXIT_USAGE
from . import migrations as _migrations  # noqa: F401  (registers the commands)
from . import operations as _operations  # noqa: F401
from .base import cli


def main() -> None:
    try:
        cli.main(prog_name="schemadb")
    except click.exceptions.Exit as e:  # pragma: no cover - standalone mode exits itself
        sys.exit(e.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["cli", "main", "EXIT_USAGE"]
