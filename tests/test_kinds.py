"""Does every layer know every exercise kind (so adding a kind cannot half-work)?"""

from __future__ import annotations

import dataclasses

import pytest

from samverkan.content import loader
from samverkan.content.schema import ANSWER_KINDS, EXERCISE_KINDS
from samverkan.logic import timing
from samverkan.render import handout
from samverkan.widgets import WIDGETS
from samverkan.workshop import store, summary

TABLES = {
    "content.loader.PARSERS": loader.PARSERS,
    "widgets.WIDGETS": WIDGETS,
    "render.handout.PARTS": handout.PARTS,
    "logic.timing.SECONDS": timing.SECONDS,
    "workshop.summary.ITEMS": summary.ITEMS,
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_layer_has_an_entry_for_every_kind(table):
    """Does this layer's table cover exactly the kinds of schema.EXERCISE_KINDS?"""
    assert set(TABLES[table]) == set(EXERCISE_KINDS), table


def test_the_store_accepts_every_kinds_answers():
    """Are the store's answer kinds derived from the exercise kinds (not a list to keep in step)?"""
    assert set(store.KINDS) == set(ANSWER_KINDS)
    assert {a for k in EXERCISE_KINDS.values() for a in k.answer_kinds} == set(store.KINDS)


def test_each_kind_names_its_record_and_the_shipped_kit_uses_them():
    """Is each kind's record class the one the loader builds, and does the kit ship every kind?"""
    kit = loader.load_kit()
    shipped = {ex.kind: type(ex) for ex in kit.exercises.values()}
    assert set(shipped) == set(EXERCISE_KINDS)
    for name, kind in EXERCISE_KINDS.items():
        assert shipped[name] is kind.record
        assert dataclasses.is_dataclass(kind.record) and kind.label


def test_an_unknown_kind_in_a_file_lists_the_registered_kinds(tmp_path):
    """Does the loader's message list exactly the registered kinds?"""
    f = tmp_path / "ovning.yaml"
    f.write_text("schema_version: 1\nexercises:\n  - id: x\n    kind: quizz\n    title: T\n", encoding="utf-8")
    problems = loader.load_file(f).problems
    message = next(p.message for p in problems if p.field.endswith("kind"))
    assert all(k in message for k in EXERCISE_KINDS) and "Menade du 'quiz'?" in message
