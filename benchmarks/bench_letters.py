"""Award letter throughput: ``tender worker --until-idle`` against WeasyPrint rendering the same HTML bare.

    python benchmarks/bench_letters.py [--database-url URL] [--repeat 3] [--frozen-worker]

Goal (issue 16): the worker renders, stores and e-mails letters at >= 70% of
the rate at which bare WeasyPrint renders the same letters' HTML.

Setup, on a fresh database (a temporary SQLite file by default; with a
PostgreSQL URL, scratch databases beside the one named, dropped afterwards):
``tender db upgrade`` and ``tender demo --large`` (the real CLI: 5 lots x 50
bidders x 40 questions, prices opened, at tender evaluation), then through the
services: suppliers given contact e-mails, the procurement put at the award
decision stage (set directly, as the tests do), each lot's recommendation
recorded by the officer, an approver who declares no conflict and approves,
the 250 letters drafted (``letters.draft``) and queued (``letters.send``).
That state is kept (a copy of the SQLite file; a PostgreSQL template
database) and restored before every timed run, so each run finds the same
250 queued letters.

Then, taking turns ``--repeat`` times:

* **worker**: the whole ``tender worker --until-idle`` process (the installed
  CLI, a subprocess, on the same database), timed from start to exit: it
  renders each letter as PDF/A-3u, stores it with its audit event, e-mails
  each one message at a time (claim, send, record) to a real SMTP server on
  loopback (aiosmtpd, in this process), and starts standstill. Checked
  afterwards: 250 letters issued, 250 deliveries sent, standstill started,
  and 250 messages received whose attachments hash to the stored SHA-256.
* **bare**: the same 250 letters' HTML, built before timing exactly as the
  worker builds it (``documents.render_html("letters/letter.html",
  **letters._context(...))`` as of each letter's ``queued_at``), rendered by
  ``weasyprint.HTML(string=html, base_url=...).write_pdf(pdf_variant="pdf/a-3u",
  pdf_tags=True)`` in a loop in one fresh process (after one untimed render,
  so font discovery is not in it); only the loop is timed.

With ``--frozen-worker``, each turn also times the same worker with the fix
proposed in benchmarks/README.md applied from outside (WeasyPrint imported and
``gc.freeze()`` called just before the worker's loop), on the same restored
database, checked the same way.

Also timed once: ``tender worker --until-idle`` on an empty queue (the
process's fixed cost: interpreter, imports, app, one look at the queue).

Prints letters/s for each side (best and median), the ratio of the worker's
rate to the bare rate (of the best times, of the medians, per pair, and of the
median CPU times, which the other work on a shared machine moves less), the
load average, and writes JSON to ``benchmarks/results/``.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
PASSWORD = "bench-password-2022"
SENDER = "Tender <tender@council.example>"
SECRET = "bench-letters-secret-key"
APPROVER = "large.approver@tender.example"
OFFICER = "large.officer@tender.example"
GOAL = 0.70


# --------------------------------------------------------------------------- SMTP on loopback


class Inbox:
    """An aiosmtpd handler that accepts everything and keeps the raw bytes (parsed after timing)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def take(self) -> list[tuple[list[str], bytes]]:
        with self.lock:
            taken, self.messages = self.messages, []
        return taken


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


# --------------------------------------------------------------------------- databases


