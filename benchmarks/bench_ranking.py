"""Ranking a procurement's lots through Tender's service against the bare aggregate SQL on the same data.

    python benchmarks/bench_ranking.py [--database-url URL] [--lots 5] [--bidders 50] [--questions 40] [--evaluators 8]

Fills a fresh database (default: a temporary SQLite file; with a PostgreSQL
URL, a scratch database is created beside the one named, and dropped after)
with the large procurement of ``tender demo --large``: 5 lots of 50 bids x 40
questions x 8 evaluators (80,000 submitted scores, 10,000 moderated), then in
the same run times, best of 5:
  * ``evaluation_ranking.lot_evaluation`` for every lot (what the ranking
    pages show): loading (a fixed number of queries), completeness, final
    scores, ranking, Krippendorff's alpha and weight sensitivity;
  * the bare ``SELECT bid_id, criterion_id, AVG(value) ... GROUP BY`` over the
    same scores (every lot's, in one query).
Prints both times and the ratio, and writes JSON to benchmarks/results/.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.ranking_data import populate, write_model  # noqa: E402

REPEATS = 5
BARE_SQL = text("SELECT score.bid_id, score.criterion_id, AVG(score.value) FROM score "
                "JOIN bid ON bid.id = score.bid_id WHERE bid.lot_id IN :lots AND score.status = 'submitted' "
                "GROUP BY score.bid_id, score.criterion_id").bindparams(bindparam("lots", expanding=True))


@contextmanager
def scratch_database(url: str | None, tmp: Path):
    """A URL to an empty database: a SQLite file, or a new PostgreSQL database dropped on leaving."""
    if not url:
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    name = f"tender_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def best_of(fn, repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(url: str, lots: int, bidders: int, questions: int, evaluators: int, rules_dir: Path) -> dict:
    """Migrate, fill, time both; return the figures."""
    from flask_migrate import upgrade

    from tender import create_app
    from tender.extensions import db
    from tender.models import User
    from tender.services.evaluation import ranking as evaluation_ranking

    write_model(rules_dir, questions)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "TENDER_ENV": "testing",
                      "SQLALCHEMY_DATABASE_URI": url, "TENDER_SCORING_RULES_DIR": str(rules_dir)})
    with app.app_context():
        upgrade()
        ids = populate(bidders, questions, evaluators, lots=lots)
        officer = db.session.get(User, ids["officer_id"])

        def service():
            db.session.expire_all()
            for number in range(1, lots + 1):
                result = evaluation_ranking.lot_evaluation(ids["procurement_id"], number, "initial", officer)
                assert result.ranking is not None and len(result.ranking.results) == bidders

        def bare():
            rows = db.session.execute(BARE_SQL, {"lots": ids["lot_ids"]}).all()
            assert len(rows) == lots * bidders * questions

        service()
        bare()  # warm both
        service_s, bare_s = best_of(service), best_of(bare)
        db.session.execute(text("UPDATE price_opening SET agreement = NULL"))  # as while moderating
        db.session.commit()
        service()
        live_s, bare_again_s = best_of(service), best_of(bare)
        db.engine.dispose()
    return {"service_seconds": service_s, "bare_sql_seconds": bare_s, "ratio": service_s / bare_s,
            "live_service_seconds": live_s, "live_bare_sql_seconds": bare_again_s, "live_ratio": live_s / bare_again_s}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--lots", type=int, default=5)
    parser.add_argument("--bidders", type=int, default=50)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--evaluators", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, Path(tmp)) as url:
        figures = run(url, args.lots, args.bidders, args.questions, args.evaluators, Path(tmp) / "rules")
    backend = make_url(url).get_backend_name()
    result = {"benchmark": "ranking", "backend": backend, "lots": args.lots, "bidders": args.bidders, "questions": args.questions,
              "evaluators": args.evaluators, "scores": args.lots * args.bidders * args.questions * args.evaluators,
              "repeats": REPEATS, "python": platform.python_version(),
              "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **figures}
    print(f"{args.lots} lots x {args.bidders} bidders x {args.questions} questions x {args.evaluators} evaluators on {backend} "
          f"({result['scores']:,} scores), best of {REPEATS}:")
    print(f"  ranking service, scores frozen : {figures['service_seconds'] * 1000:9.1f} ms")
    print(f"  bare AVG GROUP BY              : {figures['bare_sql_seconds'] * 1000:9.1f} ms")
    print(f"  ratio                          : {figures['ratio']:9.1f}x")
    print(f"  ranking service, live agreement: {figures['live_service_seconds'] * 1000:9.1f} ms")
    print(f"  bare AVG GROUP BY (same run)   : {figures['live_bare_sql_seconds'] * 1000:9.1f} ms")
    print(f"  ratio, live                    : {figures['live_ratio']:9.1f}x")
    out = ROOT / "benchmarks" / "results" / f"ranking_{backend}_{result['at'].replace('-', '').replace(':', '')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
