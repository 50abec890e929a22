"""Test fixtures: a real PostgreSQL 15 for every database test, never a mock.

When a server answers at SCHEMADB_TEST_DSN (default postgresql://postgres@127.0.0.1:5432/postgres),
pytest-postgresql's noproc fixtures give each test a fresh database on it. Otherwise a throwaway
server is started (as the postgres OS user when root) and used the same way.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict
from pytest_postgresql import factories
from pytest_redis import factories as redis_factories

from schemadb import _localpg
from schemadb.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SETS = Path(__file__).resolve().parent / "sets"
DEFAULT_TEST_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _server_dsn() -> str:
    dsn = os.environ.get("SCHEMADB_TEST_DSN", DEFAULT_TEST_DSN)
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
        return dsn
    except psycopg.Error:
        pass
    data = Path(tempfile.mkdtemp(prefix="schemadb-test-pg-"))
    started = _localpg.start(data)
    atexit.register(lambda: (_localpg.stop(data), shutil.rmtree(data, ignore_errors=True)))
    return started


SERVER_DSN = _server_dsn()
CACHE_DIR = tempfile.mkdtemp(prefix="schemadb-test-cache-")
atexit.register(lambda: shutil.rmtree(CACHE_DIR, ignore_errors=True))
_params = conninfo_to_dict(SERVER_DSN)
SERVER = {
    "host": _params.get("host", "127.0.0.1"),
    "port": int(_params.get("port", 5432)),
    "user": _params.get("user", "postgres"),
    "password": _params.get("password"),
}

# Every database a test run creates is named after the run (its pid), so a run that was killed before it
# could drop them (Ctrl-C, a lost machine) never collides with the next one on the same server, and the
# next run drops what a dead run left behind.
RUN = f"p{os.getpid()}"
_STALE = re.compile(r"^schemadb_(?:test|ref)(?:_p(\d+))?(?:\D|$)")


def _sweep_dead_runs() -> None:
    from psycopg import sql

    with psycopg.connect(SERVER_DSN, autocommit=True) as c:
        for (name,) in c.execute("SELECT datname FROM pg_database WHERE datname LIKE 'schemadb\\_%'").fetchall():
            m = _STALE.match(name)
            if not m or (m.group(1) and _alive(int(m.group(1)))):
                continue
            ident = sql.Identifier(name)
            c.execute(sql.SQL("ALTER DATABASE {} WITH is_template false allow_connections false").format(ident))
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_sweep_dead_runs()

postgresql_server = factories.postgresql_noproc(
    host=SERVER["host"], port=SERVER["port"], user=SERVER["user"], password=SERVER["password"],
    dbname=f"schemadb_test_{RUN}",
)
postgresql = factories.postgresql("postgresql_server")


def _load_reference(host, port, user, dbname, password=None, **_kw):
    """Template of the reference-schema tests: migrated and seeded with the demo data, once per session."""
    from schemadb import runner, seed
    from schemadb.config import Settings

    auth = user + (f":{password}" if password else "")
    s = Settings(dsn=f"postgresql://{auth}@{host}:{port}/{dbname}")
    res = runner.migrate(s)
    assert res.error is None, res.error
    seed.seed(s, demo=True)


reference_server = factories.postgresql_noproc(
    host=SERVER["host"], port=SERVER["port"], user=SERVER["user"], password=SERVER["password"],
    dbname=f"schemadb_ref_{RUN}", load=[_load_reference],
)
reference_postgresql = factories.postgresql("reference_server")


REFERENCE_MIGRATIONS = sorted(p.name for p in (ROOT / "migrations").glob("*.sql"))
REFERENCE_COUNT = len(REFERENCE_MIGRATIONS)
REFERENCE_VERSION = REFERENCE_MIGRATIONS[-1].split("_")[0]


def make_dsn(dbname: str) -> str:
    auth = SERVER["user"] + (f":{SERVER['password']}" if SERVER["password"] else "")
    return f"postgresql://{auth}@{SERVER['host']}:{SERVER['port']}/{dbname}"


# --- Redis: the server answering at SCHEMADB_TEST_REDIS_URL, else a throwaway one -----------------------

REDIS_URL = os.environ.get("SCHEMADB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_EXEC = shutil.which("redis-server") or "/usr/bin/redis-server"


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


_redis_params = __import__("urllib.parse", fromlist=["urlparse"]).urlparse(REDIS_URL)
if _redis_answers(REDIS_URL):
    redis_server = redis_factories.redis_noproc(host=_redis_params.hostname, port=_redis_params.port or 6379)
else:
    redis_server = redis_factories.redis_proc(executable=REDIS_EXEC, host="127.0.0.1", port=None)
redisdb = redis_factories.redisdb("redis_server", dbnum=int((_redis_params.path or "/0").strip("/") or 0))
# a Redis of the test's own, which the test may stop and start
own_redis_proc = redis_factories.redis_proc(executable=REDIS_EXEC, host="127.0.0.1", port=None)


@pytest.fixture
def redis_url(redis_server, redisdb) -> str:
    """The test Redis over TCP (redisdb flushes it after the test)."""
    return f"redis://{redis_server.host}:{redis_server.port}/{redisdb.connection_pool.connection_kwargs.get('db', 0)}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No SCHEMADB_* or DATABASE_URL from the developer's shell leaks into a test; the file caches of the
    tests live in a folder of the test session, not in the developer's ~/.cache."""
    for k in list(os.environ):
        if k.startswith("SCHEMADB_") or k in ("DATABASE_URL", "PGPASSWORD", "PGAPPNAME"):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SCHEMADB_CACHE_DIR", CACHE_DIR)