class Databases:
    """The working database the worker uses, and a saved copy of the queued state to restore before each run."""

    def __init__(self, url: str | None, tmp: Path):
        self.admin_url = url
        self.tmp = tmp
        if url:
            from sqlalchemy.engine import make_url

            tag = uuid.uuid4().hex[:8]
            self.base_name, self.run_name = f"tender_bench_letters_{tag}", f"tender_bench_letters_{tag}_run"
            self.url = make_url(url).set(database=self.base_name).render_as_string(hide_password=False)
            self.run_url = make_url(url).set(database=self.run_name).render_as_string(hide_password=False)
            self._admin(f'CREATE DATABASE "{self.base_name}"')
        else:
            self.url = self.run_url = f"sqlite:///{tmp / 'bench.db'}"

    @property
    def backend(self) -> str:
        return "postgresql" if self.admin_url else "sqlite"

    def _admin(self, *statements: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def save(self) -> None:
        """Keep the queued state (every connection to it closed)."""
        if not self.admin_url:
            path = self.tmp / "bench.db"
            for suffix in ("-wal", "-shm", "-journal"):
                if Path(f"{path}{suffix}").exists():
                    raise SystemExit(f"{path}{suffix} is still there: a connection was left open")
            shutil.copyfile(path, self.tmp / "queued.db")

    def restore(self) -> None:
        """The working database as it was when the letters were queued."""
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.run_name}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.run_name}" TEMPLATE "{self.base_name}"')
        else:
            shutil.copyfile(self.tmp / "queued.db", self.tmp / "bench.db")

    def drop(self) -> None:
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.run_name}" WITH (FORCE)',
                        f'DROP DATABASE IF EXISTS "{self.base_name}" WITH (FORCE)')


# --------------------------------------------------------------------------- the CLI


def cli_env(url: str, instance: Path, smtp_port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "TENDER_", "DATABASE_URL"))}
    env.update({"DATABASE_URL": url, "TENDER_SECRET_KEY": SECRET, "TENDER_INSTANCE_PATH": str(instance),
                "TENDER_BASE_URL": "https://tender.council.example", "PYTHONWARNINGS": "ignore"})
    if smtp_port is not None:
        env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_DEFAULT_SENDER": SENDER,
                    "MAIL_TIMEOUT": "30"})
    return env


def tender(env: dict[str, str], *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "tender"), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"tender {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


# --------------------------------------------------------------------------- setup through the services


def prepare(db_url: str, instance: Path) -> dict:
    """Migrate, load the large procurement, take it to an approved award, draft and queue its letters.

    Returns the procurement id, the letters' ids and the HTML of each letter as the worker will build it.
    """
    env = cli_env(db_url, instance)
    started = time.perf_counter()
    tender(env, "db", "upgrade")
    tender(env, "demo", "--large", "--password", PASSWORD)
    load_seconds = time.perf_counter() - started

    from sqlalchemy import select

    from tender import create_app
    from tender.config import normalise_database_url
    from tender.demo_large import REFERENCE
    from tender.domain.roles import Role
    from tender.extensions import db
    from tender.mail import MailSettings
    from tender.models import AwardLetter, Bid, Lot, Procurement, Supplier, User
    from tender.services import accounts, audit
    from tender.services.award import approval, letters, recommendation

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(db_url), "SECRET_KEY": SECRET})
    with app.app_context():
        started = time.perf_counter()
        procurement = db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE))
        pid = procurement.id
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        approver = accounts.create_user(APPROVER, "Ada Approver", Role.APPROVER, PASSWORD,
                                        audit.Actor.system("bench_letters"))
        db.session.commit()
        suppliers = db.session.scalars(select(Supplier).where(Supplier.id.in_(
            select(Bid.supplier_id).join(Lot, Lot.id == Bid.lot_id).where(Lot.procurement_id == pid)))).all()
        for supplier in suppliers:
            supplier.contact_email = f"bids@{''.join(c for c in supplier.name.lower() if c.isalnum())}.example"
        procurement.state = "award_decision"  # as if the officer had advanced it through the stages (as tests do)
        db.session.commit()
        numbers = list(db.session.scalars(select(Lot.number).where(Lot.procurement_id == pid).order_by(Lot.number)))
        for number in numbers:
            recommendation.record(pid, number, officer)
        approval.declare_conflicts(pid, approver, {n: (False, "") for n in numbers})
        db.session.commit()
        view = approval.approval_view(pid, approver)
        approval.approve_award(pid, approver, "Delegated by decision 22/00033", digest_seen=view.digest)
        db.session.commit()
        drafted = letters.draft(pid, officer)
        settings = MailSettings(server="127.0.0.1", port=25, default_sender=SENDER)
        queued = letters.send(pid, officer, settings)
        award_seconds = time.perf_counter() - started
        db.session.remove()

        html = build_html(pid)
        ids = [letter_id for letter_id, _ in html]
        assert len(ids) == len(drafted) == queued.queued, (len(ids), len(drafted), queued)
        emails = {l.id: l.recipient_email for l in db.session.scalars(select(AwardLetter).where(
            AwardLetter.procurement_id == pid))}
        db.session.remove()
        db.engine.dispose()
    return {"procurement_id": pid, "html": html, "emails": emails, "lots": len(numbers),
            "load_seconds": load_seconds, "award_seconds": award_seconds}


