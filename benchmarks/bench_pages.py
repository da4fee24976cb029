"""The procurement page and the ranking page under gunicorn against a bare Flask route serving the same rows.

    python benchmarks/bench_pages.py [--database-url URL] [--seconds 10] [--connections 2] [--demo]

Fills a fresh database (default: a temporary SQLite file; with a PostgreSQL
URL, a scratch database beside the one named, dropped afterwards, and
ANALYZEd after loading as autovacuum would) with the large procurement (``tender demo --large``: 5 lots x 50 bidders x 40
questions x 8 evaluators), or with ``--demo`` the Live Well Kent demo, then
starts two gunicorn servers with 2 sync workers each on it:

  * Tender (``tender:create_app()``), logged in as the procurement officer;
  * the bare app (``benchmarks/bare_app.py``): no login, ORM, templates or
    guards, plain SQL returning the rows the page reads, as JSON.

For each page it sends requests from ``--connections`` client threads for
``--seconds`` seconds to each server in turn (HTTP/1.1 keep-alive where the
server keeps the connection), after a warm-up, and prints requests per second
and Tender's share of the bare figure. The goal (issue 10, P4) is >= 50%.
Results are written as JSON to ``benchmarks/results/``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.bench_ranking import scratch_database  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "bench-password-2022"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, instance: Path, demo: bool) -> dict:
    """Migrate and load the procurement; returns the pages to fetch and the login."""
    from flask_migrate import upgrade

    from tender import create_app
    from tender.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TENDER_ENV": "testing"})
    with app.app_context():
        upgrade()
        if demo:
            from tender.demo import REFERENCE, load_demo
            load_demo(PASSWORD)
            email = "luke.edwards@kent.example"
        else:
            from tender.demo_large import REFERENCE, load_large
            load_large(PASSWORD)
            email = "large.officer@tender.example"
        from sqlalchemy import select

        from tender.models import Bid, Lot, Procurement
        pid = db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))
        lot_id, round_ = db.session.execute(select(Lot.id, Bid.round).join(Bid, Bid.lot_id == Lot.id)
                                            .where(Lot.procurement_id == pid, Lot.number == 1)
                                            .order_by(Bid.round.desc())).first()
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # The statistics autovacuum would gather within a minute: without them the planner guesses one
            # row per table and the figures depend on whether autovacuum ran during the measurement.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        db.session.remove()
        db.engine.dispose()
    return {"email": email, "procurement_id": pid, "lot_id": lot_id, "round": round_}


class Server:
    """gunicorn -w 2 serving ``app`` on the database."""

    def __init__(self, app: str, url: str, instance: Path, log: Path):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "TENDER_ENV": "testing", "TENDER_INSTANCE_PATH": str(instance),
               "TENDER_SECRET_KEY": secrets.token_hex(32), "PYTHONPATH": str(ROOT)}
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
             "--no-control-socket", app], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {app} did not start; see {log}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def _request(conn: http.client.HTTPConnection, method: str, path: str, headers: dict, body: str | None = None):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
    return response, data


def login(port: int, email: str) -> str:
    """Log in through the form; returns the Cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    response, data = _request(conn, "GET", "/login", {})
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', data).group(1).decode()
    body = urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    response, _ = _request(conn, "POST", "/login", {"Cookie": cookie,
                                                     "Content-Type": "application/x-www-form-urlencoded"}, body)
    assert response.status == 302, f"login failed: {response.status}"
    return response.getheader("Set-Cookie").split(";")[0]


def hammer(port: int, path: str, headers: dict, seconds: float, connections: int) -> tuple[float, int]:
    """(requests per second, bytes of the last response) over ``seconds`` from ``connections`` threads."""
    counts = [0] * connections
    sizes = [0] * connections
    stop = time.monotonic() + seconds
    errors: list[str] = []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < stop:
            response, data = _request(conn, "GET", path, headers)
            if response.status != 200:
                errors.append(f"{path}: HTTP {response.status}")
                return
            counts[i] += 1
            sizes[i] = len(data)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if errors:
        raise RuntimeError(errors[0])
    return sum(counts) / elapsed, max(sizes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--demo", action="store_true", help="the Live Well Kent demo instead of the large procurement")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, Path(tmp)) as url:
        tmp = Path(tmp)
        target = prepare(url, tmp, args.demo)
        pid, lot_id, round_ = target["procurement_id"], target["lot_id"], target["round"]
        pages = {
            "procurement page": (f"/procurements/{pid}", f"/procurement/{pid}"),
            "ranking page": (f"/procurements/{pid}/lots/1/evaluation/{round_}/ranking", f"/ranking/{lot_id}/{round_}"),
        }
        tender = Server("tender:create_app()", url, tmp, tmp / "tender.log")
        bare = Server("benchmarks.bare_app:create_app()", url, tmp, tmp / "bare.log")
        figures = {}
        try:
            cookie = {"Cookie": login(tender.port, target["email"])}
            for name, (tender_path, bare_path) in pages.items():
                hammer(tender.port, tender_path, cookie, 2, args.connections)  # warm both
                hammer(bare.port, bare_path, {}, 2, args.connections)
                tender_rps, tender_bytes = hammer(tender.port, tender_path, cookie, args.seconds, args.connections)
                bare_rps, bare_bytes = hammer(bare.port, bare_path, {}, args.seconds, args.connections)
                figures[name] = {"tender_rps": tender_rps, "bare_rps": bare_rps, "share": tender_rps / bare_rps,
                                 "tender_bytes": tender_bytes, "bare_bytes": bare_bytes}
        finally:
            tender.stop()
            bare.stop()
    backend = make_url(url).get_backend_name()
    result = {"benchmark": "pages", "backend": backend, "data": "demo" if args.demo else "large",
              "seconds": args.seconds, "connections": args.connections, "python": platform.python_version(),
              "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "pages": figures}
    print(f"{result['data']} procurement on {backend}, gunicorn -w 2 each, {args.connections} connections, "
          f"{args.seconds:g} s per figure:")
    for name, f in figures.items():
        print(f"  {name:17}: Tender {f['tender_rps']:7.1f} req/s ({f['tender_bytes']:,} B), "
              f"bare {f['bare_rps']:7.1f} req/s ({f['bare_bytes']:,} B), Tender at {f['share']:.1%} of bare")
    out = ROOT / "benchmarks" / "results" / f"pages_{backend}_{result['at'].replace('-', '').replace(':', '')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
