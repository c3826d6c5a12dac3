"""Do the widgets give the right feedback when clicked headlessly, and never a traceback?"""

from __future__ import annotations

import pytest

from samverkan.content import loader
from samverkan.content.schema import FreeText, Text
from samverkan.errors import ParameterError
from samverkan.widgets import (
    AnswerEvent,
    FreeTextWidget,
    MatchingWidget,
    QuizWidget,
    ScenarioWidget,
    exercise_widget,
)


def test_correct_choice_shows_its_feedback(make_quiz):
    """Does choosing the correct answer show that answer's feedback and a word, not only colour?"""
    quiz = make_quiz(correct=1)
    w = QuizWidget(quiz)
    w.choices.index = 1
    w.check_button.click()
    assert "Återkoppling 1" in w.feedback.value
    assert "Rätt!" in w.feedback.value
    assert "Rätt svar: 1 av 1" in w.score.value


def test_wrong_choice_says_so(make_quiz):
    w = QuizWidget(make_quiz(correct=1))
    w.choices.index = 0
    w.check_button.click()
    assert "Inte rätt." in w.feedback.value and "Återkoppling 0" in w.feedback.value
    assert "Rätt svar: 0 av 1 (besvarade: 1)" in w.score.value


def test_lattlast_level_shows_easy_feedback(make_quiz):
    """Does level='lattlast' switch the feedback to its easy-to-read variant?"""
    w = QuizWidget(make_quiz(correct=0), level="lattlast")
    w.choices.index = 0
    w.check_button.click()
    assert "Lätt återkoppling 0" in w.feedback.value


def test_checking_without_a_choice_gives_a_message_not_an_error(make_quiz):
    w = QuizWidget(make_quiz())
    w.check_button.click()
    assert "Välj ett svar" in w.status.value and w.feedback.value == ""


def test_multiple_choice_partly_right(make_quiz):
    w = QuizWidget(make_quiz(correct=(0, 2), n=3))
    w.choices.value = (0,)
    assert w.choices.checkboxes[0].value and not w.choices.checkboxes[2].value
    w.check_button.click()
    assert "Delvis rätt." in w.feedback.value and "missat 1" in w.feedback.value
    w.choices.checkboxes[2].value = True
    w.check_button.click()
    assert "Rätt!" in w.feedback.value


def test_on_answer_receives_events_and_host_failures_are_contained(make_quiz):
    """Does the host get each answer, and does a failing host not break the quiz?"""
    events: list[AnswerEvent] = []
    w = QuizWidget(make_quiz(correct=2), on_answer=events.append)
    w.choices.index = 2
    w.check_button.click()
    assert events == [AnswerEvent("quiz-1", "fraga-1", "single_choice", 2, True)]

    def broken(_event):
        raise RuntimeError("databasen är borta")

    w2 = QuizWidget(make_quiz(correct=2), on_answer=broken)
    w2.choices.index = 2
    w2.check_button.click()
    assert "Rätt!" in w2.feedback.value
    assert "kunde inte sparas" in w2.status.value and "databasen" not in w2.status.value


def test_unexpected_error_in_callback_becomes_swedish_message(make_quiz, monkeypatch):
    """Does an unexpected exception become a friendly message instead of a traceback?"""
    w = QuizWidget(make_quiz())
    monkeypatch.setattr("samverkan.widgets.quiz.check_answer", lambda *a: 1 / 0)
    w.choices.index = 0
    w.check_button.click()
    assert "Något gick fel" in w.status.value and "ZeroDivision" not in w.status.value


def test_wrong_parameters_are_refused(make_quiz):
    with pytest.raises(ParameterError):
        QuizWidget(make_quiz(), level="svår")
    with pytest.raises(ParameterError):
        QuizWidget(make_quiz(), audience="politiker")


@pytest.fixture(scope="module")
def kit():
    return loader.load_kit()


def test_shipped_quiz_navigation_and_audience_filter(kit):
    """Does the lesson quiz move between questions and leave out other audiences' questions?"""
    quiz = kit.exercises["principer-quiz"]
    for audience in ("fortroendevald", "tjansteperson"):
        w = QuizWidget(quiz, audience=audience)
        assert len(w.questions) >= 3
        assert all(audience in q.audience for q in w.questions)
        assert w.prev_button.disabled and not w.next_button.disabled
        w.next_button.click()
        assert w.position == 1 and f"Fråga 2 av {len(w.questions)}" in w.progress.value
        w.prev_button.click()
        assert w.position == 0


def test_shipped_matching_all_right(kit):
    """Does placing every item in its category give full score?"""
    ex = kit.exercises["roller-matchning"]
    w = MatchingWidget(ex)
    for item, dd in zip(ex.items, w.dropdowns):
        dd.value = item.category
    w.check_button.click()
    assert f"Rätt: {len(ex.items)} av {len(ex.items)}" in w.score.value
    assert all("Rätt!" in fb.value for fb in w.item_feedback)
    w.dropdowns[0].value = next(c.id for c in ex.categories if c.id != ex.items[0].category)
    w.check_button.click()
    assert "Inte rätt." in w.item_feedback[0].value and "Rätt svar:" in w.item_feedback[0].value
    w.reset_button.click()
    assert all(dd.value is None for dd in w.dropdowns) and w.score.value == ""


