"""A supplier uploading a 100 MB document and downloading it through gunicorn, against copying it to disk (issue 18).

    python benchmarks/bench_documents.py [--database-url URL] [--repeat 3] [--size-mib 100]

Goals (issue 18, Done when): uploading and downloading a 100 MB file through
gunicorn runs at no less than 50% of the speed of copying it to disk and
back, and the gunicorn worker's peak memory grows by less than 32 MB.

On a fresh database (a temporary SQLite file; with a PostgreSQL URL, a
scratch database beside the one named, dropped afterwards) migrated through
the app, with an open tender taking responses and one invited supplier
(``tests.submissions_support.open_tender``, the web tests' fixture), one
gunicorn sync worker serves the real app (``tender:create_app()``). A client
logs in as the supplier through ``/login`` (CSRF token and session cookie, as
a browser does), starts the draft of lot 1 and, after a warm-up round trip of
a 1 MiB file, takes turns ``--repeat`` times with a new file each time (new
bytes, so nothing is de-duplicated):

- **Tender**: the supplier's upload route (``submissions_supplier.upload``,
  ``POST /supplier/submissions/<id>/documents``: the form's CSRF token and
  version, then the file streamed from disk as a multipart part, HTTP/1.1
  with ``Content-Length``), timed until its answer (the file parsed out of
  the form, checked by type, hashed and stored in 1 MiB chunks, the
  attachment audited, committed: a 302 back to the draft); then the
  download route a reader follows from the page
  (``submissions_supplier.download``, ``send_stored``), the body written to
  a file on disk, timed to the last byte. The SHA-256 of what came back is
  checked against the file's, and the page's. The attachment is then
  removed through the page's Remove button (untimed), so the draft stays
  under the 500 MiB a submission may hold.
- **the copy**: the plain way to do the same work: ``shutil.copyfile`` of the
  file to another file on the same disk, then ``os.fsync`` (the upload is
  durable when it answers: the database has committed), then
  ``shutil.copyfile`` of that copy to a third file (the download, saved as a
  browser saves it, unsynced).
- **the database floor** (not a goal; to tell what the goal asks of the
  design from what Tender adds): the same file hashed, its 1 MiB chunks
  inserted with plain DB-API calls into a table shaped as
  ``stored_file_chunk`` and committed, then selected one by one and written
  to a file (``DatabaseFloor``).

Memory: just before each upload and each download the worker's peak
resident set is reset to what it holds now (``5`` written to
``/proc/<worker>/clear_refs``); after it, ``VmHWM`` less that resident set
is the peak growth during that transfer. (Without the reset the peak would
be the login's: argon2id takes 64 MiB to check a password, more than any
transfer should.) The resident set after the warm-up and at the end is
printed too (anything kept between requests).

It prints each side's time and MB/s (best and median), Tender's speed as a
share of the copy's (of the best times, of the medians, each direction),
the largest peak growth, the CPU seconds per round trip of the worker, the
database server and the client against the copies', and the load average,
and writes JSON to ``benchmarks/results/``.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pages import free_port  # noqa: E402
from benchmarks.bench_ranking import scratch_database  # noqa: E402

BIN = Path(sys.executable).parent
MiB = 1024 * 1024
BOUNDARY = "tender-bench-" + secrets.token_hex(8)
GOAL_SHARE = 0.5
GOAL_GROWTH_MB = 32


def make_document(path: Path, size: int) -> str:
    """A file of ``size`` bytes that is a PDF by its content (a PDF header, then random bytes); its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        out.write(head)
        digest.update(head)
        left = size - len(head)
        while left:
            block = os.urandom(min(MiB, left))
            out.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


