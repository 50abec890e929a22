"""Commands over the migration history: migrate, rollback, status, validate, new, baseline, repair, log,
verify."""

from __future__ import annotations

import sys

import click

from ..config import Settings
from ..errors import Cancelled, ConfigError
from ..output import Printer
from .base import cli, command, common_options, lock_options


@cli.command()
@common_options
@lock_options
@click.option("--target", metavar="VERSION", help="apply pending migrations up to this version")
@click.option("--dry-run", is_flag=True, help="print what would run; change nothing")
@click.option("--backup", "backup_dir", metavar="DIR", envvar="SCHEMADB_BACKUP_DIR",
              help="take a verified backup into DIR before applying anything [env SCHEMADB_BACKUP_DIR]")
@click.option("--no-lint", is_flag=True, help="apply without linting the pending files first (emergencies; "
                                             "recorded in the migration log)")
@click.option("--strict", is_flag=True, help="lint: statements that break running clients are errors too")
@command
def migrate(s: Settings, out: Printer, target, dry_run, backup_dir, no_lint, strict):
    """Apply pending migrations in version order (after linting them: errors refuse, exit 3)."""
    from .. import runner

    res = runner.migrate(s, target=target, dry_run=dry_run, emit=out.event, backup_dir=backup_dir,
                         lint=not no_lint, strict=strict)
    out.result(res)
    if res.error is not None:
        res.error.reported_in_result = True
        raise res.error
    return 0


@cli.command()
@common_options
@lock_options
@click.option("--steps", type=int, metavar="N", help="roll back the N newest migrations (default 1)")
@click.option("--target", metavar="VERSION", help="roll back every migration newer than VERSION")
@click.option("--all", "all_", is_flag=True, help="roll back every applied migration")
@click.option("--dry-run", is_flag=True, help="print what would run; change nothing")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation (--all, --target)")
@command
def rollback(s: Settings, out: Printer, steps, target, all_, dry_run, yes):
    """Run rollback files, newest first (default: one step)."""
    from .. import runner

    if (all_ or target is not None) and not dry_run and not yes:
        plan = runner.rollback(s, steps=steps, target=target, all_=all_, dry_run=True)
        if not plan.planned:
            out.result(plan)
            return 0
        if not sys.stdin.isatty():
            raise ConfigError(f"rollback of {len(plan.planned)} migration(s) needs --yes when not on a terminal; "
                              "take a backup first (schemadb backup)")
        for e in plan.planned:
            out.line(f"will roll back {e.version} {e.name}")
        if not click.confirm(f"Roll back {len(plan.planned)} migration(s)? Take a backup first "
                             "(schemadb backup)", default=False):
            raise Cancelled("rollback cancelled; nothing was changed")
    res = runner.rollback(s, steps=steps, target=target, all_=all_, dry_run=dry_run, emit=out.event)
    out.result(res)
    if res.error is not None:
        res.error.reported_in_result = True
        raise res.error
    return 0


@cli.command()
@common_options
@click.option("--exit-code", is_flag=True, help="exit 1 while any migration is pending (CI gate)")
@command
def status(s: Settings, out: Printer, exit_code):
    """Every version with its state: applied, pending, changed, missing."""
    from .. import runner

    res = runner.status(s)
    out.result(res)
    return 1 if exit_code and res.counts["pending"] else 0


@cli.command()
@common_options
@click.option("--files-only", is_flag=True, help="check the files without a database")
@command
def validate(s: Settings, out: Printer, files_only):
    """List every problem (exit 3): changed or missing files, bad names, missing pairs, out-of-order versions."""
    from .. import runner

    res = runner.validate(s, files_only=files_only)
    out.result(res)
    return 3 if res.problems else 0


@cli.command()
@common_options
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default=None,
              help="text (default), json (as --json), or github (Actions annotations)")
@click.option("--strict", is_flag=True, help="statements that break running clients are errors, not warnings")
@click.option("--lock-timeout", metavar="DURATION", envvar="SCHEMADB_LOCK_TIMEOUT",
              help="the runner's lock_timeout cap a file must not raise (default 200ms) [env SCHEMADB_LOCK_TIMEOUT]")
