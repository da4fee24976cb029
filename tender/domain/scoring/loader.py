"""Load and check evaluation models from ``scoring_rules/*.yaml``.

Evaluation models are written by people, and weightings must be published
before bids arrive (PCR 2015 reg. 67, Procurement Act 2023 s.23), so a model
that does not add up must be refused at load time, naming the file, the line
and the field, never discovered while bids are being ranked.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tender.domain import bounds
from tender.domain.scoring.model import (
    FINAL_SCORE_METHODS,
    GROUP_QUALITY,
    GROUPS,
    HUNDRED,
    METHOD_MODERATION,
    PRICE_PART,
    AbnormallyLowRule,
    Criterion,
    EvaluationModel,
    PriceRule,
    Scale,
    TieBreak,
)
from tender.domain.yaml_source import DefinitionError, load_yaml_file, line_of

#: No number in an evaluation model needs to be larger than this; far larger ones
#: are typing mistakes that make arithmetic slow. Each number also has its own
#: bound (``tender.domain.bounds``): a version, a point of a scale, a weight or a
#: percentage, and how many decimal places it may have.
MAX_MAGNITUDE = 1_000_000_000
TOP_KEYS = {"title", "version", "description", "scales", "criteria", "price", "final_scores", "tie_break"}
CRITERION_KEYS = {"id", "title", "weight", "children", "scale", "minimum", "pass_fail", "group", "guidance",
                  "word_limit", "character_limit"}
ANSWER_LIMITS = ("word_limit", "character_limit")
PRICE_KEYS = {
    "weight", "formula", "full_marks_below_budget_percent", "affordability_ceiling_percent", "abnormally_low",
    "opening",
}
PRICE_OPENINGS = ("after_quality", "any_time")
PRICE_FORMULAS = ("lowest_relative", "budget_relative")
ABNORMALLY_LOW_RULES = ("below_mean_of_others", "below_budget")
TIE_BREAKS = ("highest_quality", "highest_social_value", "lowest_price")


class _Reader:
    """Helpers that know the source file, so every error can name it."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, container: Any, key: Any, field: str, message: str):
        raise DefinitionError(self.source, line_of(container, key), field, message)

    def mapping(self, container, key, field) -> dict:
        value = container[key]
        if not isinstance(value, dict):
            self.fail(container, key, field, "must be a mapping of keys to values")
        return value

    def known_keys(self, mapping: dict, allowed: set, prefix: str):
        for key in mapping:
            if key not in allowed:
                self.fail(mapping, key, f"{prefix}{key}", f"unknown key; use one of {', '.join(sorted(allowed))}")

    def text(self, container, key, field, required=True) -> str:
        if key not in container:
            if required:
                self.fail(container, None, field, "is missing")
            return ""
        value = container[key]
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value).strip() == "":
            self.fail(container, key, field, "must be non-empty text")
        return str(value).strip()

    def number(self, container, key, field, low=None, high=None, strict_low=False, value=None,
               places: int = bounds.MAX_DECIMAL_PLACES) -> Decimal:
        """``container[key]`` (or ``value`` when checking a key itself) as a Decimal within bounds.

        At most ``places`` decimal places: a weight of 0.0000001 is a typing
        mistake, and a point of a scale must fit the score column exactly.
        """
        value = container[key] if value is None else value
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.fail(container, key, field, f"must be a number, not {value!r}")
        if abs(number) > MAX_MAGNITUDE:
            self.fail(container, key, field, f"must be between -{MAX_MAGNITUDE} and {MAX_MAGNITUDE}, not {value!r}")
        if low is not None and (number < low or (strict_low and number == low)):
            self.fail(container, key, field, f"must be {'above' if strict_low else 'at least'} {low}, not {number}")
        if high is not None and number > high:
            self.fail(container, key, field, f"must be at most {high}, not {number}")
        if -min(number.normalize().as_tuple().exponent, 0) > places:
            self.fail(container, key, field, f"must have at most {places} decimal places, not {value!r}")
        return number

    def version(self, container, key, field) -> str:
        """A version: a whole number from 1 up to the bound, written as a number or as text ("1")."""
        if key not in container:
            return "1"
        value = container[key]
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        whole = text.isascii() and text.isdigit() and len(text) <= 7
        if not whole or not 1 <= int(text) <= bounds.MAX_DEFINITION_VERSION:
            self.fail(container, key, field,
                      f"must be a whole number from 1 to {bounds.MAX_DEFINITION_VERSION}, not {value!r}")
        return str(int(text))

    def choice(self, container, key, field, choices) -> str:
        value = container[key]
        if value not in choices:
            self.fail(container, key, field, f"must be one of {', '.join(choices)}, not {value!r}")
        return value


