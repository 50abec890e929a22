"""A throwaway local PostgreSQL server (initdb + pg_ctl on a free port), for `make demo`,
the tests (when no server answers at SCHEMADB_TEST_DSN) and the benchmarks.

pg_ctl refuses to run as root, so as root the server runs as the `postgres` OS user.

    python -m schemadb._localpg start DIR   # prints the DSN
    python -m schemadb._localpg stop DIR
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path


def bindir() -> Path:
    for candidate in ("pg_ctl", "initdb"):
        found = shutil.which(candidate)
        if found:
            return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if versions:
        return Path(versions[-1]).parent
    raise SystemExit("PostgreSQL server binaries not found: install the Debian packages postgresql "
                     "postgresql-contrib (make test / make demo do it when run as root)")


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _options(port: int, root: Path) -> str:
    """The server settings of every throwaway server (a standby needs at least its primary's)."""
    return (f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
            "-c fsync=on -c max_connections=200 -c shared_buffers=256MB")


def start(directory: str | Path, port: int | None = None) -> str:
    """Start (initialising on first use) a server with its data under `directory`; return its DSN."""
    root = Path(directory).resolve()
    data = root / "data"
    port_file = root / "port"
    root.mkdir(parents=True, exist_ok=True)
    _chown(root)
    b = bindir()
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_owner([str(b / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL)
    status = subprocess.run(_as_owner([str(b / "pg_ctl"), "-D", str(data), "status"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if status.returncode == 0 and port_file.exists():
        port = int(port_file.read_text())
    else:
        port = port or free_port()
        subprocess.run(_as_owner([str(b / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                                  "-o", _options(port, root), "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        port_file.write_text(str(port))
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def start_standby(primary_dsn: str, directory: str | Path) -> str:
    """A hot standby of the server at `primary_dsn` (pg_basebackup -R), with its data under `directory`;
    return its DSN. For tests of what schemadb does against a standby."""
    from psycopg.conninfo import conninfo_to_dict

    root = Path(directory).resolve()
    data = root / "data"
    root.mkdir(parents=True, exist_ok=True)
    _chown(root)
    b = bindir()
    p = conninfo_to_dict(primary_dsn)
    subprocess.run(_as_owner([str(b / "pg_basebackup"), "-h", p.get("host", "127.0.0.1"), "-p", str(p.get("port", 5432)),
                              "-U", p.get("user", "postgres"), "-D", str(data), "-R", "-X", "stream", "--no-sync"]),
                   check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    subprocess.run(_as_owner([str(b / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                              "-o", _options(port, root) + " -c hot_standby=on", "-w", "-t", "60", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    (root / "port").write_text(str(port))
    return f"postgresql://{p.get('user', 'postgres')}@127.0.0.1:{port}/{p.get('dbname', 'postgres')}"


def stop(directory: str | Path) -> None:
    data = Path(directory).resolve() / "data"
    if not (data / "PG_VERSION").exists():
        return
    subprocess.run(_as_owner([str(bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


DEMO_APP_LOGIN = "schemadb_demo_app"


def app_login(owner_dsn: str, login: str = DEMO_APP_LOGIN) -> str:
    """The demo's application login (a member of app_user owning nothing; the demo server trusts local
    connections, so it has no password), checked as create_pool() checks it; return its DSN."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    from .app import check_login

    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE app_user").format(sql.Identifier(login)))
    p = conninfo_to_dict(owner_dsn)
    dsn = f"postgresql://{login}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{p.get('dbname', 'postgres')}"
    check_login(dsn)
    return dsn


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop", "app-login"):
        print("usage: python -m schemadb._localpg start|stop DIR | app-login OWNER_DSN", file=sys.stderr)
        return 2
    if argv[0] == "start":
        print(start(argv[1]))
    elif argv[0] == "app-login":
        print(app_login(argv[1]))
    else:
        stop(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