def build_html(pid: int) -> list[tuple[int, str]]:
    """Each queued letter's HTML, built as the worker's ``_issue_one`` builds it (as of its ``queued_at``)."""
    from sqlalchemy import select

    from tender.extensions import db
    from tender.models import AwardLetter, Procurement, User
    from tender.models.letter import DRAFT
    from tender.services import clock
    from tender.services.award import letters
    from tender.services.award.documents import render_html

    procurement = db.session.get(Procurement, pid)
    every = letters.letters_for(pid)
    queued = db.session.scalars(select(AwardLetter).where(
        AwardLetter.procurement_id == pid, AwardLetter.status == DRAFT, AwardLetter.queued_at.is_not(None))
        .order_by(AwardLetter.id)).all()
    out = []
    for letter in queued:
        moment = letter.queued_at if letter.queued_at.tzinfo else letter.queued_at.replace(tzinfo=timezone.utc)
        sender = db.session.get(User, letter.queued_by_id)
        standstill = letters._binding_standstill(procurement, every, clock.uk_date(moment))
        context = letters._context(letter, procurement, moment, standstill, sender, draft_=False)
        out.append((letter.id, render_html("letters/letter.html", **context)))
    return out


# --------------------------------------------------------------------------- the two sides


#: ``tender worker`` with the fix proposed in benchmarks/README.md applied from outside: WeasyPrint imported and
#: the heap as it stands after start-up frozen (``gc.freeze()``) just before the worker's loop starts.
FROZEN_WORKER = ("import gc, sys\n"
                 "from tender.services import jobs\n"
                 "work = jobs.work\n"
                 "def frozen_work(**kw):\n"
                 "    import weasyprint  # noqa: F401  (imported by the first letter otherwise)\n"
                 "    gc.collect()\n"
                 "    gc.freeze()\n"
                 "    return work(**kw)\n"
                 "jobs.work = frozen_work\n"
                 "from tender.entry import main\n"
                 "main()\n")


def run_worker(db_url: str, instance: Path, smtp_port: int, frozen: bool = False) -> dict:
    """The whole ``tender worker --until-idle`` process, wall and CPU (its own, from the kernel)."""
    env = cli_env(db_url, instance, smtp_port)
    command = [sys.executable, "-c", FROZEN_WORKER] if frozen else [str(BIN / "tender")]
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([*command, "worker", "--until-idle"], env=env, capture_output=True, text=True,
                          timeout=3600)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"tender worker failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall": wall, "cpu": cpu, "stdout": done.stdout.strip()}