def load_model(path: str | Path) -> EvaluationModel:
    """Read one evaluation model file, checking everything a person could get wrong."""
    path = Path(path)
    data = load_yaml_file(path)
    r = _Reader(str(path))
    if not isinstance(data, dict):
        raise DefinitionError(str(path), line_of(data, None, 1), "", "must be a mapping with title, scales and criteria")
    r.known_keys(data, TOP_KEYS, "")
    for key in ("scales", "criteria"):
        if key not in data:
            r.fail(data, None, key, "is missing")
    scales = _read_scales(r, data)
    criteria = _read_criteria(r, data, scales)
    price = _read_price(r, data) if "price" in data else None
    _check_top_level_weights(r, data, criteria, price)
    tie_break = _read_tie_break(r, data, criteria, price) if "tie_break" in data else ()
    return EvaluationModel(
        name=path.stem,
        title=r.text(data, "title", "title"),
        version=r.version(data, "version", "version"),
        description=r.text(data, "description", "description", required=False),
        source=str(path),
        criteria=criteria,
        price=price,
        final_score_method=_read_method(r, data),
        tie_break=tie_break,
    )


def load_models(directory: str | Path) -> dict[str, EvaluationModel]:
    """Load every ``*.yaml`` model in ``directory``, keyed by file name without suffix."""
    return {p.stem: load_model(p) for p in sorted(Path(directory).glob("*.yaml"))}


def _read_method(r: _Reader, data: dict) -> str:
    if "final_scores" not in data:
        return METHOD_MODERATION
    final = r.mapping(data, "final_scores", "final_scores")
    r.known_keys(final, {"method"}, "final_scores.")
    return r.choice(final, "method", "final_scores.method", FINAL_SCORE_METHODS) if "method" in final else METHOD_MODERATION


def _read_scales(r: _Reader, data: dict) -> dict[str, Scale]:
    raw = r.mapping(data, "scales", "scales")
    if not raw:
        r.fail(data, "scales", "scales", "declare at least one scale")
    scales = {}
    for name, body in raw.items():
        prefix = f"scales[{name}]"
        if not isinstance(body, dict):
            r.fail(raw, name, prefix, "must be a mapping with points (and optionally spread)")
        r.known_keys(body, {"points", "spread"}, f"{prefix}.")
        if "points" not in body:
            r.fail(body, None, f"{prefix}.points", "is missing")
        points_raw = r.mapping(body, "points", f"{prefix}.points")
        points = []
        for score in points_raw:
            value = r.number(points_raw, score, f"{prefix}.points", low=0, high=bounds.MAX_SCALE_POINT,
                             value=score, places=bounds.SCALE_POINT_PLACES)
            descriptor = r.text(points_raw, score, f"{prefix}.points[{score}]")
            points.append((value, descriptor))
        points.sort()
        if len(points) < 2:
            r.fail(body, "points", f"{prefix}.points", "a scale needs at least two points")
        spread = None
        if "spread" in body:
            spread = r.number(body, "spread", f"{prefix}.spread", low=0, high=points[-1][0] - points[0][0],
                              places=bounds.SCALE_POINT_PLACES)
        scales[name] = Scale(name=str(name), points=tuple(points), spread=spread)
    return scales


def _read_criteria(r: _Reader, data: dict, scales: dict[str, Scale]) -> tuple[Criterion, ...]:
    raw = data["criteria"]
    if not isinstance(raw, list) or not raw:
        r.fail(data, "criteria", "criteria", "must be a list of at least one criterion")
    seen: set[str] = set()
    return tuple(
        _read_criterion(r, raw, i, scales, seen, HUNDRED, top=True, inherited_scale=None) for i in range(len(raw))
    )


