"""Audit export throughput against the database's own dump of the same rows, and verify speed.

    python benchmarks/bench_audit_export.py [--events 1000000] [--database-url URL]

Fills a fresh database (default: a temporary SQLite file; or a PostgreSQL URL,
in which a scratch database is created) with a valid hash chain of N events,
then in the same run:
  * Tender's streaming CSV export (``tender.services.audit.export``), in a child
    process so its peak memory (max RSS) is its own;
  * the raw dump of the same rows: ``COPY audit_event TO STDOUT (FORMAT csv)``
    on PostgreSQL, the ``sqlite3`` shell's CSV mode on SQLite;
  * ``verify_chain`` over the whole trail, in events per second.
Prints the ratio export/raw and writes JSON to benchmarks/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

CONFIG = {"TESTING": True, "SECRET_KEY": "bench", "TENDER_ENV": "testing"}


def _app(url):
    from tender import create_app

    return create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def fill(url: str, count: int) -> None:
    """Migrate and insert ``count`` chained events in batches."""
    from flask_migrate import upgrade

    from tender.domain.audit_chain import GENESIS_HASH, event_hash
    from tender.extensions import db
    from tender.models import AuditEvent

    app = _app(url)
    with app.app_context():
        upgrade()
        prev, start = GENESIS_HASH, datetime(2022, 4, 1, tzinfo=timezone.utc)
        batch = []
        for seq in range(1, count + 1):
            at = (start + timedelta(seconds=seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            event = {"seq": seq, "occurred_at": at, "actor": f"officer{seq % 7}@kent.example",
                     "actor_role": "procurement_officer", "action": "score.saved", "object_type": "score",
                     "object_id": str(seq), "procurement_ref": f"KCC-22/{seq % 500:05d}", "lot": seq % 5 + 1,
                     "before": None, "after": {"score": seq % 5, "rationale": "Meets the requirement well"},
                     "reason": None, "ip": "10.0.0.1", "prev_hash": prev}
            event["hash"] = prev = event_hash(event)
            event["after"] = json.dumps(event["after"], sort_keys=True, separators=(",", ":"))
            batch.append(event)
            if len(batch) == 20000:
                db.session.execute(AuditEvent.__table__.insert(), batch)
                batch = []
        if batch:
            db.session.execute(AuditEvent.__table__.insert(), batch)
        db.session.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": count, "h": prev})
        db.session.commit()
        db.engine.dispose()


def export_child(url: str, output: str) -> None:
    """Run in a child process: one CSV export, then print its time and peak memory as JSON."""
    from tender.audit_export import write_csv
    from tender.services.audit import query as audit_query

    app = _app(url)
    with app.app_context():
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = write_csv(audit_query.stream(), out)
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "events": count, "max_rss_kib": peak, "rss_before_kib": base_rss}))


def raw_dump(url: str, output: str) -> float:
    """The database's own CSV dump of the same table."""
    started = time.perf_counter()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        import psycopg

        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as conn, open(output, "wb") as out:
            with conn.cursor().copy("COPY (SELECT * FROM audit_event ORDER BY seq) TO STDOUT (FORMAT csv)") as copy:
                for chunk in copy:
                    out.write(chunk)
    else:
        with open(output, "wb") as out:
            subprocess.run(["sqlite3", "-csv", parsed.database, "SELECT * FROM audit_event ORDER BY seq"],
                           stdout=out, check=True)
    return time.perf_counter() - started


def verify_speed(url: str) -> tuple[float, int, bool]:
    from tender.domain.audit_chain import verify_chain
    from tender.services.audit import query as audit_query

    app = _app(url)
    with app.app_context():
        started = time.perf_counter()
        result = verify_chain(audit_query.stream())
        return time.perf_counter() - started, result.count, result.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child-export", nargs=2, metavar=("URL", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        export_child(*args.child_export)
        return
    work = Path(tempfile.mkdtemp(prefix="tender-bench-"))
    scratch = None
    if args.database_url:
        scratch = f"tender_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = make_url(args.database_url).set(database=scratch).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{work / 'bench.db'}"
    try:
        t0 = time.perf_counter()
        fill(url, args.events)
        print(f"Filled {args.events:,} events in {time.perf_counter() - t0:.1f} s ({make_url(url).get_backend_name()})")
        child = subprocess.run([sys.executable, __file__, "--child-export", url, str(work / "tender.csv")],
                               capture_output=True, text=True, check=True, env={**os.environ, "TENDER_INSTANCE_PATH": str(work)})
        exported = json.loads(child.stdout.strip().splitlines()[-1])
        raw = raw_dump(url, str(work / "raw.csv"))
        verify_seconds, verified, ok = verify_speed(url)
        result = {
            "backend": make_url(url).get_backend_name(), "events": args.events,
            "export_seconds": round(exported["seconds"], 3), "raw_dump_seconds": round(raw, 3),
            "ratio_export_to_raw": round(exported["seconds"] / raw, 2),
            "export_events_per_second": round(args.events / exported["seconds"]),
            "raw_events_per_second": round(args.events / raw),
            "export_peak_rss_mib": round(exported["max_rss_kib"] / 1024, 1),
            "rss_before_export_mib": round(exported["rss_before_kib"] / 1024, 1),
            "export_file_mib": round((work / "tender.csv").stat().st_size / 2**20, 1),
            "raw_file_mib": round((work / "raw.csv").stat().st_size / 2**20, 1),
            "verify_seconds": round(verify_seconds, 3), "verify_events_per_second": round(verified / verify_seconds),
            "verify_ok": ok,
        }
        for key, value in result.items():
            print(f"{key:28} {value}")
        out_dir = ROOT / "benchmarks" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        (out_dir / f"audit_export_{result['backend']}_{stamp}.json").write_text(json.dumps(result, indent=2))
    finally:
        if scratch:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
