"""Are answers graded right, and is a crafted answer refused with a message?"""

from __future__ import annotations

import pytest

from samverkan.content.schema import Category, Matching, MatchItem, Scenario, ScenarioChoice, Step, Text
from samverkan.errors import ParameterError
from samverkan.logic.grading import ScenarioRun, check_answer, grade_matching


def test_single_choice_right_and_wrong(make_quiz):
    """Is only the correct choice graded right, with that choice's feedback?"""
    q = make_quiz(correct=1).questions[0]
    right = check_answer(q, 1)
    wrong = check_answer(q, 2)
    assert right.correct and right.messages[0].standard == "Återkoppling 1"
    assert not wrong.correct and wrong.messages[0].standard == "Återkoppling 2"
    assert right.explanation.standard == "Förklaring."


def test_multiple_choice_needs_exactly_the_correct_set(make_quiz):
    """Is a multiple-choice answer right only when all and only the correct choices are chosen?"""
    q = make_quiz(correct=(0, 2), n=4).questions[0]
    assert check_answer(q, {0, 2}).correct
    partial = check_answer(q, [0])
    assert not partial.correct and partial.missed == 1
    too_many = check_answer(q, (0, 1, 2))
    assert not too_many.correct and too_many.missed == 0
    assert [m.standard for m in too_many.messages] == ["Återkoppling 0", "Återkoppling 1", "Återkoppling 2"]


@pytest.mark.parametrize("bad", [5, -1, True, "1", 1.0, None, [0, 1]])
def test_crafted_single_choice_values_are_refused(make_quiz, bad):
    """Is an index out of range or of the wrong type refused with a Swedish message?"""
    q = make_quiz(correct=0).questions[0]
    with pytest.raises(ParameterError) as info:
        check_answer(q, bad)
    assert any(word in str(info.value) for word in ("Ogiltigt", "Välj", "bara ett"))


def test_crafted_multiple_choice_values_are_refused(make_quiz):
    q = make_quiz(correct=(0, 1)).questions[0]
    with pytest.raises(ParameterError):
        check_answer(q, [0, 99])
    with pytest.raises(ParameterError):
        check_answer(q, [])


@pytest.fixture
def matching():
    return Matching(
        "roller",
        Text("Roller"),
        Text("Para ihop."),
        (Category("rost", Text("Röstbärare")), Category("skola", Text("Demokratiskola"))),
        (
            MatchItem("i1", Text("Remissvar"), "rost"),
            MatchItem("i2", Text("Protokoll"), "skola"),
            MatchItem("i3", Text("Debattartikel"), "rost"),
        ),
    )


def test_matching_score_counts_right_items(matching):
    """Does the score count each item placed in its right category?"""
    result = grade_matching(matching, {"i1": "rost", "i2": "rost", "i3": None})
    assert [r.correct for r in result.results] == [True, False, False]
    assert (result.score, result.total, result.answered) == (1, 3, 2)


@pytest.mark.parametrize("answers", [{"i9": "rost"}, {"i1": "okand"}, ["rost"]])
def test_matching_refuses_unknown_items_and_categories(matching, answers):
    with pytest.raises(ParameterError):
        grade_matching(matching, answers)


@pytest.fixture
def scenario():
    return Scenario(
        "sc",
        Text("Scenario"),
        "s1",
        (
            Step(
                "s1",
                situation=Text("Början"),
                choices=(
                    ScenarioChoice(Text("Bra väg"), Text("Bra följd"), "s2"),
                    ScenarioChoice(Text("Dålig väg"), Text("Dålig följd"), "svag"),
                ),
            ),
            Step("s2", situation=Text("Mitten"), choices=(ScenarioChoice(Text("Avsluta"), Text("Klart"), "bra"),)),
            Step("bra", outcome=Text("Bra slut"), explanation=Text("Därför"), rating="bra"),
            Step("svag", outcome=Text("Svagt slut"), explanation=Text("Därför inte"), rating="svag"),
        ),
    )


def test_scenario_run_follows_choices_to_an_ending(scenario):
    """Does a run follow each choice's next step and record the path?"""
    run = ScenarioRun(scenario)
    assert run.choose(0).standard == "Bra följd" and run.current == "s2"
    run.choose(0)
    assert run.finished and run.step.rating == "bra" and run.path == [("s1", 0), ("s2", 0)]
    with pytest.raises(ParameterError):
        run.choose(0)
    run.back()
    assert run.current == "s2" and not run.finished
    run.restart()
    assert run.current == "s1" and run.path == []


def test_scenario_refuses_a_crafted_choice(scenario):
    run = ScenarioRun(scenario)
    with pytest.raises(ParameterError):
        run.choose(7)
    assert run.current == "s1" and run.path == []
