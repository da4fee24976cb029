"""What an audit export was asked for, and by whom.

Kept separate from the writers so that the web view, the CLI and background
jobs can describe an export the same way, and so that the cover page and the
bundle's manifest state the same parameters.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from importlib import metadata

from tender.domain.audit_chain import ChainVerification, format_timestamp


def _tool_version() -> str:
    """Version of the installed ``tender`` package, for the manifest.

    Recorded so that a reader can tell which code produced a bundle; falls
    back to "unknown" rather than failing an export when run from a checkout
    that was never installed.
    """
    try:
        return metadata.version("tender")
    except metadata.PackageNotFoundError:
        return "unknown"


def _utc_now() -> _dt.datetime:
    from tender.services import clock

    return clock.wall_now()


@dataclass(frozen=True)
class ExportMeta:
    """Parameters of one export, stated on the cover page and in the manifest.

    ``since`` is inclusive and ``until`` exclusive, as applied by whoever
    selected the events; the writers only report them. ``trail_verification``
    is the caller's check of the *whole* trail at export time (optional):
    its head hash is the one to quote, because it fixes every event up to
    that moment, including those outside an extract.
    """

    generated_by: str
    generated_at: _dt.datetime = field(default_factory=_utc_now)
    procurement_ref: str | None = None
    procurement_title: str | None = None
    since: _dt.datetime | None = None
    until: _dt.datetime | None = None
    organisation: str | None = None
    trail_verification: ChainVerification | None = None
    tool_version: str = field(default_factory=_tool_version)

    def __post_init__(self) -> None:
        for name in ("generated_at", "since", "until"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"ExportMeta.{name} must be timezone-aware")

    @property
    def is_extract(self) -> bool:
        """True when the events are a selection, so numbering gaps are expected."""
        return self.procurement_ref is not None or self.since is not None or self.until is not None

    def parameters(self) -> dict[str, object]:
        """The export parameters as JSON values (UTC timestamps)."""
        stamp = lambda value: format_timestamp(value) if value is not None else None  # noqa: E731
        return {
            "procurement": self.procurement_ref,
            "procurement_title": self.procurement_title,
            "organisation": self.organisation,
            "since": stamp(self.since),
            "until": stamp(self.until),
            "generated_at": stamp(self.generated_at),
            "generated_by": self.generated_by,
        }
