"""The procedure files as they are now: their definitions, engines and texts, built once per process.

New procurements start on these; a running procurement runs the text it was
pinned to (``tender.services.procurement.definitions``). Tender reads
``workflows/`` (the shipped files) unless ``TENDER_WORKFLOWS_DIR`` names
another directory; a changed file takes effect when the application restarts.
"""
from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.workflow_definition import definition_from_text
from tender.domain.workflow_engine import EngineRegistry
from tender.domain.yaml_source import DefinitionError
from tender.resources import data_dir

_lock = threading.Lock()


def digest_of(text: str) -> str:
    """The SHA-256 of a procedure file's text (UTF-8), in hex: what a procurement pins."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Procedures(EngineRegistry):
    """The engines for every file in a directory, with each file's exact text and its digest."""

    def __init__(self, texts: dict[str, str], definitions: dict):
        super().__init__(definitions)
        self.texts = texts
        self.digests = {name: digest_of(text) for name, text in texts.items()}
        self.by_digest = {self.digests[name]: engine for name, engine in self.engines.items()}


@lru_cache(maxsize=4)
def _registry_for(directory: str) -> Procedures:
    path = Path(directory)
    if not path.is_dir():
        raise DefinitionError(directory, None, "", "is not a directory of procedure files.")
    texts, definitions = {}, {}
    for file in sorted(path.glob("*.yaml")):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError(str(file), None, "", f"cannot be read: {exc}") from None
        # Validated from the very text a procurement will pin, never from a second read of the file.
        definitions[file.stem] = definition_from_text(text, str(file), KNOWN_GUARDS, expected_name=file.stem)
        texts[file.stem] = text
    return Procedures(texts, definitions)


def workflows_dir() -> Path:
    """The directory procedure files are read from: ``TENDER_WORKFLOWS_DIR`` if configured, else the shipped one."""
    configured = current_app.config.get("TENDER_WORKFLOWS_DIR") if has_app_context() else None
    return Path(configured) if configured else data_dir("workflows")


def registry(directory: str | Path | None = None) -> Procedures:
    """Definitions, engines and texts for ``directory`` (default: :func:`workflows_dir`)."""
    with _lock:
        return _registry_for(str(directory or workflows_dir()))