@click.option("--list-rules", is_flag=True, help="print the rule ids, their group and the safe way; lint nothing")
@command
def lint(s: Settings, out: Printer, files, fmt, strict, lock_timeout, list_rules):
    """Statements that take a live database down (exit 3 on errors). FILEs: those files as one pending run;
    without: the pending migrations of --dir against --dsn, or, without a DSN, each migration alone."""
    from .. import lint as lint_mod
    from ..config import parse_duration_ms

    if list_rules:
        out.result(lint_mod.RuleList())
        return 0
    if lock_timeout is not None:
        s = s.with_(lock_timeout_ms=parse_duration_ms(lock_timeout, "--lock-timeout"))
    res = lint_mod.lint(s, list(files), strict=strict)
    if fmt == "json":
        out.json = True
    res.format = fmt or "text"
    out.result(res)
    return 0 if res.ok else 3


@cli.command()
@common_options
@click.argument("name", required=False)
@click.option("--template", "-t", metavar="T", help="render the pairs of template T (schemadb new --list-templates)")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="a variable of the template (repeatable)")
@click.option("--list-templates", is_flag=True, help="print every template with its variables; write nothing")
@command
def new(s: Settings, out: Printer, name, template, sets, list_templates):
    """Create the next-numbered migration/rollback pair, or the pairs a template writes (the safe way of a
    dangerous change), e.g. schemadb new orders_note_idx --template add-index --set table=orders --set columns=note."""
    from .. import records, templates

    root = s.directory
    if list_templates:
        out.result(templates.list_templates(root))
        return 0
    if not name:
        raise click.UsageError("Missing argument 'NAME'.")
    values: dict[str, str] = {}
    for item in sets:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"{item!r}: use KEY=VALUE", param_hint="--set")
        if key.strip() in values:
            raise click.BadParameter(f"{key.strip()} is given twice", param_hint="--set")
        values[key.strip()] = value
    out.result(records.new(s, name, template, values))
    return 0


@cli.command()
@common_options
@lock_options
@click.option("--version", "version", required=True, metavar="V", help="record every migration up to V")
@command
def baseline(s: Settings, out: Printer, version):
    """Record migrations up to V as applied without running them (adopt an existing database)."""
    from .. import runner

    out.result(runner.baseline(s, version, emit=out.event))
    return 0


@cli.command()
@common_options
@lock_options
@command
def repair(s: Settings, out: Printer):
    """Re-record the checksums of changed files, after a DBA reviewed them."""
    from .. import runner

    out.result(runner.repair(s, emit=out.event))
    return 0


@cli.command()
@common_options
@click.option("--limit", type=int, default=20, show_default=True, help="entries to show")
@command
def log(s: Settings, out: Printer, limit):
    """The history of the history: every apply, rollback, baseline and repair."""
    from .. import runner

    out.result(runner.history_log(s, limit))
    return 0


@cli.command()
@common_options
@lock_options
@click.option("--scratch-dsn", envvar="SCHEMADB_SCRATCH_DSN", metavar="URL",
              help="an empty database to use, refused unless it holds nothing (default: create one next to --dsn, "
                   "from template0, and drop it afterwards) [env SCHEMADB_SCRATCH_DSN]")
@click.option("--from", "from_", metavar="VERSION",
              help="prove from this version on; the migrations before it are applied without proof")
@click.option("--to", "to", metavar="VERSION", help="prove up to this version")
@click.option("--ignore", multiple=True, type=click.Choice(["column-order"]),
              help="leave out a kind of difference (column-order: columns that only changed places)")
@click.option("--full-snapshots", is_flag=True,
              help="read the whole catalog after every step, instead of what each step touched (slower)")
@click.pass_context
@command
def verify(s: Settings, out: Printer, ctx: click.Context, scratch_dsn, from_, to, ignore, full_snapshots):
    """Prove every rollback: apply, roll back, compare the catalog, apply again, on a scratch database."""
    from .. import verify as verify_mod
    from ..config import dsn_password
    from .base import warn_password_in_argv

    if ctx.get_parameter_source("scratch_dsn") == click.core.ParameterSource.COMMANDLINE and dsn_password(scratch_dsn):
        warn_password_in_argv(out)
    res = verify_mod.verify(s, scratch_dsn=scratch_dsn, emit=out.event, from_=from_, to=to,
                            ignore=frozenset(ignore), full_snapshots=full_snapshots)
    out.result(res)
    return 0 if res.ok else 1


