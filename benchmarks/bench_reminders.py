"""Benchmark: the reminder scan over 10,000 procurements and 100,000 milestones.

    python benchmarks/bench_reminders.py [--database-url URL] [--as-of YYYY-MM-DD] [--repeat 7]

Times ``tender.services.reminders.plan`` (what ``tender reminders send``
does before it claims anything: ``collect_due``'s two queries, then
``plan_reminders``, every digest with every item and its key) against the
bare SQL query that selects the same rows (same joins, same WHERE, same
bound), in the same run on the same data, alternately (scan, bare, scan,
bare ...) so that load from other work falls on both, and prints the best
of each and their ratio. The ratio is the number to watch: it says what the
rows, the ``MilestoneDue`` objects and the working-day rules cost on top of
the database. CPU time of this process is printed beside wall time (on
PostgreSQL it leaves out the server's). Results are also written as JSON to
``benchmarks/results/`` (gitignored), with the machine's load average.

Without ``--database-url`` a temporary SQLite file is migrated and used. With
a PostgreSQL URL the schema is migrated there and the benchmark's rows (users
``bench-*``, procurements ``BENCH-*``) are deleted before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROCUREMENTS = 10_000
MILESTONES_PER = 10
OWNERS = 200
BARE_SQL = """
SELECT m.id, m.procurement_id, p.reference, p.title, m.title, m.planned_date,
       o.email, o.name, l.email, l.name, m.status, o.reminder_notice_days