def _read_criterion(r, parent_list, index, scales, seen, parent_marks, top, inherited_scale) -> Criterion:
    item = parent_list[index]
    if not isinstance(item, dict):
        r.fail(parent_list, index, "criteria", "each criterion must be a mapping with id and title")
    cid = r.text(item, "id", f"criterion #{index + 1}.id")
    prefix = f"criteria[{cid}]"
    r.known_keys(item, CRITERION_KEYS, f"{prefix}.")
    if cid in seen or cid == PRICE_PART:
        r.fail(item, "id", f"{prefix}.id", "this id is already used" if cid in seen else "'price' is reserved")
    seen.add(cid)
    title = r.text(item, "title", f"{prefix}.title")
    group = None
    if "group" in item:
        if not top:
            r.fail(item, "group", f"{prefix}.group", "only top-level criteria have a group")
        group = r.choice(item, "group", f"{prefix}.group", GROUPS)
    elif top:
        group = GROUP_QUALITY
    weight = r.number(item, "weight", f"{prefix}.weight", low=0, high=HUNDRED, strict_low=True) if "weight" in item else None
    marks = parent_marks * weight / HUNDRED if weight is not None else Decimal(0)
    scale = inherited_scale
    if "scale" in item:
        if item["scale"] not in scales:
            r.fail(item, "scale", f"{prefix}.scale", f"unknown scale {item['scale']!r}; declared: {', '.join(scales)}")
        scale = scales[item["scale"]]
    if "children" in item:
        return _read_section(r, item, prefix, cid, title, weight, marks, scales, seen, group, scale)
    return _read_question(r, item, prefix, cid, title, weight, marks, scale, group)


def _read_section(r, item, prefix, cid, title, weight, marks, scales, seen, group, scale) -> Criterion:
    for key in ("minimum", "pass_fail", *ANSWER_LIMITS):
        if key in item:
            r.fail(item, key, f"{prefix}.{key}", "belongs on a question, not on a section with children")
    kids = item["children"]
    if not isinstance(kids, list) or not kids:
        r.fail(item, "children", f"{prefix}.children", "must be a list of at least one criterion")
    children = tuple(
        _read_criterion(r, kids, i, scales, seen, marks, top=False, inherited_scale=scale) for i in range(len(kids))
    )
    weighted = [c for c in children if c.weight is not None]
    if weight is None and weighted:
        r.fail(item, "id", f"{prefix}.weight", "is missing (only sections of pass/fail questions have no weight)")
    if weight is not None:
        if not weighted:
            r.fail(item, "weight", f"{prefix}.weight", "a section of pass/fail questions takes no weight")
        total = sum(c.weight for c in weighted)
        if total != HUNDRED:
            terms = " + ".join(f"{c.id} {c.weight}" for c in weighted)
            r.fail(item, "children", f"{prefix}.children",
                   f"weights of the children of {cid} add up to {total}, not 100 ({terms})")
    return Criterion(id=cid, title=title, weight=weight, marks=marks, children=children, group=group)


