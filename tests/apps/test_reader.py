"""The lesson reader: pages, navigation, audience and level switched while reading, answers kept, the summary."""

from __future__ import annotations

import datetime as dt

from samverkan.apps.reader import LessonReader, reader_app
from samverkan.content import loader

LESSON = "03-principer"


def _quiz_page(reader: LessonReader) -> int:
    return next(
        i
        for i, p in enumerate(reader.pages)
        if p.section_id and "principer-quiz" in reader.view.lesson.section(p.section_id).exercises
    )


def test_the_pages_are_the_opening_each_section_the_discussion_and_the_end():
    """Does the reader have one page per section between the opening and the end, in lesson order?"""
    reader = LessonReader(LESSON)
    lesson = loader.load_kit().lessons[LESSON]
    assert [p.section_id for p in reader.pages[1:-2]] == [s.id for s in lesson.sections]
    assert [p.kind for p in (reader.pages[0], reader.pages[-2], reader.pages[-1])] == ["intro", "discussion", "end"]
    assert "Varför det här är viktigt för dig" in reader.body.children[0].value
    assert reader.previous_button.disabled and not reader.next_button.disabled
    assert "Del 1 av" in reader.position.value


def test_buttons_and_the_section_list_move_between_pages():
    reader = LessonReader(LESSON)
    reader.next_button.click()
    assert reader.index == 1 and reader.sections.value == 1
    title = reader.view.lesson.sections[0].title.standard
    assert title in reader.body.children[0].value
    reader.sections.value = len(reader.pages) - 1
    assert reader.next_button.disabled and "Det viktigaste" in reader.body.children[0].value
    reader.previous_button.click()
    assert reader.index == len(reader.pages) - 2 and "Diskutera" in reader.body.children[0].value


def test_a_section_shows_its_exercises_in_place():
    reader = LessonReader(LESSON)
    reader.go(_quiz_page(reader))
    kinds = [type(w).__name__ for w in reader.body.children]
    assert "QuizWidget" in kinds


def test_switching_level_and_audience_keeps_the_page_and_the_answers():
    """Answer a quiz question, switch to lättläst: same page, lättläst text, and the answer is still there."""
    reader = LessonReader(LESSON)
    page = _quiz_page(reader)
    reader.go(page)
    quiz = next(w for w in reader.body.children if type(w).__name__ == "QuizWidget")
    q = quiz.questions[0]
    quiz.choices.index = min(q.correct_indices)
    quiz.check_button.click()
    assert reader.answers.given["principer-quiz"][q.id][1] is True
    reader.level.value = "lattlast"
    assert reader.index == page and reader.view.level == "lattlast"
    again = next(w for w in reader.body.children if type(w).__name__ == "QuizWidget")
    assert again is not quiz and again.level == "lattlast"
    assert q.id in again.results and again.results[q.id].correct
    reader.audience.value = "fortroendevald"
    assert reader.view.audience == "fortroendevald" and reader.index == page
    reader.go(0)
    assert "Version för förtroendevalda, lättläst text" in reader.body.children[0].value


def test_the_end_summarises_the_answers_and_can_be_saved_as_a_page():
    reader = LessonReader(LESSON)
    reader.go(_quiz_page(reader))
    quiz = next(w for w in reader.body.children if type(w).__name__ == "QuizWidget")
    quiz.choices.index = min(quiz.questions[0].correct_indices)
    quiz.check_button.click()
    reader.go(len(reader.pages) - 1)
    summary = reader.body.children[-1]
    assert "1 av 1 rätt" in summary.children[0].value
    assert 'download="sammanfattning-03-principer.html"' in summary.children[1].value
    doc = reader.summary_document(today=dt.date(2026, 12, 6))
    assert doc.startswith("<!doctype html>") and "2026-12-06" in doc and "Principerna och rollerna" in doc
    assert "1 av 1 rätt" in doc and "Källor" in doc and "http" not in doc.split("<style>")[0]


def test_further_study_is_in_the_reader_and_marked(kit_copy):
    import re

    path = kit_copy / "exercises" / LESSON / "lektion.yaml"
    text = re.sub(
        r"^(\s*)- id: rollerna\s*$", r"\g<0>\n\1  further_study: true", path.read_text(encoding="utf-8"), flags=re.M
    )
    path.write_text(text, encoding="utf-8")
    reader = LessonReader(LESSON)
    label = next(p.label for p in reader.pages if p.section_id == "rollerna")
    assert "fördjupning" in label
    assert "(fördjupning)" in reader.body.children[0].value  # the time plan on the opening page


def test_the_app_lists_the_lessons_without_a_valid_lesson_and_escapes_the_address():
    chooser = reader_app("lesson=<script>alert(1)</script>")
    assert "<script>alert" not in chooser.value and "&lt;script&gt;" in chooser.value
    assert chooser.value.count('href="?lesson=') == len(loader.load_kit().lessons)
    reader = reader_app("lesson=03-principer&audience=fortroendevald&level=lattlast")
    assert isinstance(reader, LessonReader) and reader.view.audience == "fortroendevald"
    assert reader.view.level == "lattlast"
    odd = reader_app("lesson=03-principer&audience=x&level=y")
    assert (odd.view.audience, odd.view.level) == ("tjansteperson", "standard")