class Server:
    """One gunicorn sync worker serving Tender on the database (its worker's pid for /proc)."""

    def __init__(self, url: str, instance: Path, log: Path, today: str):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "TENDER_ENV": "testing", "TENDER_INSTANCE_PATH": str(instance),
               "TENDER_SECRET_KEY": secrets.token_hex(32), "PYTHONPATH": str(ROOT), "TMPDIR": str(instance),
               "TENDER_TODAY": today}
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{self.port}", "--timeout", "600",
             "--no-control-socket", "tender:create_app()"], cwd=ROOT, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            if children and self._answers():
                self.worker = int(children[0])
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {log}")

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/login")
            conn.getresponse().read()
            conn.close()
            return True
        except OSError:
            return False

    def status(self, field: str) -> int:
        """A ``/proc/<worker>/status`` figure in kB (VmHWM: peak resident set; VmRSS: now)."""
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def reset_peak(self) -> int:
        """Set the worker's peak resident set (VmHWM) to what it holds now; that figure, in kB."""
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")
        return self.status("VmRSS")

    def cpu_seconds(self) -> float:
        return process_cpu(self.worker)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


class Browser:
    """What a browser does for these pages: a session cookie, the page's CSRF token and version, redirects read."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body=None, headers=None, sink: Path | None = None):
        """(status, headers, body); with ``sink`` the body is written there as it arrives (and not returned)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.putrequest(method, path)
        if self.cookies:
            conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if isinstance(body, bytes):
            conn.send(body)
        elif body is not None:
            for block in body:
                conn.send(block)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if sink is not None and response.status == 200:
            with sink.open("wb") as out:
                while block := response.read(MiB):
                    out.write(block)
            data = b""
        else:
            data = response.read()
        conn.close()
        return response.status, dict(response.getheaders()), data

    def get(self, path: str) -> str:
        status, _, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {body[:300]!r}")
        return body.decode()

    def post(self, path: str, fields: dict) -> str:
        """POST a form; the redirect's location (every form here answers 302)."""
        status, headers, body = self.request("POST", path, urlencode(fields).encode(),
                                             {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"POST {path}: HTTP {status}: {body[:300]!r}")
        return headers["Location"]


def hidden(html: str, name: str) -> str:
    """The first hidden field ``name``'s value on a page."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html).group(0)
    return re.search(r'\bvalue="([^"]*)"', tag).group(1)


def upload_body(fields: dict, path: Path, filename: str):
    """A multipart body streamed from disk: the fields, then the file as the part ``document``; (length, blocks)."""
    head = b"".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                    for k, v in fields.items())
    head += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{filename}\"\r\n"
             "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def blocks():
        yield head
        with path.open("rb") as source:
            while block := source.read(MiB):
                yield block
        yield tail

    return len(head) + path.stat().st_size + len(tail), blocks()


class Supplier:
    """The supplier's side of the pages: log in, open the draft, attach, download, remove."""

    def __init__(self, browser: Browser, procurement_id: int):
        self.browser, self.procurement_id = browser, procurement_id

    def log_in(self, email: str, password: str) -> None:
        token = hidden(self.browser.get("/login"), "csrf_token")
        self.browser.post("/login", {"email": email, "password": password, "csrf_token": token})
        index = f"/supplier/procurements/{self.procurement_id}/responses"
        token = hidden(self.browser.get(index), "csrf_token")
        self.draft = self.browser.post(f"{index}/final/1/start", {"csrf_token": token}).replace(
            f"http://127.0.0.1:{self.browser.port}", "")

    def upload(self, path: Path, filename: str) -> None:
        page = self.browser.get(self.draft)
        fields = {"csrf_token": hidden(page, "csrf_token"), "version": hidden(page, "version"), "question": ""}
        length, blocks = upload_body(fields, path, filename)
        status, _, body = self.browser.request("POST", f"{self.draft}/documents", blocks, {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(length)})
        if status != 302:
            raise RuntimeError(f"upload: HTTP {status}: {body[:300]!r}")

    def document(self) -> tuple[str, str]:
        """The attached document's download link and the SHA-256 the page shows."""
        found = re.search(rf'href="({re.escape(self.draft)}/documents/\d+)">[^<]*</a>.*?<code>([0-9a-f]{{64}})',
                          self.browser.get(self.draft), re.S)
        return found.group(1), found.group(2)

    def download(self, link: str, target: Path) -> None:
        status, _, body = self.browser.request("GET", link, sink=target)
        if status != 200:
            raise RuntimeError(f"download: HTTP {status}: {body[:300]!r}")

    def remove(self, link: str) -> None:
        page = self.browser.get(self.draft)
        self.browser.post(f"{link}/remove", {"csrf_token": hidden(page, "csrf_token"),
                                             "version": hidden(page, "version")})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from ``/proc/<pid>/stat``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Backends:
    """The PostgreSQL server processes serving the scratch database (same machine), for their CPU time."""

    def __init__(self, url: str):
        self.engine = None
        if url.startswith("postgresql"):
            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url

            self.database = make_url(url).database
            self.engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def cpu_seconds(self) -> float:
        if self.engine is None:
            return 0.0
        from sqlalchemy import text

        with self.engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                                {"d": self.database}).scalars().all()
        return sum(process_cpu(pid) for pid in pids)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def copy_to_disk(source: Path, stored: Path, target: Path) -> tuple[float, float, float]:
    """The baseline: copy to disk and sync (as an upload is durable when answered), then copy back.

    Returns the two times and the CPU seconds the copies took (in this process, the kernel's copy included).
    """
    cpu = time.process_time()
    start = time.perf_counter()
    shutil.copyfile(source, stored)
    with stored.open("rb+") as out:
        os.fsync(out.fileno())
    middle = time.perf_counter()
    shutil.copyfile(stored, target)
    return middle - start, time.perf_counter() - middle, time.process_time() - cpu


