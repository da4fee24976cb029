"""Goal P2: the audit CSV export, as users run it, against the database's own raw dump; verify speed; memory.

    python benchmarks/bench_audit_export.py [--events 1000000] [--small 100000] [--runs 3]
                                            [--database-url postgresql+psycopg://...] [--work DIR]

Whole commands, each a separate process timed from outside (wall clock, CPU
and peak RSS from the kernel's accounting of the finished child, as
``/usr/bin/time -v`` reports them), alternated A, B, A, B so that a machine
whose speed drifts affects both alike:

  A  ``tender audit export --format csv --output FILE`` (it verifies the whole
     chain first, in the same pass);
  B  the raw dump of the same table: ``sqlite3 -csv DB "SELECT * FROM
     audit_event ORDER BY seq"`` on SQLite, ``psql -c "COPY (SELECT * FROM
     audit_event ORDER BY seq) TO STDOUT CSV"`` on PostgreSQL;
  V  ``tender audit verify`` (events per second).

The goal is B/A >= 0.5 (the export at least half the raw dump's speed), the
export's peak RSS the same at ``--small`` and ``--events`` events, and verify
>= 100,000 events/s. The databases (a valid chain of N events) are generated
once and kept in ``--work`` (SQLite files; PostgreSQL databases named
``tender_bench_audit_N``) for the next run; ``--fresh`` rebuilds them. Each
export run appends one event (the export is audited), which does not matter.
Prints the medians and writes JSON to benchmarks/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TENDER = str(Path(sys.executable).parent / "tender")
CONFIG = {"TESTING": True, "SECRET_KEY": "bench", "TENDER_ENV": "testing"}


def fill(url: str, count: int) -> None:
    """Migrate and insert ``count`` chained events (as Tender stores them): COPY on PostgreSQL, batches on SQLite."""
    from flask_migrate import upgrade

    from tender import create_app
    from tender.domain.audit_chain import GENESIS_HASH, compact_json, event_hash
    from tender.domain.audit_rows import STORED_COLUMNS
    from tender.extensions import db
    from tender.models import AuditEvent

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        prev, start = GENESIS_HASH, datetime(2022, 4, 1, tzinfo=timezone.utc)

        def events():
            nonlocal prev
            for seq in range(1, count + 1):
                at = (start + timedelta(seconds=seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                event = {"seq": seq, "occurred_at": at, "actor": f"officer{seq % 7}@kent.example",
                         "actor_role": "procurement_officer", "action": "score.saved", "object_type": "score",
                         "object_id": str(seq), "procurement_ref": f"KCC-22/{seq % 500:05d}", "lot": seq % 5 + 1,
                         "before": None, "after": {"score": seq % 5, "rationale": "Meets the requirement well"},
                         "reason": None, "ip": "10.0.0.1", "prev_hash": prev}
                event["hash"] = prev = event_hash(event)
                event["after"] = compact_json(event["after"])
                yield event

        if db.engine.dialect.name == "postgresql":
            raw = db.session.connection().connection.dbapi_connection
            with raw.cursor() as cursor, cursor.copy(
                    f"COPY audit_event ({', '.join(STORED_COLUMNS)}) FROM STDIN") as copy:
                for event in events():
                    copy.write_row([event[name] for name in STORED_COLUMNS])
        else:
            batch = []
            for event in events():
                batch.append(event)
                if len(batch) == 20000:
                    db.session.execute(AuditEvent.__table__.insert(), batch)
                    batch = []
            if batch:
                db.session.execute(AuditEvent.__table__.insert(), batch)
        db.session.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": count, "h": prev})
        db.session.commit()
        db.engine.dispose()


def database(base_url: str | None, work: Path, count: int, fresh: bool) -> str:
    """The URL of a database holding ``count`` events, generated once and reused."""
    if base_url is None:
        path = work / f"audit_{count}.db"
        if fresh and path.exists():
            path.unlink()
        url = f"sqlite:///{path}"
        if not path.exists():
            fill(url, count)
        return url
    name = f"tender_bench_audit_{count}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and fresh:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    if not exists:
        fill(url, count)
    return url


def raw_dump_command(url: str) -> list[str]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return ["psql", conninfo, "-c", "COPY (SELECT * FROM audit_event ORDER BY seq) TO STDOUT CSV"]
    return ["sqlite3", "-csv", parsed.database, "SELECT * FROM audit_event ORDER BY seq"]


def run(command: list[str], env: dict[str, str], stdout_path: Path) -> dict[str, float]:
    """Run one command to completion; its wall time, CPU time and peak RSS (MiB) from wait4."""
    with stdout_path.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        err = child.stderr.read().decode()
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed: {err}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}


def measure(url: str, count: int, runs: int, work: Path) -> dict[str, object]:
    """A/B pairs (export vs raw dump) and verify runs on one database."""
    env = {**os.environ, "DATABASE_URL": url, "TENDER_INSTANCE_PATH": str(work)}
    export = [TENDER, "audit", "export", "--format", "csv", "--output", str(work / "export.csv")]
    raw = raw_dump_command(url)
    pairs = []
    for _ in range(runs):
        a = run(export, env, work / "export.out")
        b = run(raw, env, work / "raw.csv")
        pairs.append((a, b))
    verify = [run([TENDER, "audit", "verify"], env, work / "verify.out") for _ in range(runs)]
    med = lambda values: round(statistics.median(values), 3)  # noqa: E731
    return {
        "events": count,
        "export_wall_s": med([a["wall"] for a, _ in pairs]), "export_cpu_s": med([a["cpu"] for a, _ in pairs]),
        "raw_wall_s": med([b["wall"] for _, b in pairs]), "raw_cpu_s": med([b["cpu"] for _, b in pairs]),
        "speed_vs_raw_wall": med([b["wall"] / a["wall"] for a, b in pairs]),
        "speed_vs_raw_cpu": med([b["cpu"] / a["cpu"] for a, b in pairs]),
        "export_peak_rss_mib": med([a["peak_mib"] for a, _ in pairs]),
        "export_file_mib": round((work / "export.csv").stat().st_size / 2**20, 1),
        "raw_file_mib": round((work / "raw.csv").stat().st_size / 2**20, 1),
        "verify_wall_s": med([v["wall"] for v in verify]), "verify_cpu_s": med([v["cpu"] for v in verify]),
        "verify_events_per_s_wall": round(count / statistics.median([v["wall"] for v in verify])),
        "verify_events_per_s_cpu": round(count / statistics.median([v["cpu"] for v in verify])),
        "verify_peak_rss_mib": med([v["peak_mib"] for v in verify]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="the smaller size, for the memory comparison")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL (default: SQLite files)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/tender-bench-audit"))
    parser.add_argument("--fresh", action="store_true", help="regenerate the databases")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    load_before = os.getloadavg()
    for count in sorted({args.small, args.events}):
        started = time.perf_counter()
        url = database(args.database_url, args.work, count, args.fresh)
        print(f"{count:,} events ready in {time.perf_counter() - started:.0f} s ({make_url(url).get_backend_name()})")
        results[count] = measure(url, count, args.runs, args.work)
        for key, value in results[count].items():
            print(f"  {key:26} {value}")
    big, small = results[args.events], results[args.small]
    summary = {
        "backend": "postgresql" if args.database_url else "sqlite",
        "goal_speed_vs_raw": 0.5, "speed_vs_raw_wall": big["speed_vs_raw_wall"],
        "goal_verify_events_per_s": 100_000, "verify_events_per_s_wall": big["verify_events_per_s_wall"],
        "verify_events_per_s_cpu": big["verify_events_per_s_cpu"], "speed_vs_raw_cpu": big["speed_vs_raw_cpu"],
        "peak_rss_small_mib": small["export_peak_rss_mib"], "peak_rss_big_mib": big["export_peak_rss_mib"],
        "runs": args.runs, "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "sizes": {str(k): v for k, v in results.items()},
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "sizes"}, indent=2))
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"audit_export_{summary['backend']}_{stamp}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
