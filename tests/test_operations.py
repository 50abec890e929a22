"""seed/backup/restore/health/doctor against the real server."""

import json
from pathlib import Path

import psycopg
from psycopg import sql

from schemadb import history
from schemadb.config import Settings
from schemadb.doctor import GB, recommend
from schemadb.snapshot import full_snapshot

from conftest import REFERENCE_VERSION, Cli, copy_set, make_dsn


def snapshot(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        return full_snapshot(c, history.History(Settings()))


def counts(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        tables = c.execute("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables").fetchall()
        return {t: c.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*t.split(".")))).fetchone()[0]
                for (t,) in tables}


def test_backup_drop_database_restore_gives_the_same_schema_and_rows(dsn, db, postgresql, tmp_path):
    name = f"{postgresql.info.dbname}_bk"
    db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    src = make_dsn(name)
    try:
        cli = Cli(src, None)
        assert cli("migrate", "-q").exit_code == 0 and cli("seed", "--demo", "-q").exit_code == 0
        before_schema, before_rows = snapshot(src), counts(src)
        r = cli("backup", "--out", str(tmp_path), "--json")
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        dump = Path(doc["file"])
        assert dump.is_file() and dump.name.startswith(f"{name}-")
        assert Path(f"{dump}.sha256").read_text().split() == [doc["sha256"], dump.name]
        manifest = json.loads(Path(f"{dump}.json").read_text())
        assert manifest["version"] == REFERENCE_VERSION and manifest["tables"]["core.tasks"] == 8
        db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        r = cli("restore", str(dump))
        assert r.exit_code == 0, r.output
        assert f"check ok: schema version {REFERENCE_VERSION} and the row counts of" in r.stdout
        assert snapshot(src) == before_schema
        assert counts(src) == before_rows
        # a corrupted file is refused before anything is restored
        data = bytearray(dump.read_bytes())
        data[len(data) // 2] ^= 0xFF
        dump.write_bytes(bytes(data))
        r = cli("restore", str(dump), "--clean")
        assert r.exit_code == 3 and "does not match its .sha256" in r.stderr
    finally:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_restore_check_catches_a_mismatch(ref_dsn, dsn, tmp_path):
    r = Cli(ref_dsn, None)("backup", "--out", str(tmp_path), "--json")
    dump = Path(json.loads(r.stdout)["file"])
    mf = Path(f"{dump}.json")
    manifest = json.loads(mf.read_text())
    manifest["tables"]["core.tasks"] = 9  # what the backup "recorded"
    mf.write_text(json.dumps(manifest))
    r = Cli(dsn, None)("restore", str(dump))
    assert r.exit_code == 1
    assert "MISMATCH core.tasks: 8 row(s), the backup recorded 9" in r.stdout


def test_keep_prunes_older_backups_and_old_pg_dump_is_refused(ref_dsn, tmp_path):
    cli = Cli(ref_dsn, None)
    for _ in range(3):
        assert cli("backup", "--out", str(tmp_path), "--keep", "2", "--schema-only", "-q").exit_code == 0
    assert len(list(tmp_path.glob("*.dump"))) == 2 and len(list(tmp_path.glob("*.sha256"))) == 2
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.9'\n")
    (fake / "pg_dump").chmod(0o755)
    r = cli("backup", "--out", str(tmp_path), env={"SCHEMADB_PG_BINDIR": str(fake)})
    assert r.exit_code == 2
    assert "older than the server (15)" in r.stderr and "nothing was done" in r.stderr


def test_migrate_backup_records_the_file(dsn, db, tmp_path):
    cli = Cli(dsn, copy_set("good", tmp_path))
    cli("migrate", "--target", "0001", "-q")
    r = cli("migrate", "--backup", str(tmp_path / "bk"))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("backup ") and "applied 0002" in r.stdout
    files = db.execute("SELECT DISTINCT backup_file FROM schema_migrations_log WHERE version > '0001'").fetchall()
    assert len(files) == 1 and Path(files[0][0]).is_file() and files[0][0].startswith(str(tmp_path / "bk"))
    assert cli("migrate", "--backup", str(tmp_path / "bk")).exit_code == 0  # nothing pending: no new backup
    assert len(list((tmp_path / "bk").glob("*.dump"))) == 1


def test_health_exit_codes(ref_dsn, dsn, tmp_path):
    r = Cli(ref_dsn, None)("health", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["status"] == "healthy"
    assert {c["name"] for c in doc["checks"]} == {"database", "migrations", "partitions", "materialized views"}
    cli = Cli(dsn, copy_set("good", tmp_path))
    cli("migrate", "--target", "0002", "-q")
    r = cli("health")
    assert r.exit_code == 1 and "FAIL migrations: 2 applied, 1 pending" in r.stdout
    r = Cli("postgresql://postgres@127.0.0.1:1/nothing", None)("health", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["status"] == "unreachable"


def test_health_with_redis(ref_dsn, redis_url):
    r = Cli(ref_dsn, None)("health", env={"SCHEMADB_REDIS_URL": redis_url})
    assert r.exit_code == 0 and "ok   redis: ping" in r.stdout
    r = Cli(ref_dsn, None)("health", env={"SCHEMADB_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert r.exit_code == 1 and "FAIL redis" in r.stdout


def test_health_flags_stale_views(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    assert cli("refresh-views", "-q").exit_code == 0
    ref.execute("UPDATE public.schemadb_view_refreshes SET refreshed_at = now() - interval '3 days'")
    r = cli("health", "--max-view-age", "1d")
    assert r.exit_code == 1 and "FAIL materialized views" in r.stdout


def test_doctor(ref_dsn, ref):
    r = Cli(ref_dsn, None)("doctor", "--memory", "16GB", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["memory_bytes"] == 16 * GB and doc["tables"]
    sizes = [t["total_bytes"] for t in doc["tables"]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) <= 15
    partitioned = [t for t in doc["tables"] if t["partitions"]]
    assert partitioned  # a partitioned table is summed over its partitions
    names = {s["name"] for s in doc["settings"]}
    assert {"shared_buffers", "work_mem", "maintenance_work_mem", "max_connections", "wal_level",
            "archive_mode"} <= names
    loaded = "pg_stat_statements" in ref.execute("SHOW shared_preload_libraries").fetchone()[0]
    # without pg_stat_statements the user is told how to enable it; with it, nothing to enable
    assert (doc["slow_statements_note"] is not None and "shared_preload_libraries = 'pg_stat_statements'" in
            doc["slow_statements_note"]) == (not loaded)
    shared = ref.execute("SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers'").fetchone()[0]
    assert shared < 2 * GB  # this test server is far from 25% of 16GB
    sb = [s for s in doc["settings"] if s["name"] == "shared_buffers"][0]
    assert not sb["ok"] and sb["recommended"] == "4GB"
    r = Cli(ref_dsn, None)("doctor", "--memory", "16GB")
    assert "postgresql.conf: shared_buffers = 4GB" in r.stdout


def test_recommendations_are_sized_to_memory():
    current = {n: {"setting": v, "unit": u, "display": f"{v}{u or ''}"} for n, v, u in [
        ("shared_buffers", "16384", "8kB"), ("effective_cache_size", "524288", "8kB"), ("work_mem", "4096", "kB"),
        ("maintenance_work_mem", "65536", "kB"), ("max_connections", "100", None), ("autovacuum", "on", None),
        ("autovacuum_vacuum_insert_scale_factor", "0.2", None), ("wal_level", "replica", None),
        ("archive_mode", "off", None), ("archive_command", "(disabled)", None), ("jit", "on", None)]}
    recs = {r["name"]: r for r in recommend(current, 32 * GB, pool_max=100)}
    assert recs["shared_buffers"]["line"] == "shared_buffers = 8GB" and not recs["shared_buffers"]["ok"]
    assert recs["effective_cache_size"]["line"] == "effective_cache_size = 24GB"
    assert recs["maintenance_work_mem"]["line"] == "maintenance_work_mem = 1638MB"
    assert recs["max_connections"]["line"] == "max_connections = 120"
    assert recs["wal_level"]["ok"] and not recs["archive_mode"]["ok"]
    assert "shared_buffers" not in {r["name"] for r in recommend(current, None, 100)}  # unknown memory
    assert recs["work_mem"]["line"] == "work_mem = 81MB" and not recs["work_mem"]["ok"]  # 32GB / 4 / 100
    assert not recs["autovacuum_vacuum_insert_scale_factor"]["ok"] and not recs["jit"]["ok"]
    assert recs["autovacuum"]["ok"]
    assert recommend(current, 32 * GB, pool_max=200)[-1]["name"] == "jit"
    assert {r["name"]: r for r in recommend(current, 32 * GB, pool_max=200)}["max_connections"]["line"] == (
        "max_connections = 220")
