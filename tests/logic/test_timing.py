"""The time estimate: reading per level, exercises from their items, warnings never errors."""

from __future__ import annotations

import re

import pytest

from samverkan import cli
from samverkan.apps.lesson import open_lesson
from samverkan.content import loader
from samverkan.content.schema import (
    Category,
    Choice,
    FreeText,
    Lesson,
    Matching,
    MatchItem,
    Question,
    Quiz,
    Scenario,
    ScenarioChoice,
    Section,
    Step,
    Text,
)
from samverkan.logic import timing


def words(n: int, word: str = "ord") -> str:
    return " ".join([word] * n)


@pytest.fixture
def t() -> timing.Timing:
    """60 words a minute at standard and 30 at lättläst: one word is one or two seconds."""
    return timing.Timing(
        speeds={"standard": timing.Speed(60, "källa", ("x",)), "lattlast": timing.Speed(30, "antagande")},
        allowances={
            k: timing.Allowance(s, "antagande")
            for k, s in {"quiz_question": 20, "matching_item": 10, "scenario_step": 30, "free_text": 180}.items()
        },
    )


def test_reading_is_words_divided_by_the_level_speed(t):
    text = Text(words(120), words(60))
    assert t.read([text], "standard") == pytest.approx(120.0)  # 120 words at 60 a minute
    assert t.read([text], "lattlast") == pytest.approx(120.0)  # 60 words at 30 a minute
    # Citation markers and Markdown are not words (the same counting as LIX).
    assert t.read([Text("ett två [@kalla-1] **tre**")], "standard") == pytest.approx(3.0)
    assert t.read([None, Text("")], "standard") == 0.0


def test_quiz_reads_prompt_choices_right_feedback_and_explanation_plus_an_allowance(t):
    q = Question(
        "q1",
        "single_choice",
        Text(words(10)),
        (Choice(Text(words(5)), True, Text(words(7))), Choice(Text(words(5)), False, Text(words(100)))),
        explanation=Text(words(3)),
    )
    quiz = Quiz("quiz", Text(words(2)), (q, q))
    # title 2 + per question (10 + 5 + 5 + 7 + 3) words at one a second, plus 20 s per question.
    assert timing.exercise_seconds(quiz, t, "standard") == pytest.approx(2 + 2 * (30 + 20))


def test_quiz_counts_only_the_audience_s_questions(t):
    q_all = Question("a", "single_choice", Text(words(10)), (Choice(Text("ja"), True),))
    q_one = Question(
        "b", "single_choice", Text(words(10)), (Choice(Text("ja"), True),), audience=frozenset({"fortroendevald"})
    )
    quiz = Quiz("quiz", Text(""), (q_all, q_one))
    assert timing.exercise_seconds(quiz, t, "standard", "tjansteperson") == pytest.approx(11 + 20)
    assert timing.exercise_seconds(quiz, t, "standard", "fortroendevald") == pytest.approx(2 * (11 + 20))


def test_matching_reads_everything_plus_an_allowance_per_item(t):
    m = Matching(
        "m",
        Text(words(1)),
        Text(words(4)),
        (Category("a", Text("A")), Category("b", Text("B"))),
        tuple(MatchItem(f"i{i}", Text(words(6)), "a", Text(words(2))) for i in range(3)),
    )
    assert timing.exercise_seconds(m, t, "standard") == pytest.approx(1 + 4 + 2 + 3 * (6 + 2) + 3 * 10)


def test_scenario_takes_its_longest_path(t):
    steps = (
        Step(
            "s1",
            Text(words(10)),
            (
                ScenarioChoice(Text(words(2)), Text(words(3)), "end"),
                ScenarioChoice(Text(words(2)), Text(words(1)), "s2"),
            ),
        ),
        Step("s2", Text(words(10)), (ScenarioChoice(Text(words(2)), Text(words(1)), "end"),)),
        Step("end", outcome=Text(words(5)), explanation=Text(words(5)), rating="bra"),
    )
    sc = Scenario("sc", Text(""), "s1", steps)
    seconds, decisions = timing.scenario_longest_path(sc, t, "standard")
    # s1 (10 + 2 + 2 read, 30 s) -> s2 via consequence 1 (10 + 2 read, 30 s) -> consequence 1 -> end (10).
    assert decisions == 2
    assert seconds == pytest.approx((14 + 30) + 1 + (12 + 30) + 1 + 10)


def test_scenario_with_a_cycle_does_not_loop(t):
    steps = (
        Step("a", Text("x"), (ScenarioChoice(Text("y"), Text("z"), "b"),)),
        Step("b", Text("x"), (ScenarioChoice(Text("y"), Text("z"), "a"),)),
    )
    seconds, _ = timing.scenario_longest_path(Scenario("sc", Text(""), "a", steps), t, "standard")
    assert seconds < 1000


def test_free_text_is_reading_plus_writing(t):
    ft = FreeText("f", Text(words(2)), Text(words(8)), Text(words(10)))
    assert timing.exercise_seconds(ft, t, "lattlast") == pytest.approx(2 * 20 + 180)


