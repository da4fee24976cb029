"""An "Are you sure?" page before an action that cannot be undone (GOV.UK pattern, no JavaScript).

The page that offers the action links (or sends a GET form) to a confirmation
page; only the POST from that page acts. ``Confirmation`` says what the page
shows and where the confirming POST goes; ``render_confirmation`` draws it
with ``templates/confirm.html``. Use it for stage moves, submitting scores,
opening prices and approving an award.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template


@dataclass(frozen=True)
class ReasonField:
    """A text box the confirming POST must carry (a reason kept in the audit trail)."""

    name: str
    label: str
    hint: str | None = None
    value: str = ""
    error: str | None = None

    @property
    def id(self) -> str:
        return f"confirm-{self.name}"


@dataclass(frozen=True)
class Confirmation:
    """One confirmation page: the question, what will happen, and the confirming POST."""

    question: str                     # "Are you sure you want to publish the tender?"
    action_url: str                   # where "Yes" POSTs
    button: str                       # "Yes, publish the tender"
    cancel_url: str                   # back to where the user was; nothing changes
    caption: str | None = None        # procurement reference, lot, ...
    consequences: tuple[str, ...] = ()  # sentences: what happens, and that it cannot be undone
    rows: tuple[tuple[str, str], ...] = ()  # a summary of what is confirmed (key, value)
    hidden: dict[str, str] = field(default_factory=dict)  # fields the POST carries unchanged
    reason: ReasonField | None = None
    warning: str | None = None        # the one thing the user must not miss
    cancel_label: str = "No, go back"
    cancel_name: str | None = None    # when set, "No" is a POST button with this name (keeps a posted form)
    danger: bool = False              # a red button for destructive actions (abandon, remove)


def render_confirmation(confirmation: Confirmation, status: int = 200, errors: list | None = None):
    """The confirmation page as a Flask response tuple."""
    return render_template("confirm.html", c=confirmation, title=confirmation.question,
                           errors=errors or []), status
