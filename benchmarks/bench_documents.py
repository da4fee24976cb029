"""Uploading and downloading a 100 MB document through gunicorn against copying it to disk (issue 18).

    python benchmarks/bench_documents.py [--database-url URL] [--repeat 3] [--size-mib 100]

Goals (issue 18): the upload and download together run at no less than 50% of
the speed of copying the file to disk and back, and the gunicorn worker's
peak memory grows by less than 32 MB.

On a fresh database (a temporary SQLite file; with a PostgreSQL URL, a
scratch database beside the one named, dropped afterwards) migrated through
the app, one gunicorn sync worker serves the real app
(``benchmarks/documents_app.py``: Tender plus the upload and download views
over ``file_transfer.receive`` / ``storage.save`` / ``file_transfer.send_stored``).
After a warm-up round trip of a 1 MiB file, taking turns ``--repeat`` times
with a new file each time (new bytes, so nothing is de-duplicated):

- **Tender**: a client streams the file from disk as a multipart upload
  (HTTP/1.1, ``Content-Length``), timed until the response (the file checked
  by type, hashed and stored in 1 MiB chunks, committed); then downloads it,
  writing the body to a file on disk, timed to the last byte; the SHA-256 of
  what came back is checked against the file's;
- **the copy**: ``shutil.copyfile`` of the same file to a file on the same
  disk followed by ``os.fsync`` (the upload is durable when it answers: the
  database commits), then ``shutil.copyfile`` of that copy to another file
  (the download, saved as a browser saves it, unsynced).

It prints each side's time and MB/s (best and median), Tender's speed as a
share of the copy's (of the best, of the median), the worker's peak resident
memory (``VmHWM`` in ``/proc/<pid>/status``) after the warm-up and at the
end, its growth, the worker's CPU seconds per round trip and the load
average, and writes JSON to ``benchmarks/results/``.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

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
    """One gunicorn sync worker serving ``app`` on the database (its worker's pid for /proc)."""

    def __init__(self, app: str, url: str, instance: Path, log: Path):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "TENDER_ENV": "testing", "TENDER_INSTANCE_PATH": str(instance),
               "TENDER_SECRET_KEY": secrets.token_hex(32), "PYTHONPATH": str(ROOT), "TMPDIR": str(instance)}
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{self.port}", "--timeout", "600",
             "--no-control-socket", app], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            if children and self._answers():
                self.worker = int(children[0])
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {app} did not start; see {log}")

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

    def cpu_seconds(self) -> float:
        return process_cpu(self.worker)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def upload(port: int, path: Path, filename: str = "Method statement.pdf") -> dict:
    """Stream ``path`` as the multipart field ``document``; the JSON answer."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", "/bench/upload")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    conn.endheaders()
    conn.send(head)
    with path.open("rb") as source:
        while block := source.read(MiB):
            conn.send(block)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"upload: HTTP {response.status}: {body[:300]!r}")
    return json.loads(body)


def download(port: int, file_id: int, target: Path) -> None:
    """Fetch the stored file into ``target``, as a browser saves a download."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", f"/bench/download/{file_id}")
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"download: HTTP {response.status}: {response.read()[:300]!r}")
    with target.open("wb") as out:
        while block := response.read(MiB):
            out.write(block)
    conn.close()


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


