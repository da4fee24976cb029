"""The YAML and CSV loaders never show a traceback: always a clean error naming the file, line and field.

Hypothesis throws arbitrary text, mangled copies of the shipped files and
absurd values at the workflow, evaluation-model and scores/prices loaders;
the only exceptions allowed out are the loaders' own (``DefinitionError``,
``CsvInputError``, ``EvaluationInputError``), and each names the file. Memory
on large files is measured with tracemalloc (memory, not time: it does not
depend on how busy the machine is).
"""
from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.scoring.csv_input import (MAX_BYTES, MAX_ROWS, CsvInputError, parse_prices, parse_scores,
                                             read_evaluation_input)
from tender.domain.scoring.loader import load_model
from tender.domain.scoring.model import EvaluationInputError
from tender.domain.workflow_definition import load_definition
from tender.domain.yaml_source import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = (ROOT / "workflows" / "competitive_procedure_with_negotiation.yaml").read_text()
MODEL_TEXT = (ROOT / "scoring_rules" / "community_services_quality_price_social_value.yaml").read_text()
MODEL = load_model(ROOT / "scoring_rules" / "community_services_quality_price_social_value.yaml")
QUESTION = next(q for q in MODEL.questions() if not q.pass_fail)
GOOD_SCORE = QUESTION.scale.values[0]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def _load_both(path: Path) -> None:
    """Load ``path`` as a workflow and as an evaluation model; only clean errors may come out."""
    for load in (lambda: load_definition(path, KNOWN_GUARDS), lambda: load_model(path)):
        try:
            load()
        except DefinitionError as exc:
            assert str(path) in str(exc)
            assert "Traceback" not in str(exc)


@FAST
@given(text=st.text(max_size=400))
def test_arbitrary_text_is_a_clean_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("yaml") / "any.yaml"
    path.write_text(text, encoding="utf-8")
    _load_both(path)


@FAST
@given(data=yaml_values)
def test_arbitrary_yaml_structures_are_a_clean_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("yaml") / "any.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    _load_both(path)


@FAST
@given(position=st.integers(0, len(WORKFLOW)), insert=st.text(min_size=1, max_size=8), which=st.booleans())
def test_mangled_copies_of_the_shipped_files_are_a_clean_error(tmp_path_factory, position, insert, which):
    source = WORKFLOW if which else MODEL_TEXT
    position = min(position, len(source))
    path = tmp_path_factory.mktemp("yaml") / "mangled.yaml"
    path.write_text(source[:position] + insert + source[position:], encoding="utf-8")
    _load_both(path)


@FAST
@given(value=st.one_of(st.integers(), st.floats(), st.text(max_size=10), st.none(), st.booleans(),
                       st.just(10**35), st.just(10**21)),
       key=st.sampled_from(["version: 1", "days: 30", "min_shortlist: 5"]))
def test_any_value_for_a_number_in_a_workflow_is_a_clean_error_or_accepted(tmp_path_factory, value, key):
    name = key.split(":")[0]
    path = tmp_path_factory.mktemp("yaml") / "values.yaml"
    path.write_text(WORKFLOW.replace(key, f"{name}: {yaml.safe_dump(value).splitlines()[0]}", 1), encoding="utf-8")
    _load_both(path)


