"""The `schemadb` command line: each command parses options and calls one library function.

Only click and the light modules are imported at start-up; psycopg, pglast and the command
modules are imported when a command runs, so `schemadb --help` stays fast.
"""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click

from .config import Settings, dsn_password, parse_duration_ms, split_table_name
from .errors import EXIT_USAGE, Cancelled, ConfigError, SchemadbError
from .output import Printer

_STATE = "schemadb.settings"


def _store(name):
    def callback(ctx: click.Context, _param, value):
        if value is not None and value is not False:
            ctx.find_root().meta.setdefault(_STATE, {})[name] = value
        return value

    return callback


# The options common to all commands are accepted before and after the command name. On the
# group they also read their environment variable; after the command name they override it.
_COMMON = [
    (("--dsn",), dict(envvar=["SCHEMADB_DSN", "DATABASE_URL"], metavar="URL",
                      help="PostgreSQL connection string [env SCHEMADB_DSN, then DATABASE_URL]")),
    (("--dir", "directory"), dict(envvar="SCHEMADB_DIR", type=click.Path(file_okay=False, path_type=Path),
                                  help="folder holding migrations/ and rollback/ (default: the bundled "
                                       "reference schema) [env SCHEMADB_DIR]")),
    (("--history-table", "history_table"), dict(envvar="SCHEMADB_HISTORY_TABLE", metavar="SCHEMA.TABLE",
                                        help="history table (default public.schema_migrations) [env SCHEMADB_HISTORY_TABLE]")),
    (("--wait",), dict(envvar="SCHEMADB_WAIT", type=float, metavar="SECONDS",
                       help="wait this long for the server to accept connections [env SCHEMADB_WAIT]")),
    (("-q", "--quiet"), dict(envvar="SCHEMADB_QUIET", is_flag=True, default=None, help="print only errors")),
    (("--json", "as_json"), dict(envvar="SCHEMADB_JSON", is_flag=True, default=None,
                                 help="machine-readable output on stdout")),
]
_LOCKING = [
    (("--lock-timeout",), dict(envvar="SCHEMADB_LOCK_TIMEOUT", metavar="DURATION",
                               help="lock_timeout for each migration, e.g. 5s, 500ms (default 5s) "
                                    "[env SCHEMADB_LOCK_TIMEOUT]")),
    (("--lock-wait",), dict(envvar="SCHEMADB_LOCK_WAIT", metavar="DURATION",
                            help="how long to wait for another runner's lock (default 60s) [env SCHEMADB_LOCK_WAIT]")),
    (("--retries",), dict(envvar="SCHEMADB_RETRIES", type=click.IntRange(0, 100),
                          help="retries after a lock timeout, with backoff (default 3) [env SCHEMADB_RETRIES]")),
]


def _options(specs, with_env: bool):
    def decorate(f):
        for decls, kw in reversed(specs):
            kw = dict(kw)
            if not with_env:
                kw.pop("envvar", None)
                kw["help"] = kw["help"].split(" [env")[0]
            name = decls[-1] if not decls[-1].startswith("-") else decls[-1].lstrip("-").replace("-", "_")
            if len(decls) == 2 and decls[0] == "-q":
                name = "quiet"
            f = click.option(*decls, expose_value=False, callback=_store(name), **kw)(f)
        return f

    return decorate


_CRON_LOCKING = [
    (("--lock-timeout",), _LOCKING[0][1]),
    (("--lock-wait",), dict(envvar="SCHEMADB_LOCK_WAIT", metavar="DURATION",
                            help="wait this long for another instance of this command instead of skipping "
                                 "(default 0) [env SCHEMADB_LOCK_WAIT]")),
    (("--retries",), _LOCKING[2][1]),
]


def cron_lock_options(f):
    return _options(_CRON_LOCKING, with_env=True)(f)


def cron_wait(ctx_settings: Settings) -> float:
    """Cron commands skip at once when busy, unless --lock-wait was given."""
    raw = click.get_current_context().find_root().meta.get(_STATE, {})
    return ctx_settings.lock_wait if raw.get("lock_wait") is not None else 0.0


def common_options(f):
    return _options(_COMMON, with_env=False)(f)


def lock_options(f):
    return _options(_LOCKING, with_env=True)(f)


