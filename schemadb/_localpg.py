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
        opts = (f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
                "-c fsync=on -c max_connections=200 -c shared_buffers=256MB")
        subprocess.run(_as_owner([str(b / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                                  "-o", opts, "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        port_file.write_text(str(port))
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def stop(directory: str | Path) -> None:
    data = Path(directory).resolve() / "data"
    if not (data / "PG_VERSION").exists():
        return
    subprocess.run(_as_owner([str(bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m schemadb._localpg start|stop DIR", file=sys.stderr)
        return 2
    if argv[0] == "start":
        print(start(argv[1]))
    else:
        stop(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