FROM milestone m
JOIN procurement p ON p.id = m.procurement_id
JOIN "user" o ON o.id = m.owner_id AND o.active
LEFT JOIN "user" l ON l.id = p.lead_officer_id AND l.active
WHERE m.status NOT IN ('met', 'notApplicable') AND m.planned_date IS NOT NULL AND m.planned_date < :horizon
"""


def _delete_bench_rows(db, text) -> None:
    db.session.execute(text("DELETE FROM milestone WHERE procurement_id IN "
                            "(SELECT id FROM procurement WHERE reference LIKE 'BENCH-%')"))
    db.session.execute(text("DELETE FROM procurement WHERE reference LIKE 'BENCH-%'"))
    db.session.execute(text("DELETE FROM \"user\" WHERE email LIKE 'bench-%'"))
    db.session.commit()


def _load(db, as_of: date) -> dict:
    """Bulk-insert the data with Core executemany (no audit events: this is not app data)."""
    from tender.models import Milestone, Procurement, User

    rng = random.Random(20220503)
    now = datetime.now(timezone.utc)
    db.session.execute(User.__table__.insert(), [
        {"email": f"bench-{i}@bench.example", "name": f"Bench Owner {i}", "role": "procurement_officer",
         "password_hash": "!", "active": True, "calendar_token": None,
         "reminder_notice_days": 5 if i % 10 else 10, "created_at": now}
        for i in range(OWNERS)
    ])
    user_ids = [row[0] for row in db.session.execute(
        db.select(User.id).where(User.email.like("bench-%")).order_by(User.id))]
    db.session.execute(Procurement.__table__.insert(), [
        {"reference": f"BENCH-{n:06d}", "title": f"Benchmark procurement {n}", "description": "",
         "procedure": "competitive_procedure_with_negotiation", "procedure_version": 1, "regime": "pcr2015",
         "state": "draft", "estimated_value": Decimal("1000000.00"), "initial_term_years": 3,
         "extension_years": "2", "electronic_submission": True, "qualifying_pin": False, "urgency": False,
         "award_on_initial_reserved": False, "lead_officer_id": rng.choice(user_ids), "created_at": now,
         "version": 1}
        for n in range(PROCUREMENTS)
    ])
    proc_ids = [row[0] for row in db.session.execute(
        db.select(Procurement.id).where(Procurement.reference.like("BENCH-%")).order_by(Procurement.id))]
    rows = []
    for pid in proc_ids:
        # Each procurement's timetable spans about two years around as_of;
        # milestones in the past are mostly met (as in real life), so a few
        # percent are overdue.
        start = as_of - timedelta(days=rng.randint(0, 540))
        for position in range(MILESTONES_PER):
            planned = start + timedelta(days=position * rng.randint(14, 45))
            status = "met" if planned < as_of and rng.random() < 0.95 else "scheduled"
            rows.append({"procurement_id": pid, "key": f"m{position}", "title": f"Milestone {position}",
                         "position": position, "planned_date": planned, "status": status,
                         "owner_id": rng.choice(user_ids)})
    for start in range(0, len(rows), 10_000):
        db.session.execute(Milestone.__table__.insert(), rows[start:start + 10_000])
    db.session.commit()
    return {"procurements": len(proc_ids), "milestones": len(rows), "owners": len(user_ids)}


def _alternately(n: int, **fns) -> dict[str, dict]:
    """Run each function ``n`` times, taking turns: per function the best and median wall and CPU seconds."""
    walls: dict[str, list[float]] = {name: [] for name in fns}
    cpus: dict[str, list[float]] = {name: [] for name in fns}
    results: dict[str, object] = {}
    for _ in range(n):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            results[name] = fn()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    return {name: {"wall": min(walls[name]), "cpu": min(cpus[name]), "wall_median": statistics.median(walls[name]),
                   "cpu_median": statistics.median(cpus[name]), "result": results[name]} for name in fns}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2022, 7, 5))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    tmp = None
    url = args.database_url
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="tender-bench-")
        url = f"sqlite:///{tmp.name}/bench.db"

    from flask_migrate import upgrade
    from sqlalchemy import text

    from tender import create_app
    from tender.config import normalise_database_url
    from tender.extensions import db
    from tender.services import reminders

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "SECRET_KEY": "bench",
                      "TENDER_ENV": "testing"})
    try:
        with app.app_context():
            upgrade()
            _delete_bench_rows(db, text)
            started = time.perf_counter()
            sizes = _load(db, args.as_of)
            load_seconds = time.perf_counter() - started
            db.session.execute(text("ANALYZE"))  # fresh statistics, so the planner uses the index
            db.session.commit()

            def scan():
                db.session.remove()
                return reminders.plan(args.as_of)

            def queries():
                db.session.remove()
                return reminders._due_rows(args.as_of)

            horizon = reminders._horizon(args.as_of, 10)  # the bound _due_rows uses: 10 is the longest notice

            def bare():
                db.session.remove()
                with db.engine.connect() as conn:
                    return conn.execute(text(BARE_SQL), {"horizon": horizon}).fetchall()

            scan(), bare()  # warm caches (holiday tables, statement cache) once, untimed
            load_before = os.getloadavg()
            timed = _alternately(args.repeat, scan=scan, queries=queries, bare=bare)
            load_after = os.getloadavg()
            digests, due, bare_rows = timed["scan"]["result"], timed["queries"]["result"], timed["bare"]["result"]
            if sorted(row[0] for row in bare_rows) != sorted(row[0] for row in due):
                raise SystemExit(f"rows differ: scan {len(due)}, bare SQL {len(bare_rows)}")
            plan = db.session.execute(text("EXPLAIN " + BARE_SQL.replace(":horizon", f"'{horizon}'"))).fetchall()
            _delete_bench_rows(db, text)
            db.engine.dispose()
    finally:
        if tmp is not None:
            tmp.cleanup()

    result = {
        "benchmark": "reminders_scan",
        "backend": make_backend(url),
        "as_of": args.as_of.isoformat(),
        **sizes,
        "rows_read": len(due),
        "digests": len(digests),
        "reminders": sum(len(d.items) for d in digests),
        **{f"{name}_{figure}_seconds": round(timed[name][figure], 4)
           for name in ("scan", "queries", "bare") for figure in ("wall", "cpu", "wall_median", "cpu_median")},
        "ratio": round(timed["scan"]["wall"] / timed["bare"]["wall"], 2),
        "ratio_of_medians": round(timed["scan"]["wall_median"] / timed["bare"]["wall_median"], 2),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "best_of": args.repeat,
        "load_seconds": round(load_seconds, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "query_plan": [str(row[0]) for row in plan],
    }
    print(f"Reminder scan on {result['backend']}: {sizes['procurements']} procurements, "
          f"{sizes['milestones']} milestones; {len(due)} rows due or overdue, "
          f"{result['reminders']} reminders in {len(digests)} digests.")
    for name, label in (("scan", "reminders.plan (queries + planning)"), ("queries", "  of which the two queries"),
                        ("bare", "bare SQL query, same rows")):
        t = timed[name]
        print(f"  {label:36} best {t['wall'] * 1000:7.1f} ms wall {t['cpu'] * 1000:7.1f} ms CPU; "
              f"median {t['wall_median'] * 1000:7.1f} ms wall {t['cpu_median'] * 1000:7.1f} ms CPU")
    print(f"  ratio of best wall times: {result['ratio']:.2f}x; of medians: {result['ratio_of_medians']:.2f}x")
    print(f"  load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
          f"{' '.join(f'{x:.2f}' for x in load_after)}")
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"bench_reminders-{result['backend']}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  written to {out.relative_to(ROOT)}")
    return 0


def make_backend(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


if __name__ == "__main__":
    sys.exit(main())