class DatabaseFloor:
    """The least any upload stored in this database can cost: hash the file, write its chunks, read them back.

    Plain DB-API calls on a table shaped as ``stored_file_chunk`` (on
    PostgreSQL stored EXTERNAL, as migration 0019 stores it): SHA-256 of the
    file read from disk in 1 MiB chunks, each chunk inserted, one commit;
    then each chunk selected (on PostgreSQL in binary format) and written to
    a file. No HTTP, form, ORM, type check or audit: what is left of
    Tender's time after this is what Tender adds.
    """

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.postgresql = url.startswith("postgresql")
        mark = "%s" if self.postgresql else "?"
        self.insert = f"INSERT INTO bench_chunk (file_id, sequence, data) VALUES ({mark}, {mark}, {mark})"
        self.select = f"SELECT data FROM bench_chunk WHERE file_id = {mark} AND sequence = {mark}"
        connection = self.engine.raw_connection()
        cursor = connection.cursor()
        cursor.execute(f"CREATE TABLE bench_chunk (file_id INTEGER, sequence INTEGER, "
                       f"data {'BYTEA' if self.postgresql else 'BLOB'}, PRIMARY KEY (file_id, sequence))")
        if self.postgresql:
            cursor.execute("ALTER TABLE bench_chunk ALTER COLUMN data SET STORAGE EXTERNAL")
        connection.commit()
        connection.close()

    def round_trip(self, file_id: int, source: Path, target: Path) -> tuple[float, float]:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            start = time.perf_counter()
            digest = hashlib.sha256()
            with source.open("rb") as read:
                sequence = 0
                while block := read.read(MiB):
                    digest.update(block)
                    cursor.execute(self.insert, (file_id, sequence, block))
                    sequence += 1
            connection.commit()
            digest.hexdigest()
            middle = time.perf_counter()
            driver = connection.driver_connection
            with target.open("wb") as out:
                for number in range(sequence):
                    if self.postgresql:
                        row = driver.execute(self.select, (file_id, number), binary=True).fetchone()
                    else:
                        row = cursor.execute(self.select, (file_id, number)).fetchone()
                    out.write(row[0])
            connection.commit()
            return middle - start, time.perf_counter() - middle
        finally:
            connection.close()

    def close(self) -> None:
        self.engine.dispose()


def prepare(url: str, instance: Path) -> tuple[int, str, str, str]:
    """Migrate; an open tender with one invited supplier. (procurement id, e-mail, password, the day it is)."""
    from flask_migrate import upgrade

    from tender import create_app
    from tender.extensions import db
    from tests.helpers import PASSWORD
    from tests.submissions_support import BEFORE, open_tender

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TENDER_ENV": "testing",
                      "TENDER_INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        tender = open_tender(suppliers=1)
        db.engine.dispose()
    return tender.procurement_id, tender.suppliers[0], PASSWORD, BEFORE.isoformat()