@pytest.mark.parametrize("replace, message", [
    (("version: 1", f"version: {10**35}"), "must be a whole number from 1 to 1000000"),
    (("days: 30", f"days: {10**21}"), "must be a whole number from 1 to 3660"),
    (("title:", "title: \x07"), "control character"),
])
def test_absurd_numbers_and_control_characters_name_the_file_and_line(tmp_path, replace, message):
    path = tmp_path / "competitive_procedure_with_negotiation.yaml"
    path.write_text(WORKFLOW.replace(*replace, 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, KNOWN_GUARDS)
    assert message in str(caught.value)
    assert str(path) in str(caught.value) and caught.value.line is not None


def test_deeply_nested_yaml_is_refused_before_it_exhausts_the_stack(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    for load in (lambda: load_definition(path, KNOWN_GUARDS), lambda: load_model(path)):
        with pytest.raises(DefinitionError, match="nests lists or mappings too deeply"):
            load()


def test_the_cli_reports_a_control_character_without_a_traceback(tmp_path):
    from tender.cli import workflow_group

    from click.testing import CliRunner

    path = tmp_path / "bad.yaml"
    path.write_text(WORKFLOW.replace("title:", "title: \x00", 1), encoding="utf-8")
    result = CliRunner().invoke(workflow_group, ["check", str(path)])
    assert result.exit_code == 1
    assert "control character" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------- CSV


def _csv_clean(call, source: str) -> None:
    try:
        call()
    except CsvInputError as exc:
        assert exc.source == source
    except EvaluationInputError:
        pass


@FAST
@given(text=st.text(max_size=600))
def test_arbitrary_scores_and_prices_text_is_a_clean_error(text):
    _csv_clean(lambda: parse_scores(text, "s.csv", MODEL), "s.csv")
    _csv_clean(lambda: parse_prices(text, "p.csv"), "p.csv")


cells = st.one_of(st.text(max_size=12), st.sampled_from(["1", "Acme", QUESTION.id, str(GOOD_SCORE), "pass",
                                                         "NaN", "1e999", "9" * 300, "-0", "\x00", ""]))


@FAST
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=6), max_size=12))
def test_arbitrary_rows_under_the_right_header_are_a_clean_error(rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["lot", "bidder", "criterion", "score", "price", "budget"])
    writer.writerows(rows)
    text = out.getvalue()
    _csv_clean(lambda: parse_scores(text, "s.csv", MODEL), "s.csv")
    _csv_clean(lambda: parse_prices(text, "p.csv"), "p.csv")


def _large_scores_file(path: Path, rows: int, bad_row: int | None) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("lot,bidder,criterion,score\n")
        for i in range(2, rows + 2):
            criterion = "NOT-A-QUESTION" if i == bad_row else QUESTION.id
            out.write(f"{i % 100},Bidder {i:09d},{criterion},{GOOD_SCORE}\n")


def _peak_while(call) -> tuple[int, Exception | None]:
    tracemalloc.start()
    try:
        call()
        error = None
    except (CsvInputError, EvaluationInputError) as exc:
        error = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


@pytest.mark.slow
def test_a_large_scores_file_fails_at_its_first_bad_row_in_little_memory(tmp_path):
    path = tmp_path / "scores.csv"
    _large_scores_file(path, rows=1_400_000, bad_row=32)  # about 38 MB, wrong at row 32 as in the issue
    assert path.stat().st_size > 30 * 1024 * 1024
    peak, error = _peak_while(lambda: read_evaluation_input(MODEL, path))
    assert isinstance(error, CsvInputError) and error.row == 32
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.slow
def test_a_file_with_more_rows_than_any_evaluation_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "scores.csv"
    _large_scores_file(path, rows=MAX_ROWS + 10, bad_row=None)
    peak, error = _peak_while(lambda: read_evaluation_input(MODEL, path))
    assert isinstance(error, CsvInputError) and f"more than {MAX_ROWS:,} rows" in str(error)
    assert peak < 150 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "scores.csv"
    with path.open("wb") as out:
        out.truncate(MAX_BYTES + 1)  # sparse: no disk used, and not a byte of it is read
    peak, error = _peak_while(lambda: read_evaluation_input(MODEL, path))
    assert isinstance(error, CsvInputError) and "MB" in str(error) and str(path) in str(error)
    assert peak < 1024 * 1024


def test_one_enormous_line_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("lot,bidder,criterion,score\n1,Acme," + "x" * 20_000_000 + ",5\n", encoding="utf-8")
    peak, error = _peak_while(lambda: read_evaluation_input(MODEL, path))
    assert isinstance(error, CsvInputError) and error.row == 2 and "longer than" in str(error)
    assert peak < 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("content, words", [
    (b"lot,bidder,criterion,score\n1,Acme,Q1.1,\xff\xfe\n", "not UTF-8"),
    (b"lot,bidder,criterion,score\n1,Ac\x00me,Q1.1,5\n", "null byte"),
    (b"lot,bidder,criterion,score\n1,\"Acme,Q1.1,5\n", "enter a value"),
])
def test_broken_encodings_and_bytes_name_the_file_and_row(tmp_path, content, words):
    path = tmp_path / "scores.csv"
    path.write_bytes(content)
    with pytest.raises(CsvInputError) as caught:
        read_evaluation_input(MODEL, path)
    assert words in str(caught.value) and str(path) in str(caught.value) and caught.value.row == 2


# --- every number a definition file holds is bounded -------------------------