def settings_from(ctx: click.Context) -> Settings:
    raw = ctx.find_root().meta.get(_STATE, {})
    s = Settings()
    changes = {}
    for key in ("dsn", "directory", "history_table", "wait"):
        if raw.get(key) is not None:
            changes[key] = raw[key]
    changes["quiet"] = bool(raw.get("quiet"))
    changes["json"] = bool(raw.get("as_json"))
    if raw.get("lock_timeout") is not None:
        changes["lock_timeout_ms"] = parse_duration_ms(raw["lock_timeout"], "--lock-timeout")
    if raw.get("lock_wait") is not None:
        changes["lock_wait"] = parse_duration_ms(raw["lock_wait"], "--lock-wait") / 1000
    if raw.get("retries") is not None:
        changes["retries"] = raw["retries"]
    s = s.with_(**changes)
    split_table_name(s.history_table)  # fail early on a bad --history-table
    return s


def command(f):
    """Build Settings and a Printer, run the command, print its result, map errors to exit codes."""

    @wraps(f)
    @click.pass_context
    def run(ctx: click.Context, *args, **kwargs):
        printer = Printer()
        try:
            s = settings_from(ctx)
            printer = Printer(s.json, s.quiet, (dsn_password(s.dsn),))
            ctx.meta["printer"] = printer
            code = f(s, printer, *args, **kwargs)
        except SchemadbError as e:
            printer.error(e)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            printer.line("schemadb: interrupted", err=True)
            ctx.exit(1)
        except Exception as e:  # psycopg errors outside a migration: connection lost, permissions
            import psycopg

            if not isinstance(e, psycopg.Error):
                raise
            printer.error(_database_error(e))
            ctx.exit(_database_error(e).exit_code)
        ctx.exit(code or 0)

    return run


def _database_error(e) -> SchemadbError:
    import psycopg

    from .errors import ConnectError

    msg = " ".join(str(e).split())
    if isinstance(e, psycopg.OperationalError) and (e.sqlstate is None or e.sqlstate.startswith(("08", "57"))):
        return ConnectError(f"lost the connection to the server: {msg}")
    err = SchemadbError(f"database error{f' [{e.sqlstate}]' if e.sqlstate else ''}: {msg}")
    return err


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@_options(_COMMON, with_env=True)
@click.version_option(package_name="schemadb")
def cli():
    """schemadb: raw-SQL PostgreSQL migrations with proven rollbacks.

    Exit codes: 0 done or nothing to do; 1 a migration or SQL failed; 2 usage, configuration or
    connection error; 3 validation refused to run (nothing was changed).
    """


@cli.command()
@common_options
@lock_options
@click.option("--target", metavar="VERSION", help="apply pending migrations up to this version")
@click.option("--dry-run", is_flag=True, help="print what would run; change nothing")
@click.option("--backup", "backup_dir", metavar="DIR", envvar="SCHEMADB_BACKUP_DIR",
              help="take a verified backup into DIR before applying anything [env SCHEMADB_BACKUP_DIR]")
@command
def migrate(s: Settings, out: Printer, target, dry_run, backup_dir):
    """Apply pending migrations in version order."""
    from . import runner

    res = runner.migrate(s, target=target, dry_run=dry_run, emit=out.event, backup_dir=backup_dir)
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
    from . import runner

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
    from . import runner

    res = runner.status(s)
    out.result(res)
    return 1 if exit_code and res.counts["pending"] else 0


@cli.command()
@common_options
@click.option("--files-only", is_flag=True, help="check the files without a database")
@command
def validate(s: Settings, out: Printer, files_only):
    """List every problem (exit 3): changed or missing files, bad names, missing pairs, out-of-order versions."""
    from . import runner

    res = runner.validate(s, files_only=files_only)
    out.result(res)
    return 3 if res.problems else 0


@cli.command()
@common_options
@click.argument("name")
@command
def new(s: Settings, out: Printer, name):
    """Create the next-numbered migration/rollback pair."""
    from . import runner

    out.result(runner.new(s, name))
    return 0


@cli.command()
@common_options
@lock_options
@click.option("--version", "version", required=True, metavar="V", help="record every migration up to V")
@command
def baseline(s: Settings, out: Printer, version):
    """Record migrations up to V as applied without running them (adopt an existing database)."""
    from . import runner

    out.result(runner.baseline(s, version, emit=out.event))
    return 0


