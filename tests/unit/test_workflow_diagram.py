"""Diagrams of a procedure show every stage and mark the current one by more than colour."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tender.domain.workflow_definition import load_definition, load_definitions
from tender.domain.guards import KNOWN_GUARDS  # the real registry the app uses
from tender.domain.workflow_diagram import to_dot, to_mermaid, to_svg

SVG = "{http://www.w3.org/2000/svg}"
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yaml"))


TINY = """\
name: tiny
title: Tiny procedure
version: 1
legal_basis: Test basis
regimes: [pcr2015]
enforcement: block
min_shortlist: null
min_shortlist_source: null
initial: draft
stages:
  - name: draft
    title: Draft
    description: Being prepared.
  - name: published
    title: Published
    description: Out to market.
  - name: done
    title: Done
    description: Finished.
    final: true
milestones:
  - key: published
    title: Published
transitions:
  - trigger: publish
    label: Publish
    source: draft
    dest: published
  - trigger: finish
    label: Finish
    source: published
    dest: done
periods: []
"""


@pytest.fixture(scope="module")
def cpn():
    return load_definitions(WORKFLOWS, KNOWN_GUARDS)["competitive_procedure_with_negotiation"]


def _svg_text(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=[p.stem for p in WORKFLOW_FILES])
def test_every_diagram_names_every_stage(path):
    defn = load_definition(path, KNOWN_GUARDS)
    mermaid, dot = to_mermaid(defn), to_dot(defn)
    shown = _svg_text(ET.fromstring(to_svg(defn)))
    for stage in defn.stages:
        assert f"as {stage.name}" in mermaid
        assert f'"{stage.name}" [label=' in dot
        assert stage.title in shown


def test_mermaid_is_a_state_diagram_with_the_current_stage_classed(cpn):
    text = to_mermaid(cpn, current="negotiation")
    assert text.startswith("stateDiagram-v2")
    assert "[*] --> draft" in text and "live --> [*]" in text
    assert "classDef current" in text and "class negotiation current" in text
    assert 'state "Negotiation (current stage)" as negotiation' in text
    assert "initial_tender_evaluation --> award_decision : Award on initial tenders" in text


def test_dot_marks_the_current_stage_with_a_thick_border_and_words(cpn):
    text = to_dot(cpn, current="standstill")
    assert text.startswith('digraph "competitive_procedure_with_negotiation"')
    line = next(line for line in text.splitlines() if line.strip().startswith('"standstill" ['))
    assert "penwidth=3" in line and "(current stage)" in line
    assert text.count("(current stage)") == 1


def test_svg_is_accessible_xml_with_a_title_and_description(cpn):
    root = ET.fromstring(to_svg(cpn, current="negotiation"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and "Competitive procedure with negotiation" in title.text
    assert desc is not None and "Current stage: Negotiation" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert not list(root.iter(f"{SVG}script"))
    assert "@import" not in ET.tostring(root, encoding="unicode") and "url(http" not in ET.tostring(root, encoding="unicode")


def test_svg_marks_the_current_stage_with_a_thicker_border_and_text(cpn):
    root = ET.fromstring(to_svg(cpn, current="negotiation"))
    widths = sorted(float(r.get("stroke-width", "1")) for r in root.iter(f"{SVG}rect"))
    assert widths[-1] > widths[0]
    assert _svg_text(root).count("(current stage)") == 1
    assert "(current stage)" not in _svg_text(ET.fromstring(to_svg(cpn)))


def test_svg_shows_abandon_once_as_a_note_and_award_on_initial_as_a_side_arrow(cpn):
    root = ET.fromstring(to_svg(cpn))
    text = _svg_text(root)
    assert text.count("Abandon the procurement") == 1
    assert "Award on initial tenders" in text
    assert len(list(root.iter(f"{SVG}path"))) >= 2  # marker head + the side arrow
    assert len(list(root.iter(f"{SVG}line"))) == len(cpn.main_path()) - 1


def test_svg_escapes_text_from_the_file(tmp_path):
    text = TINY.replace("title: Tiny procedure", 'title: "Tom & Jerry <test> \\"quotes\\""')
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    defn = load_definition(path, KNOWN_GUARDS)
    root = ET.fromstring(to_svg(defn, current="published"))
    assert 'Tom & Jerry <test> "quotes"' in root.find(f"{SVG}title").text
    assert '\\"quotes\\"' in to_dot(defn)


def test_an_unknown_current_stage_is_refused(cpn):
    for draw in (to_mermaid, to_dot, to_svg):
        with pytest.raises(KeyError):
            draw(cpn, current="nowhere")

