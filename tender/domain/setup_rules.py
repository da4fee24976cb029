"""What a procedure's definition says about setting a procurement up.

Setting up (lots, selection questionnaire responses, tenders) must follow the
procedure, but the workflow files do not have a separate "set-up" section.
These rules are read from what the files already declare, so a new procedure
file needs no code:

- A procedure **has a shortlist** if one of its transitions is guarded by
  ``shortlist_decided``.
- Its **selection questionnaire window** is the first transition on the main
  path with a ``deadline_passed`` guard and no ``bids_received`` guard (CPN's
  ``close_sq``): responses are registered in its source stage (SQ open) and
  its destination stage (SQ just closed), and the guard's milestone is the
  deadline. Only procedures with a shortlist have one.
- Each **round of tenders** is named by a ``bids_received`` guard; the
  ``deadline_passed`` guard on the same transition names its deadline (CPN:
  initial -> ``initial_tender_deadline``, final -> ``final_tender_deadline``;
  the open procedure: final -> ``tender_deadline``). Tenders are recorded in
  that transition's source stage (tenders open) and destination stage (just
  closed). A round no guard names (for example "revised") is not offered.
- **Lots** may be added in the main-path stages before the first stage in
  which tenders are being prepared (the source of the first ``bids_received``
  transition): for CPN draft, sq_published, sq_closed and sq_evaluation; for
  the open procedure only draft. Once suppliers are tendering, the lots are
  fixed.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """When and until when something is received: the stages, and the deadline milestone."""

    deadline: str | None
    open_stage: str
    closed_stage: str

    @property
    def stages(self) -> frozenset[str]:
        """The stages in which a response or tender may be recorded."""
        return frozenset({self.open_stage, self.closed_stage})


def _guard_args(transition, name: str) -> dict[str, str] | None:
    for ref in transition.guards:
        if ref.name == name:
            return dict(ref.args)
    return None


def has_shortlist(defn) -> bool:
    """True if the procedure shortlists candidates before inviting tenders."""
    return any(_guard_args(t, "shortlist_decided") is not None for t in defn.transitions)


def _main_path_transitions(defn) -> list:
    """Transitions whose source is on the main path, in main-path order."""
    order = {stage.name: i for i, stage in enumerate(defn.main_path())}
    on_path = [t for t in defn.transitions if len(t.sources) == 1 and t.sources[0] in order]
    return sorted(on_path, key=lambda t: order[t.sources[0]])


def sq_window(defn) -> Window | None:
    """The selection questionnaire's window, or None if the procedure has no shortlist."""
    if not has_shortlist(defn):
        return None
    for t in _main_path_transitions(defn):
        deadline = _guard_args(t, "deadline_passed")
        if deadline is not None and _guard_args(t, "bids_received") is None:
            return Window(deadline.get("milestone"), t.sources[0], t.dest)
    return None


def tender_rounds(defn) -> dict[str, Window]:
    """Each round of tenders the procedure takes, with its window, in main-path order."""
    rounds: dict[str, Window] = {}
    for t in _main_path_transitions(defn):
        bids = _guard_args(t, "bids_received")
        if bids is not None and bids.get("round") not in rounds:
            deadline = _guard_args(t, "deadline_passed") or {}
            rounds[bids["round"]] = Window(deadline.get("milestone"), t.sources[0], t.dest)
    return rounds


def lot_stages(defn) -> frozenset[str]:
    """The stages in which lots may still be added (see the module docstring)."""
    rounds = tender_rounds(defn)
    first_tendering = next(iter(rounds.values())).open_stage if rounds else None
    stages = []
    for stage in defn.main_path():
        if stage.name == first_tendering:
            break
        stages.append(stage.name)
    return frozenset(stages)


def shortlist_stages(defn) -> frozenset[str]:
    """The stages in which shortlisting decisions may be recorded.

    From the close of the selection questionnaire (or requests to participate)
    until the transition guarded by ``shortlist_decided`` leaves: CPN's
    sq_closed and sq_evaluation, the competitive flexible procedure's
    participation_assessment. Empty for a procedure with no shortlist.
    """
    window = sq_window(defn)
    stages = {window.closed_stage} if window else set()
    stages |= {stage for t in defn.transitions if _guard_args(t, "shortlist_decided") is not None
               for stage in t.sources}
    return frozenset(stages)
