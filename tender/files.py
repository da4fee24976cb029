"""Files Tender writes for people (exports, reports): under their real name only once complete.

An export killed half-way (Ctrl-C, the OOM killer, a full disk, a deploy
restarting the box) must never leave a short or empty file where a complete
one was: whoever opens it next would take it for the export, and the
complete one from last time would be gone. So every such file is written by
:func:`atomic_write`: into a hidden file beside it, ``.NAME.partial-PID``
(the same directory, so the same filesystem, so the rename is atomic),
flushed and fsynced, and only then renamed onto NAME with ``os.replace``.
A failure removes the hidden file; a process killed outright (SIGKILL)
leaves only the hidden file, never anything under NAME.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

MODES = ("w", "wb")


def partial_path(path: os.PathLike | str, pid: int | None = None) -> Path:
    """The hidden file ``path`` is written to first (by process ``pid``, default this one)."""
    path = Path(path)
    return path.with_name(f".{path.name}.partial-{os.getpid() if pid is None else pid}")


@contextmanager
def atomic_write(path: os.PathLike | str, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a file to write that appears under ``path`` only when the block ends without an error.

    ``mode`` is "w" (text: pass ``encoding``, ``newline``) or "wb". On
    success the data is fsynced, the file renamed onto ``path`` (replacing
    any earlier one) and the directory fsynced, so the rename survives a
    power cut too. On any exception the hidden file is removed and ``path``
    is left as it was.
    """
    if mode not in MODES:
        raise ValueError(f"atomic_write writes whole files: mode must be one of {MODES}, not {mode!r}")
    path = Path(path)
    partial = partial_path(path)
    try:
        with open(partial, mode, **open_kwargs) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX: the directory entry is data of the directory)."""
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows has no directory fsync
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
