"""Fördjupning (further_study): self-study shows it, the workshop path leaves it out, everywhere alike."""

from __future__ import annotations

import re

import pytest

from samverkan.apps.lesson import open_lesson
from samverkan.content import loader
from samverkan.content.schema import exercises_on_path
from samverkan.logic.timing import estimate
from samverkan.widgets import exercise_widget
from samverkan.workshop import summary

LESSON = "03-principer"


def _mark(kit_copy, question_ids=(), exercise_ids=(), section_ids=()):
    """Mark questions, exercises and sections of lesson 03 in a copy of the kit."""
    folder = kit_copy / "exercises" / LESSON
    for name, ids in (("ovningar.yaml", (*question_ids, *exercise_ids)), ("lektion.yaml", section_ids)):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        for ident in ids:
            text, n = re.subn(
                rf"^(\s*)- id: {re.escape(ident)}\s*$", r"\g<0>\n\1  further_study: true", text, count=1, flags=re.M
            )
            assert n == 1, ident
        path.write_text(text, encoding="utf-8")
    kit = loader.load_kit(kit_copy)
    assert not kit.problems, kit.problems
    return kit


def test_the_loader_reads_the_mark_on_a_question_an_exercise_and_a_section(kit_copy):
    kit = _mark(kit_copy, ["principer-quiz-1"], ["roller-matchning"], ["rollerna"])
    quiz = kit.exercises["principer-quiz"]
    assert [q.further_study for q in quiz.questions][:2] == [True, False]
    assert kit.exercises["roller-matchning"].further_study
    assert kit.lessons[LESSON].section("rollerna").further_study


def test_a_quiz_with_every_question_marked_is_a_problem(kit_copy):
    quiz = loader.load_kit(kit_copy).exercises["principer-quiz"]
    unmarked = [q for q in quiz.questions if not q.further_study]
    assert len(unmarked) > 1
    _mark(kit_copy, [q.id for q in unmarked[:-1]])  # one question is left on the workshop path: no problem yet
    path = kit_copy / "exercises" / LESSON / "ovningar.yaml"
    text = re.sub(
        rf"^(\s*)- id: {unmarked[-1].id}\s*$", r"\g<0>\n\1  further_study: true", path.read_text(), flags=re.M
    )
    path.write_text(text, encoding="utf-8")
    problems = loader.load_kit(kit_copy).problems
    assert any("alla frågor är märkta further_study" in p.message and p.field.endswith("questions") for p in problems)


def test_the_workshop_quiz_leaves_marked_questions_out_and_self_study_marks_them(kit_copy):
    kit = _mark(kit_copy, ["principer-quiz-1"])
    quiz = kit.exercises["principer-quiz"]
    workshop = exercise_widget(quiz, workshop=True)
    alone = exercise_widget(quiz)
    assert "principer-quiz-1" not in [q.id for q in workshop.questions]
    assert len(alone.questions) == len(workshop.questions) + sum(q.further_study for q in quiz.questions)
    assert alone.questions[0].id == "principer-quiz-1" and "fördjupning" in alone.progress.value
    assert "fördjupning" not in workshop.progress.value


def test_the_lesson_paths(kit_copy):
    kit = _mark(kit_copy, exercise_ids=["roller-matchning"], section_ids=["i-praktiken"])
    lesson = kit.lessons[LESSON]
    workshop = exercises_on_path(lesson, kit.exercises, workshop=True)
    alone = exercises_on_path(lesson, kit.exercises, workshop=False)
    assert "roller-matchning" in alone and "roller-matchning" not in workshop
    assert "principer-scenario" in alone and "principer-scenario" not in workshop  # its section is marked
    assert open_lesson(LESSON, workshop=True).exercise_ids() == workshop
    assert open_lesson(LESSON).exercise_ids() == alone
    assert "Fördjupning" in open_lesson(LESSON).section_markdown("i-praktiken")
    assert lesson.minutes == lesson.self_study_minutes - lesson.section("i-praktiken").minutes


def test_the_estimate_counts_the_workshop_path(kit_copy):
    kit = _mark(kit_copy, ["principer-quiz-1", "principer-quiz-2"])
    before = loader.load_kit(kit_copy)
    timing = kit.data["timing"]
    lesson = kit.lessons[LESSON]
    workshop = estimate(lesson, kit, timing, "standard", "tjansteperson")
    alone = estimate(lesson, kit, timing, "standard", "tjansteperson", workshop=False)
    assert workshop.exercise_minutes < alone.exercise_minutes
    assert alone.exercise_minutes == pytest.approx(
        estimate(before.lessons[LESSON], before, timing, "standard", "tjansteperson", workshop=False).exercise_minutes
    )


def test_the_dashboard_tallies_what_participants_see(kit_copy):
    kit = _mark(kit_copy, ["principer-quiz-1"], ["roller-matchning"])

    class Session:
        lesson, level = LESSON, "standard"

    items = summary._items(kit, Session())
    keys = {(it.exercise_id, it.item_id) for it in items}
    assert ("principer-quiz", "principer-quiz-1") not in keys and ("principer-quiz", "principer-quiz-2") in keys
    assert not any(it.exercise_id == "roller-matchning" for it in items)