def prepare(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    from tender import create_app
    from tender.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TENDER_ENV": "testing",
                      "TENDER_INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def run(url: str, tmp: Path, repeat: int, size: int) -> dict:
    prepare(url, tmp)
    server = Server("benchmarks.documents_app:create_app()", url, tmp, tmp / "gunicorn.log")
    backends = Backends(url)
    rounds = []
    try:
        warm = tmp / "warm.pdf"
        make_document(warm, MiB)
        warmed = upload(server.port, warm)
        download(server.port, warmed["id"], tmp / "warm-back.pdf")
        hwm_warm, rss_warm = server.status("VmHWM"), server.status("VmRSS")
        for turn in range(repeat):
            source, stored, back = tmp / f"doc-{turn}.pdf", tmp / f"copy-{turn}.pdf", tmp / f"back-{turn}.pdf"
            sha256 = make_document(source, size)
            copy_up, copy_down, copy_cpu = copy_to_disk(source, stored, tmp / f"copy-back-{turn}.pdf")
            cpu = server.cpu_seconds(), backends.cpu_seconds(), time.process_time()
            start = time.perf_counter()
            answer = upload(server.port, source)
            middle = time.perf_counter()
            download(server.port, answer["id"], back)
            end = time.perf_counter()
            worker_cpu, backend_cpu, client_cpu = (server.cpu_seconds() - cpu[0], backends.cpu_seconds() - cpu[1],
                                                   time.process_time() - cpu[2])
            if answer["sha256"] != sha256 or sha256_of(back) != sha256 or answer["size"] != size:
                raise RuntimeError(f"turn {turn}: the file did not come back whole")
            rounds.append({"tender_upload_s": middle - start, "tender_download_s": end - middle,
                           "tender_s": end - start, "copy_up_s": copy_up, "copy_down_s": copy_down,
                           "copy_s": copy_up + copy_down, "worker_cpu_s": worker_cpu,
                           "database_cpu_s": backend_cpu, "client_cpu_s": client_cpu,
                           "tender_cpu_s": worker_cpu + backend_cpu + client_cpu, "copy_cpu_s": copy_cpu,
                           "worker_hwm_kb": server.status("VmHWM")})
            for path in (source, stored, back, tmp / f"copy-back-{turn}.pdf"):
                path.unlink()
        hwm_end = server.status("VmHWM")
    finally:
        server.stop()
        backends.close()
    return summarise(rounds, size, hwm_warm, rss_warm, hwm_end)


def summarise(rounds: list[dict], size: int, hwm_warm: int, rss_warm: int, hwm_end: int) -> dict:
    def best(key):
        return min(r[key] for r in rounds)

    def median(key):
        return statistics.median(r[key] for r in rounds)

    figures = {"size_bytes": size, "rounds": rounds,
               "share_of_best": best("copy_s") / best("tender_s"),
               "share_of_median": median("copy_s") / median("tender_s"),
               "cpu_share_of_median": median("copy_cpu_s") / median("tender_cpu_s"),
               "upload_share_of_best": best("copy_up_s") / best("tender_upload_s"),
               "download_share_of_best": best("copy_down_s") / best("tender_download_s"),
               "worker_hwm_after_warmup_kb": hwm_warm, "worker_rss_after_warmup_kb": rss_warm,
               "worker_hwm_end_kb": hwm_end, "worker_growth_mb": (hwm_end - hwm_warm) * 1024 / 1e6}
    for key in ("tender_upload_s", "tender_download_s", "tender_s", "copy_up_s", "copy_down_s", "copy_s",
                "worker_cpu_s", "database_cpu_s", "client_cpu_s", "tender_cpu_s", "copy_cpu_s"):
        figures[f"{key}_best"], figures[f"{key}_median"] = best(key), median(key)
    return figures


def report(figures: dict, database: str) -> None:
    mb = figures["size_bytes"] / 1e6
    print(f"\n{database}: {mb:.1f} MB, {len(figures['rounds'])} turns "
          f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    for label, key in (("Tender upload", "tender_upload_s"), ("Tender download", "tender_download_s"),
                       ("Tender round trip", "tender_s"), ("copy to disk + fsync", "copy_up_s"),
                       ("copy back", "copy_down_s"), ("copy round trip", "copy_s")):
        b, m = figures[f"{key}_best"], figures[f"{key}_median"]
        print(f"  {label:22} best {b:6.2f} s ({mb / b:7.1f} MB/s)   median {m:6.2f} s ({mb / m:7.1f} MB/s)")
    print(f"  Tender's speed as a share of the copy's: {figures['share_of_best']:.0%} of the best times, "
          f"{figures['share_of_median']:.0%} of the medians (upload {figures['upload_share_of_best']:.0%}, "
          f"download {figures['download_share_of_best']:.0%}); goal >= {GOAL_SHARE:.0%}: "
          f"{'met' if figures['share_of_best'] >= GOAL_SHARE else 'NOT met'}")
    print(f"  worker peak memory: {figures['worker_hwm_after_warmup_kb'] / 1024:.1f} MiB after warm-up, "
          f"{figures['worker_hwm_end_kb'] / 1024:.1f} MiB at the end: growth {figures['worker_growth_mb']:.1f} MB; "
          f"goal < {GOAL_GROWTH_MB} MB: {'met' if figures['worker_growth_mb'] < GOAL_GROWTH_MB else 'NOT met'}")
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
