"""`schemadb backup` and `schemadb restore`: pg_dump/pg_restore with checksums and a restore check.

A backup is <out>/<dbname>-<UTC time>.dump (pg_dump custom format) with <file>.sha256 (sha256sum format)
and <file>.json (the manifest: schema version and the row count of every table). The counts describe
exactly what the dump holds: they are taken in the transaction whose snapshot pg_dump uses (--snapshot).
`restore` refuses a file that does not match its .sha256, runs pg_restore, then compares the restored
schema version and row counts with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .config import Settings, describe_dsn, dsn_password, redact
from .db import connect
from .errors import ConfigError, SchemadbError, ValidationError
from .history import History
from .resources import read_sql

MANIFEST_FORMAT = "schemadb-backup/1"


class BackupError(SchemadbError):
    """pg_dump or pg_restore failed, or the restored database does not match the backup."""


@dataclass
class BackupResult:
    file: str
    sha256: str
    bytes: int
    seconds: float
    version: str | None
    tables: int
    rows: int
    schema_only: bool
    pruned: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"command": "backup", **self.__dict__}


@dataclass
class RestoreResult:
    file: str
    target: str
    seconds: float
    version: str | None
    tables_checked: int
    mismatches: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"command": "restore", **self.__dict__, "ok": not self.mismatches}


def find_tool(name: str, server_major: int) -> str:
    """The client tool for the server's major version when installed, else the one on PATH; refuses a
    pg_dump/pg_restore older than the server (it cannot read a newer server's catalogue)."""
    override = os.environ.get("SCHEMADB_PG_BINDIR")  # a folder of client tools to use instead
    candidates = ([os.path.join(override, name)] if override else
                  [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)])
    path = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if path is None:
        raise ConfigError(f"{name} not found: install the PostgreSQL client (Debian: postgresql-client-{server_major})")
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    if not m or int(m.group(1)) < server_major:
        raise ConfigError(f"{path} is version {out.strip()}, older than the server ({server_major}): "
                          f"install postgresql-client-{server_major} or newer; nothing was done")
    return path


def libpq_target(dsn: str) -> tuple[str, dict]:
    """A conninfo without the password, and an environment carrying it (never on a command line)."""
    params = conninfo_to_dict(dsn)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo("", **params), env


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _follow(proc: subprocess.Popen, pattern: re.Pattern, emit, verb: str, lines: list[str]) -> threading.Thread:
    """Read the tool's --verbose stderr: keep it for errors, emit one progress event per table."""

    def run():
        for line in proc.stderr:
            lines.append(line.rstrip())
            m = pattern.search(line)
            if m and emit:
                emit("tool_progress", verb=verb, table=m.group(1))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


_DUMPING = re.compile(r'dumping contents of table "([^"]+)"')
_RESTORING = re.compile(r'processing data for table "([^"]+)"')


def _tool_error(tool: str, code: int, lines: list[str], dsn: str) -> BackupError:
    errors = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()] or lines[-3:]
    return BackupError(redact(f"{tool} failed (exit {code}): " + " | ".join(errors[-3:]), dsn_password(dsn)))


def check_out_dir(out_dir: str | Path) -> Path:
    """The backup folder: an existing writable folder, or one that can be created (0700, since a backup
    holds password, session and API-key hashes). Checked before any work is done."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: not a folder; nothing was done")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: {probe} is not writable; nothing was done")
    return out


def file_stem(dbname: str) -> str:
    """A database name made safe as a file name (no '/', no leading dot); the manifest keeps the real name."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", dbname).lstrip(".") or "database"
    return stem[:100]


def _private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def _version(conn: psycopg.Connection, settings: Settings) -> str | None:
    h = History(settings)
    if not h.exists(conn):
        return None
    return conn.execute(sql.SQL("SELECT max(version) FROM {}").format(h.ids["history"])).fetchone()[0]


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    out = {}
    for schema, name in conn.execute(read_sql("queries", "table_row_counts.sql"), {}).fetchall():
        out[f"{schema}.{name}"] = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))).fetchone()[0]
    return out


