#!/usr/bin/env python3
"""Run RudderStack's own `pb` CLI on a pb project and CSV inputs, on a private local PostgreSQL,
and export every table and view it publishes as CSV: a reference to compare our outputs with.

    python3 bench/pb_reference.py -p PROJECT \
        --table pbdb.rs_src.identifies=data/identifies.csv --table pbdb.rs_src.tracks=data/tracks.csv \
        [--end-time 2024-02-01T00:00:00Z] -o OUT_DIR

(Vendored from the team's ../shared/pbref/pb_reference.py, so CI can run pb as the oracle:
`profiles_pipeline_tests/test_pb_differential.py`.)

- pb comes from the package index (`profiles-rudderstack-bin`, pinned below), cached in
  $PBREF_CACHE (default ~/.cache/pbref). It needs SF_DISABLE_MINICORE=true (set here).
- PostgreSQL comes from the system packages (installed with apt-get when missing) and runs as the
  `postgres` user on 127.0.0.2 (pb refuses the names `localhost` and `127.0.0.1`), on a free port,
  in a fresh folder that is removed afterwards (unless --keep). pb talks to it with its `postgres`
  warehouse type.
- `--table NAME=CSV`: NAME as the project's inputs spell it (`db.schema.table`, db = pbdb). Column
  types are inferred (bigint, double precision, timestamp, text); empty cells are NULL.
- The project is copied and migrated to pb's current schema (`pb migrate auto --inplace`) in the
  copy; the original is not touched. OUT_DIR gets one CSV per table/view of the output schema,
  pb's logs, and pb's compiled SQL.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

PB_VERSION = "0.26.4"
HOST = "127.0.0.2"
USER, PASSWORD, DB = "pbuser", "pbpass", "pbdb"


def run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("check", True)
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


def pb_binary() -> Path:
    cache = Path(os.environ.get("PBREF_CACHE", Path.home() / ".cache" / "pbref"))
    pb = cache / f"pb-{PB_VERSION}"
    if pb.exists():
        return pb
    cache.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache),
         f"profiles-rudderstack-bin=={PB_VERSION}"])
    wheel = next(cache.glob(f"profiles_rudderstack_bin-{PB_VERSION}-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        member = next(n for n in z.namelist() if n.endswith("/bin/pb"))
        pb.write_bytes(z.read(member))
    pb.chmod(0o755)
    return pb


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", "postgresql"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(cmd: str) -> None:
    run(["su", "postgres", "-c", cmd])


def start_cluster(work: Path, port: int) -> Path:
    bin_, data = pg_bin(), work / "pgdata"
    data.mkdir(parents=True)
    (work / "pw").write_text("pgsuper\n")
    for p in (work, data, work / "pw"):
        shutil.chown(p, "postgres", "postgres")
    as_postgres(f"{bin_}/initdb -D {data} -A scram-sha-256 --pwfile={work}/pw -U postgres")
    with open(data / "pg_hba.conf", "a") as f:
        f.write(f"host all all {HOST}/32 scram-sha-256\n")
    as_postgres(f"{bin_}/pg_ctl -D {data} -l {work}/pg.log -w "
                f"-o '-p {port} -k {work} -c listen_addresses={HOST}' start")
    psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(port), "-U", "postgres"]
    env = {**os.environ, "PGPASSWORD": "pgsuper"}
    run(psql + ["-c", f"create user {USER} with password '{PASSWORD}' superuser",
                "-c", f"create database {DB} owner {USER}"], env=env)
    return bin_


def stop_cluster(bin_: Path, work: Path) -> None:
    subprocess.run(["su", "postgres", "-c", f"{bin_}/pg_ctl -D {work}/pgdata -m fast stop"],
                   capture_output=True)


def column_type(values: list[str]) -> str:
    vals = [v for v in values if v != ""]
    for typ, ok in (("bigint", int), ("double precision", float), ("timestamp", _ts)):
        try:
            for v in vals:
                ok(v)
            return typ if vals else "text"
        except ValueError:
            continue
    return "text"


def _ts(v: str) -> datetime:
    return datetime.fromisoformat(v.replace("Z", "+00:00"))


def load_table(psql: list[str], env: dict, name: str, path: Path) -> None:
    parts = name.split(".")
    schema, table = (parts[-2], parts[-1]) if len(parts) >= 2 else ("public", parts[-1])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    cols = ", ".join(f'"{c}" {column_type([r[i] for r in body])}' for i, c in enumerate(header))
    run(psql + ["-c", f'create schema if not exists "{schema}"',
                "-c", f'drop table if exists "{schema}"."{table}"',
                "-c", f'create table "{schema}"."{table}" ({cols})',
                "-c", f"\\copy \"{schema}\".\"{table}\" from '{path.resolve()}' with (format csv, header true, null '')"],
        env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-p", "--project", required=True, type=Path)
    ap.add_argument("--table", action="append", default=[], help="NAME=CSV (repeatable)")
    ap.add_argument("--end-time", help="pb's --end_time (RFC3339, epoch, now)")
    ap.add_argument("-o", "--out", required=True, type=Path)
    ap.add_argument("--keep", action="store_true", help="leave the cluster and work folder")
    a = ap.parse_args()
    pb = pb_binary()
    work = Path(tempfile.mkdtemp(prefix="pbref-"))
    port = free_port()
    bin_ = start_cluster(work, port)
    env = {**os.environ, "PGPASSWORD": PASSWORD, "SF_DISABLE_MINICORE": "true", "HOME": str(work / "home")}
    psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(port), "-U", USER, DB]
    try:
        for spec in a.table:
            name, path = spec.split("=", 1)
            load_table(psql, env, name, Path(path))
        run(psql + ["-c", "create schema pb_int", "-c", "create schema pb_out"], env=env)
        proj = work / "project"
        shutil.copytree(a.project, proj, symlinks=True,
                        ignore=shutil.ignore_patterns("output", "data", ".git", "original_project_folder"))
        import yaml  # noqa: PLC0415 - only needed here; pyyaml is in our dev extra
        connection = yaml.safe_load((proj / "pb_project.yaml").read_text())["connection"]
        site = {"connections": {connection: {"target": "dev", "outputs": {"dev": {
            "type": "postgres", "host": HOST, "port": port, "dbname": DB, "user": USER, "password": PASSWORD,
            "schema": "pb_int", "outputSchema": "pb_out", "sslmode": "disable", "driver": "v1"}}}},
            "gitcreds": [], "block_store_creds": [], "py_models": {"enabled": False, "python_path": ""}}
        sc = work / "home" / ".pb" / "siteconfig.yaml"  # pb's default place; `migrate` reads only that
        sc.parent.mkdir(parents=True, exist_ok=True)
        sc.write_text(yaml.safe_dump(site))
        a.out.mkdir(parents=True, exist_ok=True)
        logs = []
        for cmd in (["migrate", "auto", "--inplace", "-p", str(proj)],
                    ["run", "-p", str(proj), "-c", str(sc)] + (["--end_time", a.end_time] if a.end_time else [])):
            r = subprocess.run([str(pb), *cmd], text=True, capture_output=True, env=env, cwd=proj)
            logs.append(f"$ pb {' '.join(cmd)}\n{r.stdout}\n{r.stderr}\n")
            if r.returncode and cmd[0] == "run":
                (a.out / "pb.log").write_text("".join(logs))
                print(f"pb run failed (exit {r.returncode}); see {a.out / 'pb.log'}", file=sys.stderr)
                return 1
        (a.out / "pb.log").write_text("".join(logs))
        names = run(psql + ["-Atc", "select table_name from information_schema.tables where table_schema = 'pb_out'"],
                    env=env).stdout.split()
        for n in names:
            run(psql + ["-c", f"\\copy (select * from pb_out.\"{n}\") to '{(a.out / (n + '.csv')).resolve()}' csv header"],
                env=env)
        if (proj / "output").exists():
            shutil.copytree(proj / "output", a.out / "compiled", dirs_exist_ok=True)
        print(f"pb {PB_VERSION}: {len(names)} outputs in {a.out}: {', '.join(sorted(names))}")
        return 0
    finally:
        if not a.keep:
            stop_cluster(bin_, work)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