@pytest.fixture
def dsn(postgresql) -> str:
    """A fresh, empty database for this test."""
    return make_dsn(postgresql.info.dbname)


@pytest.fixture
def ref_dsn(reference_postgresql) -> str:
    """A fresh database holding the migrated reference schema and the demo data."""
    return make_dsn(reference_postgresql.info.dbname)


@pytest.fixture
def ref(reference_postgresql):
    """An autocommit owner connection to a fresh migrated-and-seeded reference database."""
    reference_postgresql.autocommit = True
    return reference_postgresql


APP_LOGIN = "schemadb_test_app"
APP_PASSWORD = "app-pw-for-tests"


def app_login_dsn(dbname: str, login: str = APP_LOGIN, password: str = APP_PASSWORD) -> str:
    return f"postgresql://{login}:{password}@{SERVER['host']}:{SERVER['port']}/{dbname}"


def ensure_login(conn, login: str, password: str, *member_of: str) -> None:
    """A login role (cluster-wide, so created once and kept) that is a member of exactly `member_of`."""
    from psycopg import sql

    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(login), sql.Literal(password)))
    for role in member_of:
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(login)))


@pytest.fixture
def app_dsn(ref) -> str:
    """The application's login (`IN ROLE app_user`, owning nothing) on the reference database: RLS applies."""
    ensure_login(ref, APP_LOGIN, APP_PASSWORD, "app_user")
    return app_login_dsn(ref.info.dbname)


@pytest.fixture
def db(postgresql):
    """An autocommit connection to the test's database, for assertions."""
    postgresql.autocommit = True
    return postgresql


def copy_set(name: str, dest: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=dest))
    shutil.copytree(SETS / name, target, dirs_exist_ok=True)
    return target


@pytest.fixture
def project(tmp_path):
    """Copy a fixture migration set into tmp_path: project('good') -> its folder."""
    return lambda name: copy_set(name, tmp_path)


class Cli:
    """Runs the CLI in-process (CliRunner) with a DSN and folder; result has exit_code, stdout, stderr."""

    def __init__(self, dsn: str | None, directory: Path | None):
        self.dsn = dsn
        self.directory = directory

    def __call__(self, *args: str, env: dict | None = None, input: str | None = None):
        full_env = {}
        if self.dsn:
            full_env["SCHEMADB_DSN"] = self.dsn
        if self.directory:
            full_env["SCHEMADB_DIR"] = str(self.directory)
        full_env.update(env or {})
        return CliRunner().invoke(cli, list(args), env=full_env, input=input, catch_exceptions=False)


@pytest.fixture
def run(dsn):
    """run(directory)('migrate', ...) -> click Result."""
    return lambda directory=None: Cli(dsn, directory)


def spawn(args: list[str], dsn: str, directory: Path | None, **kw) -> subprocess.Popen:
    """A real `schemadb` process (for concurrency and kill tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMADB_")}
    env["SCHEMADB_DSN"] = dsn
    env["SCHEMADB_CACHE_DIR"] = CACHE_DIR
    if directory:
        env["SCHEMADB_DIR"] = str(directory)
    env.update(kw.pop("env", {}))
    return subprocess.Popen([sys.executable, "-m", "schemadb", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=kw.pop("cwd", ROOT), **kw)


def write_set(root: Path, files: dict) -> Path:
    """A migration folder written from strings: {"migrations/0001_a.sql": "…", …} (bytes allowed)."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
    (root / "migrations").mkdir(exist_ok=True)
    (root / "rollback").mkdir(exist_ok=True)
    return root


def one_error_line(r) -> str:
    """The one `schemadb: error:` line of a failed command, with no traceback anywhere."""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("schemadb: warning:")]
    assert lines and lines[0].startswith("schemadb: error: "), r.stderr
    assert "Traceback" not in r.output
    return lines[0]
