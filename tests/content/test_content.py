"""Is the shipped content valid, traceable to sources, and easy to read at level lättläst?"""

from __future__ import annotations

import pytest

from samverkan.content import loader
from samverkan.logic.readability import LIX_LIMIT, lattlast_passages, lix, sentences, words


@pytest.fixture(scope="module")
def kit():
    return loader.load_kit()


def test_every_content_file_validates(kit):
    assert kit.problems == [], "\n".join(map(str, kit.problems))
    assert kit.lessons and kit.exercises and kit.sources


def test_every_cited_source_exists_and_every_registered_source_is_used(kit):
    """Does every lesson cite only registered sources, and is no registered source unused?"""
    cited = kit.citations
    unknown = set(cited) - set(kit.sources)
    unused = set(kit.sources) - set(cited)
    assert not unknown, f"citerade men oregistrerade källor: {sorted(unknown)}"
    assert not unused, f"registrerade källor som ingen lektion använder: {sorted(unused)}"


def test_each_lesson_has_the_full_frame(kit):
    for lesson in kit.lessons.values():
        kinds = {kit.exercises[e].kind for s in lesson.sections for e in s.exercises}
        n_exercises = sum(len(s.exercises) for s in lesson.sections)
        assert n_exercises >= 2 and "scenario" in kinds, lesson.id
        assert lesson.questions and lesson.objectives and lesson.key_points and lesson.reflection
        assert set(lesson.discussion) == {"fortroendevald", "tjansteperson"}
        assert 10 <= lesson.minutes <= 120


def test_lix_counts_words_sentences_and_long_words():
    """Is LIX computed as words/sentences + 100 × long words/words?"""
    text = "Föreningen bestämmer själv. Kommunen lyssnar."
    assert words(text) == ["Föreningen", "bestämmer", "själv", "Kommunen", "lyssnar"]
    assert sentences(text) == 2
    assert lix(text) == pytest.approx(5 / 2 + 100 * 4 / 5)
    assert sentences("- En punkt\n- En annan punkt") == 2


def test_lattlast_texts_have_lix_at_most_40(kit):
    """Is every lättläst passage (10 words or more) at LIX 40 or below?"""
    too_hard = []
    records = list(kit.lessons.values()) + list(kit.exercises.values())
    for record in records:
        for where, text, value in lattlast_passages(record):
            if value > LIX_LIMIT:
                too_hard.append((value, f"{record.id}: {where}", text))
    too_hard.sort(reverse=True)
    report = "\n\n".join(f"LIX {v:.0f}  {where}\n  {text[:300]}" for v, where, text in too_hard[:10])
    assert not too_hard, f"{len(too_hard)} lättlästa texter har LIX över {LIX_LIMIT}. Svårast:\n\n{report}"


def test_whole_lessons_are_easy_at_level_lattlast(kit):
    for lesson in kit.lessons.values():
        exercises = [kit.exercises[e] for s in lesson.sections for e in s.exercises]
        joined = "\n\n".join(t for rec in [lesson, *exercises] for _, t, _ in lattlast_passages(rec, 1))
        assert lix(joined) <= LIX_LIMIT, f"{lesson.id}: LIX {lix(joined):.1f}"