def round_trip(server: Server, supplier: Supplier, source: Path, back: Path) -> dict:
    """Upload ``source`` and download it into ``back``, each timed, with the worker's peak growth during each."""
    rss = server.reset_peak()
    start = time.perf_counter()
    supplier.upload(source, "Method statement.pdf")
    upload_s = time.perf_counter() - start
    upload_growth = server.status("VmHWM") - rss
    link, shown = supplier.document()
    rss = server.reset_peak()
    start = time.perf_counter()
    supplier.download(link, back)
    download_s = time.perf_counter() - start
    download_growth = server.status("VmHWM") - rss
    supplier.remove(link)
    return {"tender_upload_s": upload_s, "tender_download_s": download_s, "tender_s": upload_s + download_s,
            "upload_growth_kb": upload_growth, "download_growth_kb": download_growth, "page_sha256": shown}


def run(url: str, tmp: Path, repeat: int, size: int) -> dict:
    procurement_id, email, password, today = prepare(url, tmp)
    server = Server(url, tmp, tmp / "gunicorn.log", today)
    backends = Backends(url)
    floor = DatabaseFloor(url)
    rounds = []
    try:
        supplier = Supplier(Browser(server.port), procurement_id)
        supplier.log_in(email, password)
        warm = tmp / "warm.pdf"
        make_document(warm, MiB)
        round_trip(server, supplier, warm, tmp / "warm-back.pdf")
        rss_warm = server.status("VmRSS")
        for turn in range(repeat):
            source, stored, back = tmp / f"doc-{turn}.pdf", tmp / f"copy-{turn}.pdf", tmp / f"back-{turn}.pdf"
            sha256 = make_document(source, size)
            copy_up, copy_down, copy_cpu = copy_to_disk(source, stored, tmp / f"copy-back-{turn}.pdf")
            cpu = server.cpu_seconds(), backends.cpu_seconds(), time.process_time()
            figures = round_trip(server, supplier, source, back)
            worker_cpu, backend_cpu, client_cpu = (server.cpu_seconds() - cpu[0], backends.cpu_seconds() - cpu[1],
                                                   time.process_time() - cpu[2])
            # After Tender's turn: the floor's 100 MB of writes would otherwise still be reaching the disk during it.
            floor_up, floor_down = floor.round_trip(turn, source, tmp / f"floor-back-{turn}.pdf")
            if figures.pop("page_sha256") != sha256 or sha256_of(back) != sha256 or back.stat().st_size != size:
                raise RuntimeError(f"turn {turn}: the file did not come back whole")
            rounds.append({**figures, "copy_up_s": copy_up, "copy_down_s": copy_down, "floor_up_s": floor_up,
                           "floor_down_s": floor_down, "floor_s": floor_up + floor_down,
                           "copy_s": copy_up + copy_down, "worker_cpu_s": worker_cpu,
                           "database_cpu_s": backend_cpu, "client_cpu_s": client_cpu,
                           "tender_cpu_s": worker_cpu + backend_cpu + client_cpu, "copy_cpu_s": copy_cpu,
                           "load_average": os.getloadavg()[0]})
            for path in (source, stored, back, tmp / f"copy-back-{turn}.pdf", tmp / f"floor-back-{turn}.pdf"):
                path.unlink()
        rss_end = server.status("VmRSS")
    finally:
        server.stop()
        backends.close()
        floor.close()
    return summarise(rounds, size, rss_warm, rss_end)


def summarise(rounds: list[dict], size: int, rss_warm: int, rss_end: int) -> dict:
    def best(key):
        return min(r[key] for r in rounds)

    def median(key):
        return statistics.median(r[key] for r in rounds)

    figures = {"size_bytes": size, "rounds": rounds,
               "share_of_best": best("copy_s") / best("tender_s"),
               "share_of_median": median("copy_s") / median("tender_s"),
               "pair_shares": [r["copy_s"] / r["tender_s"] for r in rounds],
               "floor_share_of_median": median("floor_s") / median("tender_s"),
               "copy_share_of_floor_median": median("copy_s") / median("floor_s"),
               "cpu_share_of_median": median("copy_cpu_s") / median("tender_cpu_s"),
               "upload_share_of_best": best("copy_up_s") / best("tender_upload_s"),
               "download_share_of_best": best("copy_down_s") / best("tender_download_s"),
               "upload_growth_mb": max(r["upload_growth_kb"] for r in rounds) * 1024 / 1e6,
               "download_growth_mb": max(r["download_growth_kb"] for r in rounds) * 1024 / 1e6,
               "worker_rss_after_warmup_kb": rss_warm, "worker_rss_end_kb": rss_end}
    figures["worker_growth_mb"] = max(figures["upload_growth_mb"], figures["download_growth_mb"])
    for key in ("tender_upload_s", "tender_download_s", "tender_s", "copy_up_s", "copy_down_s", "copy_s",
                "floor_up_s", "floor_down_s", "floor_s",
                "worker_cpu_s", "database_cpu_s", "client_cpu_s", "tender_cpu_s", "copy_cpu_s"):
        figures[f"{key}_best"], figures[f"{key}_median"] = best(key), median(key)
    return figures