@cli.command()
@common_options
@lock_options
@command
def repair(s: Settings, out: Printer):
    """Re-record the checksums of changed files, after a DBA reviewed them."""
    from . import runner

    out.result(runner.repair(s, emit=out.event))
    return 0


@cli.command()
@common_options
@click.option("--limit", type=int, default=20, show_default=True, help="entries to show")
@command
def log(s: Settings, out: Printer, limit):
    """The history of the history: every apply, rollback, baseline and repair."""
    from . import runner

    out.result(runner.history_log(s, limit))
    return 0


@cli.command()
@common_options
@lock_options
@click.option("--scratch-dsn", envvar="SCHEMADB_SCRATCH_DSN", metavar="URL",
              help="an empty database to use (default: create and drop one next to --dsn)")
@command
def verify(s: Settings, out: Printer, scratch_dsn):
    """Prove every rollback: apply, roll back and compare the schema, on a scratch database."""
    from . import verify as verify_mod

    res = verify_mod.verify(s, scratch_dsn=scratch_dsn, emit=out.event)
    out.result(res)
    return 1 if any(m["differences"] for m in res.migrations) else 0


@cli.command()
@common_options
@lock_options
@click.option("--demo", is_flag=True, help="also load the demo data set (an organization, users, agents, tasks…)")
@click.option("--reset", is_flag=True, help="with --demo: delete the demo data set first, then load it again")
@command
def seed(s: Settings, out: Printer, demo, reset):
    """Load the reference data idempotently (and, with --demo, the demo data set)."""
    from . import seed as seed_mod

    out.result(seed_mod.seed(s, demo=demo, reset=reset))
    return 0


@cli.group()
def partitions():
    """Monthly partitions: ensure, check, list."""


@partitions.command("ensure")
@common_options
@cron_lock_options
@click.option("--ahead", type=click.IntRange(0, 120), default=3, show_default=True, help="months after the current one")
@click.option("--behind", type=click.IntRange(0, 120), default=0, show_default=True,
              help="months before the current one")
@click.option("--table", "table", metavar="SCHEMA.TABLE", help="only this table")
@click.option("--dry-run", is_flag=True, help="print what would be created; change nothing")
@command
def partitions_ensure(s: Settings, out: Printer, ahead, behind, table, dry_run):
    """Create the monthly partitions from --behind to --ahead months (idempotent)."""
    from . import jobs
    from . import partitions as parts

    with jobs.cron_session(s, "partitions", cron_wait(s)) as conn:
        out.result(parts.ensure(conn, s, ahead=ahead, behind=behind, table=table, dry_run=dry_run, emit=out.event))
    return 0


@partitions.command("check")
@common_options
@click.option("--min-ahead", type=click.IntRange(0, 120), default=1, show_default=True,
              help="months after the current one that must exist")
@click.option("--table", "table", metavar="SCHEMA.TABLE", help="only this table")
@command
def partitions_check(s: Settings, out: Printer, min_ahead, table):
    """Exit 1 when a month's partition is missing or a default partition holds rows."""
    from . import db
    from . import partitions as parts

    with db.connect(s, "partitions check") as conn:
        res = parts.check(conn, min_ahead=min_ahead, table=table)
    out.result(res)
    return 1 if res.problems else 0


@partitions.command("list")
@common_options
@click.option("--table", "table", metavar="SCHEMA.TABLE", help="only this table")
@command
def partitions_list(s: Settings, out: Printer, table):
    """Every partition with its bounds, estimated rows and size."""
    from . import db
    from . import partitions as parts

    with db.connect(s, "partitions list") as conn:
        out.result(parts.listing(conn, table=table))
    return 0


@cli.command()
@common_options
@cron_lock_options
@click.option("--table", "table", metavar="SCHEMA.TABLE", help="only this table's policy")
@click.option("--dry-run", is_flag=True, help="print the plan (partitions and row counts); change nothing")
@click.option("--batch-size", type=click.IntRange(1), envvar="SCHEMADB_BATCH_SIZE",
              help="rows per transaction for row moves (default: the policy's, 10000) [env SCHEMADB_BATCH_SIZE]")
@command
def archive(s: Settings, out: Printer, table, dry_run, batch_size):
    """Apply the retention policies: archive, delete and purge old rows and partitions."""
    from . import archive as archive_mod
    from . import jobs

    with jobs.cron_session(s, "archive", cron_wait(s)) as conn:
        res = archive_mod.archive(conn, s, table=table, dry_run=dry_run, batch_size=batch_size, emit=out.event)
    out.result(res)
    return 1 if res.errors else 0


