"""Operations commands: seed, the cron commands (partitions, archive, refresh-views, maintenance),
backup, restore, health and doctor."""

from __future__ import annotations

import click

from ..config import Settings, parse_duration_ms
from ..errors import ConfigError
from ..output import Printer
from .base import cli, command, common_options, cron_lock_options, cron_wait, lock_options


@cli.command()
@common_options
@lock_options
@click.option("--demo", is_flag=True, help="also load the demo data set (an organization, users, agents, tasks…)")
@click.option("--reset", is_flag=True, help="with --demo: delete the demo data set first, then load it again")
@command
def seed(s: Settings, out: Printer, demo, reset):
    """Load the reference data idempotently (and, with --demo, the demo data set)."""
    from .. import seed as seed_mod

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
    from .. import jobs
    from .. import partitions as parts

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
    from .. import db
    from .. import partitions as parts

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
    from .. import db
    from .. import partitions as parts

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
    from .. import archive as archive_mod
    from .. import jobs

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
    from .. import jobs

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
    from .. import jobs

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
    from .. import backup as backup_mod

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
    from .. import backup as backup_mod

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
    from .. import health as health_mod

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
    from .. import db
    from .. import doctor as doctor_mod

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