DEFINITION_FILES = sorted((ROOT / "workflows").glob("*.yaml")) + sorted((ROOT / "scoring_rules").glob("*.yaml"))
NUMBER_VALUE = re.compile(r"""(?:^|(?<=[\s{,]))(?P<key>[A-Za-z_]+): (?P<q>"?)-?\d+(?:\.\d+)?(?P=q)(?=\s*(?:[,}#]|$))""")
NUMBER_KEY = re.compile(r"^(?P<indent>\s+)\d+(?:\.\d+)?:")


def _numbers_in(path: Path):
    """(path, line number, field key, the file with that one number made absurd) for every number in a file."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, line in enumerate(lines, start=1):
        for match in NUMBER_VALUE.finditer(line):
            absurd = line[:match.start()] + f"{match['key']}: {10**35}" + line[match.end():]
            yield path, n, match["key"], "".join(lines[:n - 1] + [absurd] + lines[n:])
        if (match := NUMBER_KEY.match(line)) is not None:
            absurd = f"{match['indent']}{10**35}:" + line[match.end():]
            yield path, n, "points", "".join(lines[:n - 1] + [absurd] + lines[n:])


EVERY_NUMBER = [case for path in DEFINITION_FILES for case in _numbers_in(path)]


def test_the_shipped_files_hold_numbers_of_every_kind_the_bounds_cover():
    keys = {key for _path, _line, key, _text in EVERY_NUMBER}
    assert {"version", "days", "min_shortlist", "weight", "minimum", "spread", "percent",
            "affordability_ceiling_percent", "points"} <= keys


@pytest.mark.parametrize("path, line, key, text", EVERY_NUMBER,
                         ids=[f"{p.stem}:{n}:{k}" for p, n, k, _t in EVERY_NUMBER])
def test_every_number_in_every_shipped_file_set_absurdly_large_is_refused_naming_file_line_and_field(
        tmp_path, path, line, key, text):
    copy = tmp_path / path.name
    copy.write_text(text, encoding="utf-8")
    load = (lambda: load_definition(copy, KNOWN_GUARDS)) if path.parent.name == "workflows" else \
        (lambda: load_model(copy))
    with pytest.raises(DefinitionError) as caught:
        load()
    error = caught.value
    assert error.source == str(copy)
    assert error.line == line, str(error)
    assert key in error.field, str(error)


RULES_TEXT = MODEL_TEXT


@pytest.mark.parametrize("replace, field, message", [
    (('version: "1"', f"version: {10**35}"), "version", "must be a whole number from 1 to 1000000"),
    (('version: "1"', 'version: "1.5"'), "version", "must be a whole number from 1 to 1000000"),
    (("affordability_ceiling_percent: 100", "affordability_ceiling_percent: 5000"),
     "price.affordability_ceiling_percent", "must be at most 1000"),
    (("      4: Excellent", "      4.125: Excellent"), "scales[uk_0_4].points", "at most 2 decimal places"),
    (("      4: Excellent", "      2000000: Excellent"), "scales[uk_0_4].points", "must be at most 1000000"),
    (("price:\n  weight: 30", "price:\n  weight: 30.0000001"), "price.weight", "at most 6 decimal places"),
])
def test_an_evaluation_model_number_outside_its_bound_is_refused_naming_file_line_and_field(
        tmp_path, replace, field, message):
    old, new = replace
    assert old in RULES_TEXT
    text = RULES_TEXT.replace(old, new, 1)
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_model(path)
    error = caught.value
    changed = new.splitlines()[-1].strip()
    expected_line = next(n for n, line in enumerate(text.splitlines(), start=1) if changed in line)
    assert (error.line, error.field) == (expected_line, field), str(error)
    assert message in error.message


def test_an_evaluation_model_version_in_bounds_is_kept_as_text(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(RULES_TEXT.replace('version: "1"', "version: 12", 1), encoding="utf-8")
    assert load_model(path).version == "12"


@pytest.mark.parametrize("which", ["workflow", "rules"])
def test_a_number_too_long_to_convert_is_a_clean_error_naming_its_line_and_field(tmp_path, which):
    source, old = (WORKFLOW, "days: 30") if which == "workflow" else (MODEL_TEXT, "  weight: 30")
    text = source.replace(old, old.split(":")[0] + ": 1" + "0" * 5000, 1)
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, KNOWN_GUARDS) if which == "workflow" else load_model(path)
    error = caught.value
    assert error.line == next(n for n, line in enumerate(text.splitlines(), start=1) if "0" * 5000 in line)
    assert error.field == old.split(":")[0].strip() and "more than 100 digits" in error.message