def backup(settings: Settings, out_dir: str | Path = "backups", keep: int | None = None, schema_only: bool = False,
           emit=None) -> BackupResult:
    dsn = settings.require_dsn()
    if keep is not None and keep < 1:
        raise ConfigError("--keep must be 1 or more")
    out = check_out_dir(out_dir)
    conn = connect(settings, "backup")
    try:
        server_major = conn.info.server_version // 10000
        pg_dump = find_tool("pg_dump", server_major)
        dbname = conn.info.dbname
        stem = file_stem(dbname)
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        final = out / f"{stem}-{stamp}.dump"
        n = 1
        while final.exists():
            n += 1
            final = out / f"{stem}-{stamp}-{n}.dump"
        partial = final.with_name(final.name + ".partial")
        started = time.monotonic()
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        target, env = libpq_target(dsn)
        cmd = [pg_dump, "--format=custom", "--verbose", f"--snapshot={snapshot}", f"--file={partial}",
               f"--dbname={target}"] + (["--schema-only"] if schema_only else [])
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                umask=0o077)  # the dump is created 0600
        lines: list[str] = []
        follower = _follow(proc, _DUMPING, emit, "dumping", lines)
        try:
            version = _version(conn, settings)
            counts = {} if schema_only else _counts(conn)  # same snapshot as the dump
        finally:
            code = proc.wait()
            follower.join()
            conn.execute("COMMIT")
        if code != 0:
            partial.unlink(missing_ok=True)
            raise _tool_error("pg_dump", code, lines, dsn)
        # a verified backup: pg_restore can read its table of contents
        check = subprocess.run([find_tool("pg_restore", server_major), "--list", str(partial)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_restore cannot read the new dump: {check.stderr.strip()}")
        partial.rename(final)
        digest = sha256_of(final)
        _private(Path(f"{final}.sha256"), f"{digest}  {final.name}\n")
        manifest = {"format": MANIFEST_FORMAT, "database": dbname, "server_version": conn.info.server_version,
                    "created_at": dt.datetime.now(dt.UTC).isoformat(), "schema_only": schema_only,
                    "history_table": History(settings).qualified, "version": version, "tables": counts,
                    "sha256": digest, "bytes": final.stat().st_size}
        _private(Path(f"{final}.json"), json.dumps(manifest, indent=2) + "\n")
        result = BackupResult(str(final), digest, final.stat().st_size, round(time.monotonic() - started, 3),
                              version, len(counts), sum(counts.values()), schema_only)
        if keep:
            result.pruned = prune(out, stem, keep)
        return result
    finally:
        conn.close()


def prune(out: Path, stem: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` backups of the database `stem` names in `out` (with their .sha256
    and .json)."""
    pattern = re.compile(rf"^{re.escape(stem)}-\d{{8}}T\d{{6}}Z(-\d+)?\.dump$")
    dumps = sorted((p for p in out.iterdir() if pattern.match(p.name)), key=lambda p: p.name, reverse=True)
    removed = []
    for old in dumps[keep:]:
        for p in (old, Path(f"{old}.sha256"), Path(f"{old}.json")):
            p.unlink(missing_ok=True)
        removed.append(str(old))
    return removed


def read_sidecars(path: Path) -> dict:
    """The .sha256 and .json beside a backup, checked whole before anything is restored: the file matches
    its checksum, and the manifest has every key the restore check needs, of the right type."""
    side, mf = Path(f"{path}.sha256"), Path(f"{path}.json")
    if not side.is_file() or not mf.is_file():
        raise ValidationError(f"{path}: its .sha256 or .json is missing; refusing an unverifiable backup; "
                              "nothing was restored")
    try:
        words = side.read_text(encoding="utf-8", errors="replace").split()
    except OSError as e:
        raise ValidationError(f"{side}: cannot be read ({e.strerror}); nothing was restored") from None
    if not words or not re.fullmatch(r"[0-9a-f]{64}", words[0]):
        raise ValidationError(f"{side}: not a sha256 checksum file (expected '<64 hex digits>  <file>'); "
                              "nothing was restored")
    if sha256_of(path) != words[0]:
        raise ValidationError(f"{path}: does not match its .sha256 (corrupted or truncated); nothing was restored")
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValidationError(f"{mf}: not a readable JSON manifest ({e}); nothing was restored") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValidationError(f"{mf}: not a schemadb backup manifest; nothing was restored")
    shape = {"version": (str, type(None)), "tables": dict, "schema_only": bool}
    for key, kind in shape.items():
        if key not in manifest or not isinstance(manifest[key], kind):
            raise ValidationError(f"{mf}: the manifest's {key!r} is missing or malformed; nothing was restored")
    if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
               for k, v in manifest["tables"].items()):
        raise ValidationError(f"{mf}: the manifest's row counts are malformed; nothing was restored")
    return manifest


def restore(settings: Settings, file: str | Path, clean: bool = False, jobs: int = 1, emit=None) -> RestoreResult:
    dsn = settings.require_dsn()
    path = Path(file)
    if not path.is_file():
        raise ConfigError(f"{path}: no such backup file")
    manifest = read_sidecars(path)
    if jobs < 1:
        raise ConfigError("--jobs must be 1 or more")
    conn = connect(settings, "restore", writable=True)
    try:
        pg_restore = find_tool("pg_restore", conn.info.server_version // 10000)
    finally:
        conn.close()
    target, env = libpq_target(dsn)
    cmd = [pg_restore, "--verbose", "--exit-on-error", f"--dbname={target}"]
    cmd += ["--clean", "--if-exists"] if clean else []
    # one transaction (all or nothing) unless parallel jobs were asked for
    cmd += [f"--jobs={jobs}"] if jobs > 1 else ["--single-transaction"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd + [str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    follower = _follow(proc, _RESTORING, emit, "restoring", lines)
    code = proc.wait()
    follower.join()
    if code != 0:
        raise _tool_error("pg_restore", code, lines, dsn)
    result = RestoreResult(str(path), describe_dsn(dsn), 0.0, None, 0)
    conn = connect(settings, "restore")
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            result.version = _version(conn, settings)
            counts = {} if manifest["schema_only"] else _counts(conn)
    finally:
        conn.close()
    if result.version != manifest["version"]:
        result.mismatches.append(f"schema version {result.version}, the backup recorded {manifest['version']}")
    for table, n in sorted(manifest["tables"].items()):
        got = counts.get(table)
        if got != n:
            result.mismatches.append(f"{table}: {got if got is not None else 'missing'} row(s), the backup recorded {n}")
    result.tables_checked = len(manifest["tables"])
    result.seconds = round(time.monotonic() - started, 3)
    return result
