"""The loaded procedure definitions and their engines, built once per process."""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.workflow_definition import load_definitions
from tender.domain.workflow_engine import EngineRegistry
from tender.resources import data_dir

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _registry_for(directory: str) -> EngineRegistry:
    return EngineRegistry(load_definitions(Path(directory), KNOWN_GUARDS))


def registry(directory: str | Path | None = None) -> EngineRegistry:
    """Definitions and engines for ``directory`` (default: the shipped workflows/)."""
    with _lock:
        return _registry_for(str(directory or data_dir("workflows")))
