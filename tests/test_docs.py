"""The CLI surface is documented: every command has help and appears in the README."""

import re
from pathlib import Path

from click.testing import CliRunner

from schemadb.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_command_has_help_and_is_in_the_readme():
    for name, command in cli.commands.items():
        assert command.help, name
        r = CliRunner().invoke(cli, [name, "--help"])
        assert r.exit_code == 0 and "Usage: " in r.output, name
        assert re.search(rf"`schemadb {name}\b", README), f"README does not document `schemadb {name}`"


def test_every_environment_variable_is_in_the_readme():
    root = Path(__file__).resolve().parent.parent / "schemadb"
    text = "".join(p.read_text() for p in root.rglob("*.py"))
    for var in set(re.findall(r"SCHEMADB_[A-Z_]+", text)):
        assert var in README, var


def test_help_imports_no_database_driver():
    import subprocess
    import sys

    code = ("import sys; from schemadb.cli import cli; from click.testing import CliRunner; "
            "CliRunner().invoke(cli, ['--help']); print('psycopg' in sys.modules, 'pglast' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