def _lesson(minutes: int, body_words: int) -> Lesson:
    section = Section("avsnitt", Text("Rubrik"), minutes, Text(words(body_words)), exercises=("quiz",))
    return Lesson(
        "99-test",
        Text("Titel"),
        Text("Varför"),
        (),
        (),
        (section,),
        {"fortroendevald": Text("Fråga"), "tjansteperson": Text("Fråga")},
        2,
        (),
        (),
        (),
    )


def test_lesson_estimate_adds_reading_exercises_and_the_planned_discussion(t):
    kit = loader.Kit()
    kit.exercises["quiz"] = Quiz(
        "quiz", Text(""), (Question("q", "single_choice", Text(words(9)), (Choice(Text("ja"), True),)),)
    )
    est = timing.estimate(_lesson(3, 240), kit, t, "standard", "tjansteperson")
    assert est.budget == 5 and est.discussion == 2
    assert est.sections[0].reading == pytest.approx(241)  # title + body
    assert est.sections[0].exercises == pytest.approx(10 + 20)
    assert est.minutes == pytest.approx((est.frame_reading + 241 + 30) / 60 + 2)
    assert est.over and est.sections[0].over
    assert timing.warning(est).startswith("Varning: 99-test, standard: uppskattningen")
    short = timing.estimate(_lesson(30, 10), kit, t, "standard", "tjansteperson")
    assert not short.over and timing.warning(short) is None


def test_the_shipped_timing_file_states_each_speed_and_its_basis():
    kit = loader.load_kit()
    tm = kit.data["timing"]
    assert tm.speeds["standard"].basis == "källa" and tm.speeds["standard"].sources
    for _level, speed in tm.speeds.items():
        assert speed.basis in timing.BASES and speed.note
        assert all(s in kit.sources for s in speed.sources)
    assert set(tm.allowances) == set(timing.ALLOWANCES)


def test_a_timing_file_without_its_basis_is_a_problem_with_a_line(kit_copy):
    path = kit_copy / "data" / "tidsuppskattning.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("      basis: källa", "      basis: gissning", 1), encoding="utf-8"
    )
    kit = loader.load_kit(kit_copy)
    assert [p for p in kit.problems if p.file == "data/tidsuppskattning.yaml" and p.line and "basis" in p.field]


def _slow_kit(kit_copy):
    """The kit copy with reading so slow that every lesson is far over its time."""
    path = kit_copy / "data" / "tidsuppskattning.yaml"
    text = re.sub(r"words_per_minute: \d+", "words_per_minute: 20", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")


def test_over_budget_is_a_warning_and_check_still_passes(kit_copy, capsys):
    _slow_kit(kit_copy)
    assert cli.main(["check"]) == 0
    out = capsys.readouterr()
    assert "Allt innehåll är giltigt" in out.out
    assert re.search(
        r"Varning: 05-samverkansformer, lättläst: uppskattningen [\d,]+ min är mer än lektionens 45 min", out.out
    )
    assert "Varning" not in out.err
    assert not loader.load_kit(kit_copy).problems


def test_a_lesson_over_budget_still_opens(kit_copy):
    _slow_kit(kit_copy)
    kit = loader.load_kit(kit_copy)
    est = timing.lesson_estimates(kit.lessons["05-samverkansformer"], kit, kit.data["timing"])
    assert est["standard"].over and est["lattlast"].over
    view = open_lesson("05-samverkansformer", audience="fortroendevald", level="lattlast")
    assert "Lektionen tar ungefär" in view.intro_markdown()
    assert view.section_markdown(view.lesson.sections[0].id)


def test_check_shows_every_lesson_s_estimate_per_level(capsys):
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    assert "Uppskattad tid per lektion" in out
    for lid in loader.load_kit().lessons:
        assert re.search(rf"  {lid}, \d+ min enligt tidsplanen: standard [\d,]+ min .*; lättläst [\d,]+ min", out)


# -- a damaged or hostile timing file gives problems, never a traceback -----------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from samverkan.errors import Problem  # noqa: E402

TIMING_WORDS = [
    "timing",
    "reading",
    "exercises",
    "standard",
    "lattlast",
    "words_per_minute",
    "basis",
    "källa",
    "antagande",
    "note",
    "sources",
    "seconds",
    *timing.ALLOWANCES,
]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.sampled_from(TIMING_WORDS),
    st.text(max_size=20),
)
_docs = st.recursive(
    _scalars,
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.sampled_from(TIMING_WORDS) | st.text(max_size=6), c, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_docs)
def test_any_structure_as_a_timing_file_gives_problems_not_a_traceback(tmp_path_factory, doc):
    import yaml

    path = tmp_path_factory.mktemp("fuzz") / "tidsuppskattning.yaml"
    path.write_text(yaml.safe_dump({"schema_version": 1, "timing": doc}, allow_unicode=True), encoding="utf-8")
    result = loader.load_file(path, root=path.parent)
    assert all(isinstance(p, Problem) and p.message for p in result.problems)
    assert result.problems or result.data is not None