def _read_limits(r, item, prefix) -> dict:
    """A question's optional answer limits: whole numbers within the bounds suppliers' answers are held to."""
    limits = {}
    for key, high in (("word_limit", bounds.MAX_ANSWER_WORDS), ("character_limit", bounds.MAX_ANSWER_CHARACTERS)):
        if key in item:
            value = item[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                r.fail(item, key, f"{prefix}.{key}", f"must be a whole number from 1 to {high:,}, not {value!r}")
            limits[key] = value
    return limits


def _read_question(r, item, prefix, cid, title, weight, marks, scale, group) -> Criterion:
    limits = _read_limits(r, item, prefix)
    pass_fail = False
    if "pass_fail" in item:
        if not isinstance(item["pass_fail"], bool):
            r.fail(item, "pass_fail", f"{prefix}.pass_fail", "must be true or false")
        pass_fail = item["pass_fail"]
    if pass_fail:
        for key in ("weight", "minimum", "scale"):
            if key in item:
                r.fail(item, key, f"{prefix}.{key}", "a pass/fail question has no " + key)
        return Criterion(id=cid, title=title, weight=None, marks=marks, pass_fail=True, group=group, **limits)
    if weight is None:
        r.fail(item, "id", f"{prefix}.weight", "is missing (a scored question needs a weight)")
    if scale is None:
        r.fail(item, "id", f"{prefix}.scale", "is missing (give the question or its section a scale)")
    minimum = None
    if "minimum" in item:
        minimum = r.number(item, "minimum", f"{prefix}.minimum", low=0, high=bounds.MAX_SCALE_POINT,
                           places=bounds.SCALE_POINT_PLACES)
        if minimum not in scale.values:
            points = ", ".join(str(v) for v in scale.values)
            r.fail(item, "minimum", f"{prefix}.minimum", f"{minimum} is not a point on scale {scale.name} ({points})")
    return Criterion(id=cid, title=title, weight=weight, marks=marks, scale=scale, minimum=minimum, group=group,
                     **limits)


def _read_price(r: _Reader, data: dict) -> PriceRule:
    raw = r.mapping(data, "price", "price")
    r.known_keys(raw, PRICE_KEYS, "price.")
    for key in ("weight", "formula"):
        if key not in raw:
            r.fail(raw, None, f"price.{key}", "is missing")
    weight = r.number(raw, "weight", "price.weight", low=0, high=HUNDRED, strict_low=True)
    formula = r.choice(raw, "formula", "price.formula", PRICE_FORMULAS)
    full_marks = None
    if formula == "budget_relative":
        if "full_marks_below_budget_percent" not in raw:
            r.fail(raw, "formula", "price.full_marks_below_budget_percent", "is missing (budget_relative needs it)")
        full_marks = r.number(raw, "full_marks_below_budget_percent", "price.full_marks_below_budget_percent",
                              low=0, high=HUNDRED, strict_low=True)
    elif "full_marks_below_budget_percent" in raw:
        r.fail(raw, "full_marks_below_budget_percent", "price.full_marks_below_budget_percent",
               "only applies to formula budget_relative")
    ceiling = None
    if "affordability_ceiling_percent" in raw:
        ceiling = r.number(raw, "affordability_ceiling_percent", "price.affordability_ceiling_percent",
                           low=0, high=bounds.MAX_CEILING_PERCENT, strict_low=True)
    low_rule = None
    if "abnormally_low" in raw:
        body = r.mapping(raw, "abnormally_low", "price.abnormally_low")
        r.known_keys(body, {"rule", "percent"}, "price.abnormally_low.")
        for key in ("rule", "percent"):
            if key not in body:
                r.fail(body, None, f"price.abnormally_low.{key}", "is missing")
        low_rule = AbnormallyLowRule(
            rule=r.choice(body, "rule", "price.abnormally_low.rule", ABNORMALLY_LOW_RULES),
            percent=r.number(body, "percent", "price.abnormally_low.percent", low=0, high=HUNDRED, strict_low=True),
        )
    opening = r.choice(raw, "opening", "price.opening", PRICE_OPENINGS) if "opening" in raw else "after_quality"
    return PriceRule(weight, formula, full_marks, ceiling, low_rule, opening)


def _check_top_level_weights(r: _Reader, data: dict, criteria, price: PriceRule | None):
    parts = [(c.id, c.weight) for c in criteria if c.weight is not None]
    if price is not None:
        parts.append((PRICE_PART, price.weight))
    total = sum((w for _, w in parts), Decimal(0))
    if total != HUNDRED:
        terms = " + ".join(f"{name} {w}" for name, w in parts) or "nothing"
        r.fail(data, "criteria", "criteria", f"top-level weights (criteria and price) add up to {total}, not 100 ({terms})")


def _read_tie_break(r: _Reader, data: dict, criteria, price) -> tuple[TieBreak, ...]:
    ids = {c.id for top in criteria for c in _walk(top) if c.weight is not None}
    raw = data["tie_break"]
    if not isinstance(raw, list):
        r.fail(data, "tie_break", "tie_break", "must be a list of rules, e.g. [highest_quality, lowest_price]")
    steps = []
    for i, step in enumerate(raw):
        field = f"tie_break[{i}]"
        if isinstance(step, dict) and set(step) == {"highest_score"}:
            cid = step["highest_score"]
            if not isinstance(cid, str) or cid not in ids:
                r.fail(raw, i, field, f"unknown criterion {cid!r} (name a weighted criterion)")
            steps.append(TieBreak("highest_score", cid))
        elif isinstance(step, str) and step in TIE_BREAKS:
            if step == "lowest_price" and price is None:
                r.fail(raw, i, field, "lowest_price needs a price part")
            steps.append(TieBreak(step))
        else:
            r.fail(raw, i, field, f"must be one of {', '.join(TIE_BREAKS)} or 'highest_score: CRITERION'")
    return tuple(steps)


def _walk(criterion: Criterion):
    yield criterion
    for child in criterion.children:
        yield from _walk(child)