def run_bare(html_file: Path) -> dict:
    """The bare loop in a fresh process (``--bare-loop``), so nothing of this process's heap is in it."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--bare-loop", str(html_file)],
                          capture_output=True, text=True, timeout=3600, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        raise SystemExit(f"bare loop failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bare_loop(html_file: Path) -> int:
    """Render every HTML string with bare WeasyPrint; print JSON: seconds (wall, CPU) and bytes."""
    import weasyprint

    from tender.mail import templates_dir

    data = json.loads(html_file.read_text())
    base_url = str(templates_dir())
    htmls = [html for _, html in data]

    def render(html: str) -> bytes:
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/a-3u", pdf_tags=True)

    render(htmls[0])  # untimed: fontconfig and WeasyPrint's first-use caches
    sizes = []
    wall, cpu = time.perf_counter(), time.process_time()
    for html in htmls:
        sizes.append(len(render(html)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "letters": len(sizes), "bytes": sum(sizes)}))
    return 0


def check_run(db_url: str, pid: int, expected: dict[int, str], received: list[tuple[list[str], bytes]]) -> dict:
    """What the worker did, read back: every letter issued and e-mailed once, attachments as stored."""
    from sqlalchemy import create_engine, text

    from tender.config import normalise_database_url

    engine = create_engine(normalise_database_url(db_url))
    try:
        with engine.connect() as conn:
            stored = {row.id: (row.status, row.sha256, row.size) for row in conn.execute(text(
                "SELECT id, status, sha256, length(document) AS size FROM award_letter WHERE procurement_id = :p"),
                {"p": pid})}
            sent = conn.execute(text(
                "SELECT count(*) FROM letter_delivery d JOIN award_letter l ON l.id = d.letter_id "
                "WHERE l.procurement_id = :p AND d.status = 'sent'"), {"p": pid}).scalar()
            standstill = conn.execute(text("SELECT award_notices_sent_at FROM procurement WHERE id = :p"),
                                      {"p": pid}).scalar()
            jobs = conn.execute(text("SELECT status, count(*) FROM job GROUP BY status")).all()
    finally:
        engine.dispose()
    problems = []
    if sorted(stored) != sorted(expected) or any(s != "issued" for s, _, _ in stored.values()):
        problems.append(f"letters issued: {sum(s == 'issued' for s, _, _ in stored.values())} of {len(expected)}")
    if sent != len(expected):
        problems.append(f"deliveries sent: {sent} of {len(expected)}")
    if standstill is None:
        problems.append("standstill not started")
    if dict(jobs).get("done") != 1 or len(jobs) != 1:
        problems.append(f"jobs: {jobs}")
    arrived: dict[int, int] = {}
    for rcpts, raw in received:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        letter_id = int(str(message["X-Tender-Letter"]).split()[0])
        attachment = next(part for part in message.iter_attachments())
        digest = hashlib.sha256(attachment.get_content()).hexdigest()
        if digest != stored.get(letter_id, (None, None))[1]:
            problems.append(f"letter {letter_id}: attachment differs from the stored PDF")
        if rcpts != [expected[letter_id]]:
            problems.append(f"letter {letter_id}: sent to {rcpts}, not {expected[letter_id]}")
        arrived[letter_id] = arrived.get(letter_id, 0) + 1
    if sorted(arrived) != sorted(expected) or any(n != 1 for n in arrived.values()):
        problems.append(f"messages: {len(received)} for {len(arrived)} letters, {len(expected)} expected")
    if problems:
        raise SystemExit("The worker's run is not what was expected:\n  " + "\n  ".join(problems[:20]))
    return {"pdf_bytes": sum(size for _, _, size in stored.values()),
            "message_bytes": sum(len(raw) for _, raw in received)}


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server to make scratch databases on; default: SQLite")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side, taking turns")
    parser.add_argument("--frozen-worker", action="store_true",
                        help="also time the worker with gc.freeze() applied before its loop (the proposed fix)")
    parser.add_argument("--bare-loop", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_loop:
        return bare_loop(args.bare_loop)

    with tempfile.TemporaryDirectory(prefix="tender-bench-letters-") as tmp_name:
        tmp = Path(tmp_name)
        instance = tmp / "instance"
        dbs = Databases(args.database_url, tmp)
        try:
            setup = prepare(dbs.url, instance)
            dbs.save()
            html_file = tmp / "letters.json"
            html_file.write_text(json.dumps(setup["html"]))
            count = len(setup["html"])
            html_chars = [len(h) for _, h in setup["html"]]
            runs = []
            with smtp_server() as (inbox, port):
                loads = [os.getloadavg()]
                for _ in range(args.repeat):
                    run = {}
                    for side in ("worker", "frozen") if args.frozen_worker else ("worker",):
                        dbs.restore()
                        inbox.take()
                        run[side] = run_worker(dbs.run_url, instance, port, frozen=side == "frozen")
                        run[side].update(check_run(dbs.run_url, setup["procurement_id"], setup["emails"],
                                                   inbox.take()))
                    run["bare"] = run_bare(html_file)
                    loads.append(os.getloadavg())
                    runs.append(run)
                    print(f"  run {len(runs)}: " + "; ".join(
                        f"{side} {run[side]['wall']:6.1f} s ({count / run[side]['wall']:5.2f} letters/s, "
                        f"CPU {run[side]['cpu']:6.1f} s)" for side in run)
                        + f"; worker at {100 * run['bare']['wall'] / run['worker']['wall']:.1f}% of bare; load "
                        + " ".join(f"{x:.2f}" for x in loads[-1]), flush=True)
                idle = run_worker(dbs.run_url, instance, port)  # the queue is empty now: the fixed cost
        finally:
            dbs.drop()

    sides = list(runs[0])
    walls = {side: [r[side]["wall"] for r in runs] for side in sides}
    cpus = {side: [r[side]["cpu"] for r in runs] for side in sides}
    figures = {}
    for side in sides:
        figures[f"{side}_letters_per_second_best"] = round(count / min(walls[side]), 3)
        figures[f"{side}_letters_per_second_median"] = round(count / statistics.median(walls[side]), 3)
        if side != "bare":
            name = "ratio" if side == "worker" else f"{side}_ratio"
            figures[f"{name}_of_best"] = round(min(walls["bare"]) / min(walls[side]), 4)
            figures[f"{name}_of_medians"] = round(statistics.median(walls["bare"]) / statistics.median(walls[side]), 4)
            figures[f"{name}_per_pair"] = [round(r["bare"]["wall"] / r[side]["wall"], 4) for r in runs]
            figures[f"{name}_of_cpu_medians"] = round(statistics.median(cpus["bare"]) / statistics.median(cpus[side]), 4)
    result = {
        "benchmark": "letters",
        "backend": dbs.backend,
        "letters": count,
        "lots": setup["lots"],
        "html_chars_mean": round(statistics.mean(html_chars)),
        "pdf_bytes_mean": round(runs[-1]["worker"]["pdf_bytes"] / count),
        "bare_pdf_bytes_mean": round(runs[-1]["bare"]["bytes"] / count),
        "message_bytes_mean": round(runs[-1]["worker"]["message_bytes"] / count),
        **figures,
        "goal": GOAL,
        "met": figures["ratio_of_best"] >= GOAL and figures["ratio_of_medians"] >= GOAL,
        "idle_worker_seconds": round(idle["wall"], 3),
        "runs": [{f"{side}_{what}": round(r[side][what], 3) for side in sides for what in ("wall", "cpu")}
                 for r in runs],
        "load_averages": [[round(x, 2) for x in load] for load in loads],
        "load_seconds": round(setup["load_seconds"], 1),
        "award_setup_seconds": round(setup["award_seconds"], 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    print(f"Award letters on {dbs.backend}: {count} letters ({setup['lots']} lots), "
          f"HTML {result['html_chars_mean']:,} characters, PDF {result['pdf_bytes_mean']:,} bytes each on average.")
    labels = {"worker": "tender worker --until-idle", "frozen": "the same, gc.freeze() first",
              "bare": "bare WeasyPrint loop"}
    for side in sides:
        print(f"  {labels[side]:28} best {figures[side + '_letters_per_second_best']:.3f} letters/s, median "
              f"{figures[side + '_letters_per_second_median']:.3f}; CPU median {statistics.median(cpus[side]):.1f} s")
    print(f"  (tender worker --until-idle on an empty queue takes {idle['wall']:.2f} s)")
    print(f"  worker's rate / bare rate: {100 * figures['ratio_of_best']:.1f}% of best, "
          f"{100 * figures['ratio_of_medians']:.1f}% of medians, {100 * figures['ratio_of_cpu_medians']:.1f}% in CPU "
          f"time (goal >= {100 * GOAL:.0f}%: {'met' if result['met'] else 'NOT met'})")
    if "frozen" in sides:
        print(f"  with gc.freeze(): {100 * figures['frozen_ratio_of_best']:.1f}% of best, "
              f"{100 * figures['frozen_ratio_of_medians']:.1f}% of medians, "
              f"{100 * figures['frozen_ratio_of_cpu_medians']:.1f}% in CPU time")
    print(f"  load average (1, 5, 15 min) before, and after each run: "
          f"{'; '.join(' '.join(f'{x:.2f}' for x in load) for load in loads)}")
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"bench_letters-{dbs.backend}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