@cli.command("refresh-views")
@common_options
@cron_lock_options
@click.option("--concurrently", is_flag=True, help="REFRESH … CONCURRENTLY where the view has the unique index")
@command
def refresh_views(s: Settings, out: Printer, concurrently):
    """Refresh every materialized view, in dependency order."""
    from . import jobs

    with jobs.cron_session(s, "refresh-views", cron_wait(s)) as conn:
        out.result(jobs.refresh_views(conn, s, concurrently, emit=out.event))
    return 0


@cli.command()
@common_options
@cron_lock_options
@click.option("--analyze", is_flag=True, help="ANALYZE (with --vacuum: VACUUM ANALYZE; neither: both)")
@click.option("--vacuum", is_flag=True, help="VACUUM")
@command
def maintenance(s: Settings, out: Printer, analyze, vacuum):
    """VACUUM and ANALYZE the schema's tables (scheduled maintenance)."""
    from . import jobs

    with jobs.cron_session(s, "maintenance", cron_wait(s)) as conn:
        out.result(jobs.maintenance(conn, analyze, vacuum, emit=out.event))
    return 0


@cli.command()
@common_options
@click.option("--out", "out_dir", default="backups", show_default=True, envvar="SCHEMADB_BACKUP_DIR",
              metavar="DIR", help="folder for the backup files [env SCHEMADB_BACKUP_DIR]")
@click.option("--keep", type=click.IntRange(1), envvar="SCHEMADB_BACKUP_KEEP",
              help="keep only the newest N backups of this database in DIR [env SCHEMADB_BACKUP_KEEP]")
@click.option("--schema-only", is_flag=True, help="the schema without the data")
@command
def backup(s: Settings, out: Printer, out_dir, keep, schema_only):
    """pg_dump (custom format) to a timestamped file, with its .sha256 and a manifest of row counts."""
    from . import backup as backup_mod

    out.result(backup_mod.backup(s, out_dir, keep=keep, schema_only=schema_only, emit=out.event))
    return 0


@cli.command()
@common_options
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--clean", is_flag=True, help="drop the database objects before recreating them")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="parallel pg_restore jobs (1: one transaction, all or nothing)")
@command
def restore(s: Settings, out: Printer, file, clean, jobs):
    """Check the sha256, pg_restore into --dsn, then check the schema version and row counts."""
    from . import backup as backup_mod

    res = backup_mod.restore(s, file, clean=clean, jobs=jobs, emit=out.event)
    out.result(res)
    return 1 if res.mismatches else 0


@cli.command()
@common_options
@click.option("--max-view-age", default="24h", show_default=True, envvar="SCHEMADB_MAX_VIEW_AGE", metavar="DURATION",
              help="degraded when a materialized view was refreshed longer ago [env SCHEMADB_MAX_VIEW_AGE]")
@command
def health(s: Settings, out: Printer, max_view_age):
    """Probe: server, latency, schema up to date, partitions, views, Redis. Exit 0/1/2."""
    from . import health as health_mod

    res = health_mod.health(s, max_view_age_s=parse_duration_ms(max_view_age, "--max-view-age") // 1000)
    out.result(res)
    return res.exit_code


@cli.command()
@common_options
@click.option("--memory", envvar="SCHEMADB_SERVER_MEMORY", metavar="SIZE",
              help="the server's RAM, e.g. 16GB (default: this machine's, when the server is local) "
                   "[env SCHEMADB_SERVER_MEMORY]")
@command
def doctor(s: Settings, out: Printer, memory):
    """Sizes, unused indexes, bloat, slow statements, and server settings with postgresql.conf lines."""
    from . import db
    from . import doctor as doctor_mod

    size = None
    if memory:
        import re

        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?B)\s*", memory.upper())
        if not m:
            raise ConfigError(f"--memory {memory!r}: expected a size like 16GB or 512MB")
        size = int(float(m.group(1)) * {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}[m.group(2)])
    with db.connect(s, "doctor") as conn:
        out.result(doctor_mod.doctor(conn, s, memory=size))
    return 0


def main() -> None:
    try:
        cli.main(prog_name="schemadb")
    except click.exceptions.Exit as e:  # pragma: no cover - standalone mode exits itself
        sys.exit(e.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["cli", "main", "EXIT_USAGE"]
