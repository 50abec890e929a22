"""The command line's shared parts: the group, the common options, Settings, and the `command` wrapper
that maps every expected failure to one line and its exit code.

Only click and the light modules are imported at start-up; psycopg, pglast and the command
modules are imported when a command runs, so `schemadb --help` stays fast.
"""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click

from ..config import Settings, dsn_password, history_table_name, parse_duration_ms
from ..errors import ConfigError, SchemadbError
from ..output import Printer

_STATE = "schemadb.settings"


def _store(name):
    def callback(ctx: click.Context, param, value):
        if value is not None and value is not False:
            state = ctx.find_root().meta.setdefault(_STATE, {})
            state[name] = value
            state[f"{name}:source"] = ctx.get_parameter_source(param.name)
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
                               help="the longest single lock attempt: attempts start at 100ms and grow to this "
                                    "(default 200ms) [env SCHEMADB_LOCK_TIMEOUT]")),
    (("--lock-retry-for",), dict(envvar="SCHEMADB_LOCK_RETRY_FOR", metavar="DURATION",
                                 help="keep retrying a lock this long in all, pausing between attempts so the "
                                      "application catches up (default 5min) [env SCHEMADB_LOCK_RETRY_FOR]")),
    (("--lock-wait",), dict(envvar="SCHEMADB_LOCK_WAIT", metavar="DURATION",
                            help="how long to wait for another runner's lock (default 60s) [env SCHEMADB_LOCK_WAIT]")),
    (("--retries",), dict(envvar="SCHEMADB_RETRIES", type=click.IntRange(0, 100000),
                          help="at most this many retries after a lock timeout (default: as many as "
                               "--lock-retry-for allows) [env SCHEMADB_RETRIES]")),
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
    _LOCKING[0],
    _LOCKING[1],
    (("--lock-wait",), dict(envvar="SCHEMADB_LOCK_WAIT", metavar="DURATION",
                            help="wait this long for another instance of this command instead of skipping "
                                 "(default 0) [env SCHEMADB_LOCK_WAIT]")),
    _LOCKING[3],
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
        if changes["lock_timeout_ms"] < 1:  # PostgreSQL's 0 would wait forever, queueing the application behind it
            raise ConfigError("--lock-timeout: must be at least 1ms (0 would wait for the lock without bound, and "
                              "every query on the table would queue behind the wait)")
    if raw.get("lock_retry_for") is not None:
        changes["lock_retry_for_s"] = parse_duration_ms(raw["lock_retry_for"], "--lock-retry-for") / 1000
        if changes["lock_retry_for_s"] <= 0:
            raise ConfigError("--lock-retry-for: must be more than 0 (the total time the lock attempts may take)")
    if raw.get("lock_wait") is not None:
        changes["lock_wait"] = parse_duration_ms(raw["lock_wait"], "--lock-wait") / 1000
    if raw.get("retries") is not None:
        changes["retries"] = raw["retries"]
    s = s.with_(**changes)
    history_table_name(s.history_table)  # fail early on a bad --history-table
    return s


def _password_on_command_line(ctx: click.Context) -> bool:
    raw = ctx.find_root().meta.get(_STATE, {})
    return raw.get("dsn:source") == click.core.ParameterSource.COMMANDLINE and bool(dsn_password(raw.get("dsn")))


def warn_password_in_argv(printer: Printer) -> None:
    printer.line("schemadb: warning: the password in --dsn is visible to every user of this machine (ps) for the "
                 "whole run; use PGPASSWORD, ~/.pgpass or SCHEMADB_DSN instead", err=True)


def command(f):
    """Build Settings and a Printer, run the command, print its result, map errors to exit codes."""

    @wraps(f)
    @click.pass_context
    def run(ctx: click.Context, *args, **kwargs):
        from .. import interrupts

        interrupts.install()
        printer = Printer()
        try:
            s = settings_from(ctx)
            printer = Printer(s.json, s.quiet, (dsn_password(s.dsn),))
            ctx.meta["printer"] = printer
            if _password_on_command_line(ctx):
                warn_password_in_argv(printer)
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
        finally:
            if "schemadb.facts" in sys.modules:
                sys.modules["schemadb.facts"].save()
        ctx.exit(code or 0)

    return run


def _database_error(e) -> SchemadbError:
    import psycopg

    from ..errors import ConnectError

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