def report(figures: dict, database: str) -> None:
    mb = figures["size_bytes"] / 1e6
    print(f"\n{database}: {mb:.1f} MB, {len(figures['rounds'])} turns "
          f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; during the turns "
          f"{', '.join(format(r['load_average'], '.1f') for r in figures['rounds'])})")
    for label, key in (("Tender upload", "tender_upload_s"), ("Tender download", "tender_download_s"),
                       ("Tender round trip", "tender_s"), ("copy to disk + fsync", "copy_up_s"),
                       ("copy back", "copy_down_s"), ("copy round trip", "copy_s"),
                       ("floor: hash + write", "floor_up_s"), ("floor: read back", "floor_down_s"),
                       ("floor round trip", "floor_s")):
        b, m = figures[f"{key}_best"], figures[f"{key}_median"]
        print(f"  {label:22} best {b:6.2f} s ({mb / b:7.1f} MB/s)   median {m:6.2f} s ({mb / m:7.1f} MB/s)")
    print(f"  Tender's speed as a share of the copy's: {figures['share_of_best']:.0%} of the best times, "
          f"{figures['share_of_median']:.0%} of the medians, turn by turn "
          f"{', '.join(f'{s:.0%}' for s in figures['pair_shares'])} (upload {figures['upload_share_of_best']:.0%}, "
          f"download {figures['download_share_of_best']:.0%} of the best); goal >= {GOAL_SHARE:.0%}: "
          f"{'met' if figures['share_of_median'] >= GOAL_SHARE else 'NOT met'} (medians)")
    print(f"  the database floor (hash, write and read the chunks with plain DB-API calls) runs at "
          f"{figures['copy_share_of_floor_median']:.0%} of the copy's speed; Tender at "
          f"{figures['floor_share_of_median']:.0%} of the floor's (medians)")
    print(f"  worker's peak memory growth: upload {figures['upload_growth_mb']:.1f} MB, download "
          f"{figures['download_growth_mb']:.1f} MB (the largest of the turns); goal < {GOAL_GROWTH_MB} MB: "
          f"{'met' if figures['worker_growth_mb'] < GOAL_GROWTH_MB else 'NOT met'}; resident "
          f"{figures['worker_rss_after_warmup_kb'] / 1024:.1f} MiB after the warm-up, "
          f"{figures['worker_rss_end_kb'] / 1024:.1f} MiB at the end")
    print(f"  CPU per round trip (median): Tender {figures['tender_cpu_s_median']:.2f} s (worker "
          f"{figures['worker_cpu_s_median']:.2f}, database server {figures['database_cpu_s_median']:.2f}, client "
          f"{figures['client_cpu_s_median']:.2f}); the copies {figures['copy_cpu_s_median']:.2f} s: "
          f"{figures['cpu_share_of_median']:.0%} in CPU time")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size-mib", type=float, default=100)
    args = parser.parse_args(argv)
    size = int(args.size_mib * MiB)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp, \
            scratch_database(args.database_url, Path(tmp)) as url:
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        figures = run(url, Path(tmp), args.repeat, size)
    report(figures, database)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = results / f"documents-{database.lower()}-{stamp}.json"
    out.write_text(json.dumps({"database": database, "python": platform.python_version(),
                               "load_average": os.getloadavg(), **figures}, indent=2))
    print(f"  written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