def test_shipped_scenario_can_be_played_to_every_ending(kit):
    """Can every ending of the shipped scenario be reached by clicking?"""
    sc = kit.exercises["principer-scenario"]
    endings = {s.id for s in sc.steps if s.is_outcome}
    reached = set()

    def play(prefix):
        w = ScenarioWidget(sc)
        for i in prefix:
            w.choices.index = i
            w.choose_button.click()
            w.continue_button.click()
        return w

    frontier = [()]
    while frontier:
        prefix = frontier.pop()
        w = play(prefix)
        if w.run.finished:
            reached.add(w.run.current)
            assert "Dina val:" in w.outcome.value
            continue
        frontier.extend(prefix + (i,) for i in range(len(w.run.step.choices)))
    assert reached == endings


def test_scenario_choose_without_selection_and_back(kit):
    sc = kit.exercises["principer-scenario"]
    w = ScenarioWidget(sc)
    w.choose_button.click()
    assert "Välj ett alternativ" in w.status.value and w.run.path == []
    w.choices.index = 0
    w.choose_button.click()
    assert w.consequence.value and len(w.run.path) == 1
    w.back_button.click()
    assert w.run.current == sc.start and w.run.path == []


def test_free_text_limits_length_and_shows_guidance():
    ex = FreeText("fritext", Text("Reflektion"), Text("Vad tar du med dig?"), Text("Tänk på dialog."), max_length=30)
    events = []
    w = FreeTextWidget(ex, on_answer=events.append)
    w.submit_button.click()
    assert "Skriv något" in w.status.value
    w.answer.value = "x" * 35
    assert "för långt" in w.counter.value
    w.submit_button.click()
    assert "för långt" in w.status.value and events == []
    w.answer.value = "<script>alert(1)</script>"
    w.submit_button.click()
    assert events[0].value == "<script>alert(1)</script>"
    assert "Tänk på dialog." in w.guidance.value


def test_content_html_is_escaped(make_quiz):
    """Is HTML in content shown as text, not run as markup?"""
    ex = FreeText(
        "x",
        Text("<img src=x onerror=alert(1)>"),
        Text("<script>alert(1)</script>\n\nText med **fet** <b onclick=x>stil</b>"),
    )
    w = exercise_widget(ex)
    assert "<script>" not in w.prompt.value and "&lt;script&gt;" in w.prompt.value
    assert "<strong>fet</strong>" in w.prompt.value and "<b " not in w.prompt.value
    assert "<img" not in w.title.value


HOSTILE = "<img src=x onerror=alert(1)>"


def test_markup_in_a_matching_statement_or_label_is_shown_as_text(kit):
    """Is a matching statement or category label with HTML in it shown as text, in the list and in the feedback?"""
    import dataclasses

    ex = kit.exercises["roller-matchning"]
    items = (dataclasses.replace(ex.items[0], text=Text(HOSTILE + " påstående")), *ex.items[1:])
    cats = tuple(
        dataclasses.replace(c, label=Text(HOSTILE + " kategori")) if c.id == ex.items[0].category else c
        for c in ex.categories
    )
    w = MatchingWidget(dataclasses.replace(ex, items=items, categories=cats))
    shown = " ".join(row.children[0].value for row in w.items_box.children)
    assert "&lt;img src=x onerror=alert(1)&gt; påstående" in shown and "<img" not in shown
    w.dropdowns[0].value = next(c.id for c in ex.categories if c.id != ex.items[0].category)
    w.check_button.click()
    assert "&lt;img src=x onerror=alert(1)&gt; kategori" in w.item_feedback[0].value
    assert "<img" not in w.item_feedback[0].value


def test_markup_in_a_scenario_choice_is_shown_as_text_in_the_path(kit):
    """Is a scenario choice with HTML in it shown as text in the 'Dina val' summary?"""
    import dataclasses

    sc = kit.exercises["principer-scenario"]
    start = sc.step(sc.start)
    hostile = dataclasses.replace(start.choices[0], text=Text(HOSTILE))
    steps = tuple(
        dataclasses.replace(s, choices=(hostile, *s.choices[1:])) if s.id == sc.start else s for s in sc.steps
    )
    w = ScenarioWidget(dataclasses.replace(sc, steps=steps))
    w.choices.index = 0
    w.choose_button.click()
    summary = w._path_summary()
    assert "&lt;img src=x onerror=alert(1)&gt;" in summary and "<img" not in summary


def test_the_widgets_own_stylesheet_stays_html(make_quiz):
    """Is the kit's own <style> in an exercise title kept as markup (HTML joined to HTML is not escaped)?"""
    w = exercise_widget(make_quiz())
    assert "<style>" in w.title.value and "&lt;style&gt;" not in w.title.value
    assert "<h3>Testquiz</h3>" in w.title.value
