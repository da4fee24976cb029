"""The actions pages offer, and pressing them: for the sweep that no page offers an action that answers 400.

``forms_of(html)`` finds every form of a page with the values a person who
only presses the button would send: hidden fields and pre-filled values as
they are, checked radios (or the first of a group with none checked, the
form's first valid choice), confirmation boxes ticked and other boxes as the
page ticks them, a select's selected or first option (a placeholder with no
value counts as a choice still to make), typed fields as they stand (empty
if the page left them empty).
``press(client, form)`` sends a POST form that way. A 400 is a dead end unless
it only asks for what the person had still to type: the form had an empty
field to type in and every error the page lists (or the refusal page's one
message) is an instruction to fill one in ("Enter …", "Choose …"), see
:func:`only_asks_for_input`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

#: How an error that is about what was (not) typed starts; anything else (a refusal by stage, by a guard, a
#: missing record) is a dead end if the page offered the button.
INPUT_INSTRUCTIONS = ("Enter ", "Choose ", "Select ", "Confirm ", "Give ", "Describe ", "Say ", "Tick ", "Type ")
TYPED = ("text", "date", "number", "email", "datetime-local", "time", "textarea", "password", "url", "tel", "search")


@dataclass
class Form:
    """One form: where it goes, how, what it sends, and whether it had a field left to type in."""

    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    empty_typed: bool = False
    label: str = ""  # its submit button's text
    button: tuple[str, str] | None = None  # the first submit button's name and value, if it has them
    pressable: bool = False  # it has a submit button that is not disabled (a form with none offers nothing)

    def url(self) -> str:
        """A GET form as the address it leads to."""
        query = urlencode([(k, v) for k, v in self.fields if k])
        return self.action + (f"?{query}" if query else "")


class _Forms(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._radios: dict[str, tuple[str, bool]] = {}
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._button: bool = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.base, a.get("action") or self.base)
            parts = urlsplit(action)
            self._form = Form((a.get("method") or "get").lower(), parts.path + (f"?{parts.query}" if parts.query
                                                                                  else ""))
            self._radios = {}
            return
        form = self._form
        if form is None:
            return
        if tag == "input":
            kind, name = (a.get("type") or "text").lower(), a.get("name")
            if kind in ("submit", "image") and "disabled" not in a:
                form.pressable = True
                if name and not form.button:
                    form.button = (name, a.get("value") or "")
            if kind == "file" and name and "disabled" not in a:
                form.empty_typed = True  # a file still to choose
            if kind in ("submit", "button", "image", "reset", "file") or not name or "disabled" in a:
                return
            value = a.get("value") or ""
            if kind == "radio":
                if name not in self._radios or "checked" in a and not self._radios[name][1]:
                    self._radios[name] = (value, "checked" in a)
            elif kind == "checkbox":
                if "checked" in a or name.startswith("confirm"):  # a confirmation is ticked by whoever presses
                    form.fields.append((name, value or "y"))
            else:
                if kind in TYPED and not value:
                    form.empty_typed = True
                form.fields.append((name, value))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "button":
            self._button, self._text = (a.get("type") or "submit").lower() == "submit" and "disabled" not in a, ""
            form.pressable = form.pressable or self._button
            if self._button and a.get("name") and not form.button:
                form.button = (a["name"], a.get("value") or "")  # the first button's own value goes with it

    def handle_data(self, data):
        if self._textarea is not None or self._button:
            self._text += data

    def handle_endtag(self, tag):
        form = self._form
        if form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            if not self._text.strip():
                form.empty_typed = True
            form.fields.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = next((v for v, selected in self._options if selected), self._options[0][0] if self._options
                          else "")
            if not chosen:
                form.empty_typed = True  # a "Choose …" placeholder: a choice the person had still to make
            form.fields.append((self._select, chosen))
            self._select = None
        elif tag == "button" and self._button:
            form.label = form.label or " ".join(self._text.split())
            self._button = False
        elif tag == "form":
            form.fields += [(name, value) for name, (value, _) in self._radios.items()]
            self.forms.append(form)
            self._form = None


def forms_of(html: str, url: str, base: str = "http://localhost") -> list[Form]:
    """Every form of the page at ``url``, with the values pressing its button would send."""
    parser = _Forms(base + url)
    parser.feed(html)
    return parser.forms


_SUMMARY = re.compile(r'class="[^"]*govuk-error-summary__list[^"]*">(.*?)</ul>', re.S)


def errors_listed(html: str) -> list[str]:
    """The messages of the page's error summary, as text."""
    found = _SUMMARY.search(html)
    if not found:
        return []
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def what_it_said(html: str) -> str:
    """The page's error summary, or else the text of its main content: what a person pressing was told."""
    listed = errors_listed(html)
    if listed:
        return "; ".join(listed)
    main = re.search(r"<main[^>]*>(.*?)</main>", html, re.S)
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", main.group(1) if main else html, flags=re.S)
    return " ".join(unescape(text).split())[:400]


_REFUSAL = re.compile(r'<h1 class="govuk-heading-l">That could not be done</h1>\s*'
                      r'<p class="govuk-body">(.*?)</p>', re.S)


def refusal_message(html: str) -> str | None:
    """The message of the plain refusal page (``errors/error.html``) some forms answer with, if it is that page."""
    found = _REFUSAL.search(html)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split()) if found else None


def only_asks_for_input(form: Form, html: str) -> bool:
    """True if a 400 only asks for what the person had still to type into the form (in the error summary of the
    form shown again, or as the one message of the refusal page)."""
    errors = errors_listed(html) or [m for m in [refusal_message(html)] if m]
    return form.empty_typed and bool(errors) and all(e.startswith(INPUT_INSTRUCTIONS) for e in errors)


def press(client, form: Form):
    """POST the form as a person pressing its button sends it."""
    from werkzeug.datastructures import MultiDict

    fields = [(k, v) for k, v in form.fields if k] + ([form.button] if form.button else [])
    return client.post(form.action, data=MultiDict(fields))
