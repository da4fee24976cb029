"""Exports never leave a short file under the real name, even when the process is killed half-way.

Each test runs the real ``tender`` command in a subprocess. A complete export
is written first; then the same export is started again and killed with
SIGKILL in the middle, and the complete file from before must be untouched,
with nothing but the hidden ``.NAME.partial-PID`` beside it.

Two ways to be in the middle, neither a hook in Tender:

- the PDF: it is rendered in memory and written at the end, so the hidden
  file exists, empty, for the whole rendering; the test kills the process as
  soon as the file appears (a trail of a thousand events takes long enough);
- the streamed formats: the test puts a named pipe where the hidden file
  will be (its name is the process id, which the test knows once the
  process starts), reads the first rows from it and stops reading, so the
  export blocks, provably half-written, until it is killed.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tender.demo import REFERENCE, load_demo
from tender.extensions import db
from tender.files import atomic_write, partial_path
from tender.services import audit
from tests.web.test_cli import environment

TENDER = str(Path(sys.executable).parent / "tender")
EVENTS = 1000  # CSV of these is ~300 KB: far more than a pipe holds (64 KB)


@pytest.fixture
def demo(app, database_url, tmp_path):
    """The demo loaded; returns the environment to run ``tender`` in."""
    with app.app_context():
        load_demo("demo-password-2022")
    return environment(database_url, tmp_path / "instance")


@pytest.fixture
def trail(app, demo):
    """The demo and a thousand more events under its reference (so that an export takes a while)."""
    with app.app_context():
        actor = audit.Actor.system("test")
        for n in range(EVENTS):
            audit.record(actor, "milestone.replanned", "milestone", n, procurement_ref=REFERENCE,
                         before={"planned_date": "2022-05-09"}, after={"planned_date": "2022-05-10"},
                         reason=f"Replanned for the {n}th time: the provider asked for more time to mobilise.")
        db.session.commit()
    return demo


def _run(env, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([TENDER, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def _start(env, *args: str) -> subprocess.Popen:
    return subprocess.Popen([TENDER, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _killed(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL  # killed, not finished or failed on its own


def _visible(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


def test_a_pdf_export_killed_half_way_leaves_the_previous_complete_file(trail, tmp_path):
    out = tmp_path / "exports" / "audit.pdf"
    out.parent.mkdir()
    args = ("audit", "export", "--format", "pdf", "--output", str(out))
    _run(trail, *args)
    previous = out.read_bytes()
    assert previous.startswith(b"%PDF") and previous.rstrip().endswith(b"%%EOF")

    process = _start(trail, *args)
    hidden = partial_path(out, process.pid)
    deadline = time.monotonic() + 120
    while not hidden.exists():
        assert process.poll() is None, "the export finished before the test saw its hidden file"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    _killed(process)

    assert out.read_bytes() == previous
    assert _visible(out.parent) == ["audit.pdf"]
    assert hidden.name == f".audit.pdf.partial-{process.pid}" and hidden.stat().st_size < len(previous)


@pytest.mark.parametrize("name, args, starts", [
    ("filtered.csv", ("--format", "csv", "--procurement", REFERENCE), b"seq,"),
    ("filtered.jsonl", ("--format", "jsonl", "--since", "2000-01-01"), b'{"'),
    ("whole.csv", ("--format", "csv"), b"seq,"),
], ids=["filtered-csv", "filtered-jsonl", "whole-trail-csv"])
def test_a_streamed_export_killed_half_way_leaves_the_previous_complete_file(trail, tmp_path, name, args, starts):
    out = tmp_path / "exports" / name
    out.parent.mkdir()
    command = ("audit", "export", *args, "--output", str(out))
    _run(trail, *command)
    previous = out.read_bytes()
    assert previous.count(b"\n") > EVENTS

    process = _start(trail, *command)
    hidden = partial_path(out, process.pid)
    os.mkfifo(hidden)  # before the process (still starting Python) opens it
    reader = os.open(hidden, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert select.select([reader], [], [], 120)[0], "the export never started writing"
        first = os.read(reader, 4096)
        time.sleep(0.2)  # the export fills the pipe and blocks on its next write
        assert process.poll() is None
        _killed(process)
    finally:
        os.close(reader)

    assert first.lstrip(b"\xef\xbb\xbf").startswith(starts)  # the export was under way
    assert out.read_bytes() == previous
    assert _visible(out.parent) == [name]


@pytest.mark.slow
def test_every_file_writing_command_replaces_the_previous_file_whole_and_leaves_nothing_beside(app, demo, tmp_path):
    from sqlalchemy import select as query

    from tender.models import Procurement
    from tests.publishing_support import publish, user

    with app.app_context():  # a published notice, for tender ocds export
        procurement_id = db.session.scalar(query(Procurement.id).where(Procurement.reference == REFERENCE))
        publish(procurement_id, "tender", user("luke.edwards@kent.example"),
                datetime(2022, 4, 1, 10, tzinfo=timezone.utc))
    commands = {
        "bundle.zip": ("audit", "export", "--format", "bundle"),
        "audit.jsonl": ("audit", "export", "--format", "jsonl"),
        "report.pdf": ("report", "--procurement", REFERENCE),
        "releases.json": ("ocds", "export"),
    }
    directory = tmp_path / "exports"
    directory.mkdir()
    for name, command in commands.items():
        out = directory / name
        out.write_bytes(b"an earlier, different file")
        _run(demo, *command, "--output", str(out))
        data = out.read_bytes()
        assert data != b"an earlier, different file" and len(data) > 1000, name
        assert data[:2] in (b"PK", b"%P", b'{"', b"{\n"), name
    assert sorted(p.name for p in directory.iterdir()) == sorted(commands)


def test_a_failure_while_writing_removes_the_hidden_file_and_keeps_the_previous_one(tmp_path):
    out = tmp_path / "export.csv"
    out.write_text("seq,action\n1,login.succeeded\n")

    with pytest.raises(RuntimeError, match="the database went away"):
        with atomic_write(out, "w", encoding="utf-8") as stream:
            stream.write("seq,action\n")
            assert partial_path(out).exists() and out.read_text().endswith("login.succeeded\n")
            raise RuntimeError("the database went away")

    assert out.read_text() == "seq,action\n1,login.succeeded\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]


def test_a_completed_write_replaces_the_file_in_one_step(tmp_path):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"old")
    with atomic_write(out, "wb") as stream:
        stream.write(b"%PDF-1.7 new")
        assert out.read_bytes() == b"old"  # still the old one until the block ends
    assert out.read_bytes() == b"%PDF-1.7 new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_only_whole_file_modes_are_accepted(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        with atomic_write(tmp_path / "x.csv", "a"):
            pass
    assert list(tmp_path.iterdir()) == []
