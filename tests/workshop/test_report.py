"""``samverkan report`` builds from whatever a session left in the database, and says what the data say.

A property test generates stored sessions on a real SQLite store (empty, participants without a
table, only free text, closed, many changed answers, answers to an exercise or a scenario step the
kit no longer has, hostile text in answers and in the session's details) and builds the report's
parts from them with :class:`ReportData`, the same calls ``rapport.ipynb`` makes, then joins them
with :func:`report_html`; the CSV export is built from the same session. Example tests check the
figures: first answers are what counts, the summary names the right numbers, the conclusions come
from the store or a file. The papermill run, the command line and the PDF are tested in
test_report_cli.py.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from samverkan.content import loader
from samverkan.errors import ParameterError
from samverkan.render.markdown import escape, plain
from samverkan.workshop.report import (
    ReportData,
    ReportOptions,
    _group_no,
    checked_date,
    paragraphs,
    read_conclusions,
    report_html,
    report_options,
    swedish_date,
)
from samverkan.workshop.store import KINDS, MAX_CONCLUSIONS_CHARS, SessionClosed, Store
from samverkan.workshop.summary import CSV_COLUMNS, _items, export_csv

from ..conftest import ROOT

KIT = loader.load_kit(ROOT)
LESSONS = sorted(KIT.lessons)
LESSON = "03-principer"
GONE_LESSON = "borttagen-lektion"
GONE_EXERCISE = "borttagen-ovning"
GONE_STEP = "borttaget-steg"
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
FORMULA = "=cmd|' /C calc'!A0"
HOSTILE = [SCRIPT, IMG, FORMULA, "+1", "@SUM(A1)", "-2"]


def _targets(lesson: str) -> list[tuple[str, str, str]]:
    """(exercise, item, kind) of every answerable item of the lesson, one of a removed exercise and
    a step no scenario of the lesson has (the trainer removed it after the session)."""
    items = _items(KIT, SimpleNamespace(lesson=lesson, level="standard"))
    out = [(it.exercise_id, it.item_id, it.kind) for it in items]
    scenarios = sorted({it.exercise_id for it in items if it.kind == "scenario"})
    out += [(s, GONE_STEP, "scenario") for s in scenarios]
    return out + [(GONE_EXERCISE, GONE_EXERCISE, "single_choice")]


values = st.one_of(
    st.integers(-2, 8),
    st.lists(st.integers(-2, 8), max_size=5),
    st.none(),
    st.booleans(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
    st.sampled_from([*HOSTILE, "Åtta år i föreningen", ""]),
    st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=12), st.integers()), max_size=4),
)
texts = st.one_of(st.just(""), st.sampled_from(HOSTILE), st.text(max_size=40))


@st.composite
def sessions(draw):
    lesson = draw(st.sampled_from(LESSONS + [GONE_LESSON]))
    targets = _targets(lesson)
    only_free_text = draw(st.booleans())
    if only_free_text:
        targets = [t for t in targets if t[2] == "free_text"] or targets[-1:]
    groups = draw(st.lists(st.one_of(st.none(), st.integers(1, 40).map(lambda n: f"Bord {n}")), max_size=6))
    answers = draw(
        st.lists(
            st.tuples(
                st.integers(0, 5),
                st.sampled_from(targets),
                st.one_of(st.none(), st.sampled_from(KINDS)),
                values,
                st.one_of(st.none(), st.booleans()),
                st.integers(1, 4),  # how often the answer is given (changed) in a row
            ),
            max_size=30,
        )
    )
    chosen = sorted({t[0] for t in targets if t[0] != GONE_EXERCISE})
    return SimpleNamespace(
        lesson=lesson,
        level=draw(st.sampled_from(["standard", "lattlast"])),
        groups=groups,
        answers=answers,
        closed=draw(st.booleans()),
        details={
            "organisation": draw(texts).strip()[:100],
            "place": draw(texts).strip()[:100],
            "held_on": draw(st.sampled_from(["", "2027-02-10", "2026-12-31"])),
            "conclusions": draw(st.one_of(texts, st.just(f"{SCRIPT}\n\n{IMG}\nrad två"))),
            "audience": draw(st.sampled_from([None, "fortroendevald", "tjansteperson"])),
            "exercises": draw(
                st.one_of(st.none(), st.lists(st.sampled_from(chosen + [GONE_EXERCISE]), max_size=3, unique=True))
            ),
        },
        options=draw(
            st.one_of(
                st.just(ReportOptions()),
                st.builds(ReportOptions, organisation=texts, place=texts, conclusions=texts),
            )
        ),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=sessions())
def test_the_report_builds_from_any_stored_session(case, quiet_report):
    with tempfile.TemporaryDirectory(prefix="rapport-") as tmp:
        store = Store(Path(tmp) / "r.sqlite")
        try:
            s = store.create_session("Konferensen <b>", case.lesson, case.level)
            store.set_details(s.code, **case.details)
            people = [store.join(s.code, g) for g in case.groups]
            for who, (exercise, item, kind), wrong_kind, value, correct, times in case.answers:
                if not people:
                    break
                for n in range(times):  # a changed answer: the same item again with another value
                    changed = value if n == 0 else [n, value]
                    store.record(people[who % len(people)].token, exercise, item, wrong_kind or kind, changed, correct)
            if case.closed:
                store.set_open(s.code, False)
                if people:
                    with pytest.raises(SessionClosed):
                        store.record(people[0].token, "x", "x", "free_text", "för sent")
            given_answers = store.answers(s.id, "all")
            stats = store.stats(s.id)
            text = export_csv(store, s, KIT)

            report = ReportData(store.url, s.code, kit=KIT, options=case.options)
            parts = [report.header(), report.overview(), report.discussion(), report.questions()]
            summary = report.summary_text()
            report.store.close()
        finally:
            store.close()

    event(f"changed answers: {bool(stats.revisions)}")
    event(f"answers to removed items: {bool(report.elsewhere)}")
    event(f"charts: {'base64' in parts[3]}")
    event(f"scenario started: {any(e.started for e in report.endings)}")
    html = report_html(SimpleNamespace(cells=[{"outputs": [{"data": {"text/html": p}}]} for p in parts]), "Rapport")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<h1>Rapport: Konferensen &lt;b&gt;</h1>" in html
    # Hostile text stays text: no script, and the only images are the embedded charts.
    assert "<script" not in html
    assert all(tag.startswith('<img src="data:image/png;base64,') for tag in re.findall(r"<img[^>]*>", html))
    # Joined and answered are separate figures; "svar" counts answers, one per participant and item.
    assert f"<li>{stats.participants} deltagare gick med i passet.</li>" in html
    assert f"<li>{stats.answered} av dem svarade på minst en fråga.</li>" in html
    assert f"<li>{stats.answers} svar sammanlagt" in html
    changed = {0: "Inga svar ändrades i passet.", 1: "I passet gjordes 1 ändrat svar."}.get(
        stats.revisions, f"I passet gjordes {stats.revisions} ändrade svar."
    )
    assert changed in html and stats.revisions == len(given_answers) - stats.answers
    assert ("Inget bord" in html) == (None in case.groups)
    tables = re.findall(r'<tr><th scope="row">(Bord \d+|Inget bord)</th>', parts[1])
    numbers = [_group_no(t) if t != "Inget bord" else 99 for t in tables]
    assert numbers == sorted(numbers) and len(tables) == len(set(case.groups))
    # The summary is there and plain text; the conclusions section always is, empty or not.
    assert 'class="sv-summary"' in parts[0] and all(f"<p>{escape(p)}</p>" in parts[0] for p in summary)
    conclusions = case.options.conclusions if case.options.conclusions is not None else case.details["conclusions"]
    assert '<h2 id="sv-slutsatser">Slutsatser</h2>' in parts[0]
    assert ("Inga slutsatser är skrivna" in parts[0]) == (not conclusions.strip())
    # No two items of an exercise share a heading (scenario steps once all had the scenario's title).
    for section in parts[3].split("<h3>")[1:]:
        headings = re.findall(r"<h4>(.*?)</h4>", section)
        assert len(headings) == len(set(headings)), headings
    if case.lesson == GONE_LESSON:
        assert GONE_LESSON in parts[0] and "finns inte längre i materialet" in parts[0]
    if case.closed and case.groups:
        assert not any(r["value"] == "för sent" for r in given_answers)

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == CSV_COLUMNS and len(rows) == 1 + len(given_answers)
    col = {name: i for i, name in enumerate(CSV_COLUMNS)}
    attempts = [int(r[col["försök"]]) for r in rows[1:]]
    assert sum(a == 1 for a in attempts) == stats.answers
    assert all(r[col["räknas"]] == "nej" for r in rows[1:] if r[col["försök"]] != "1")
    for r in rows[1:]:
        for name in ("pass", "fråga", "bord", "svar"):
            assert r[col[name]][:1] not in ("=", "+", "-", "@"), r


@pytest.fixture(scope="module")
def quiet_report():
    """Keep the report's cells quiet: outside a notebook ``display`` would print every part."""
    mp = pytest.MonkeyPatch()
    mp.setattr(ReportData, "_show", lambda self, html: None)
    yield mp
    mp.undo()


# -- a session with known answers ----------------------------------------------
QUIZ = "principer-quiz"
SCENARIO = "principer-scenario"


def _known_session(store: Store, **details):
    """Four joined (two at Bord 1, two without a table), three answered, two answers changed later.

    principer-quiz-1 (right: 0): P1 wrong then right, P2 right, P4 right → 2 of 3 right at the first attempt.
    principer-quiz-2 (right: 0): P1 right, P2 wrong → 1 of 2.
    The scenario: P1 s1→s2-dialog→slut-bra; P2 s1→s2-dialog→slut-detaljstyrning (svag), then changes
    to slut-bra (not counted); P4 s1→s2-media and stops.
    """
    s = store.create_session("Nämndens pass", LESSON, **details)
    p1, p2, p3, p4 = store.join(s.code, "Bord 1"), store.join(s.code, "Bord 1"), store.join(s.code), store.join(s.code)
    q1, q2 = (f"{QUIZ}-1", f"{QUIZ}-2")
    store.record(p1.token, QUIZ, q1, "single_choice", 1, False)
    store.record(p1.token, QUIZ, q1, "single_choice", 0, True)
    store.record(p2.token, QUIZ, q1, "single_choice", 0, True)
    store.record(p4.token, QUIZ, q1, "single_choice", 0, True)
    store.record(p1.token, QUIZ, q2, "single_choice", 0, True)
    store.record(p2.token, QUIZ, q2, "single_choice", 1, False)
    for p, last in ((p1, 0), (p2, 2)):
        store.record(p.token, SCENARIO, "s1", "scenario", 1)
        store.record(p.token, SCENARIO, "s2-dialog", "scenario", last)
    store.record(p2.token, SCENARIO, "s2-dialog", "scenario", 0)  # changed afterwards: not counted
    store.record(p4.token, SCENARIO, "s1", "scenario", 0)
    store.record(p4.token, "principer-reflektion", "principer-reflektion", "free_text", FORMULA)
    return s, (p1, p2, p3, p4)


def _report(store: Store, code: str, options: ReportOptions | None = None) -> ReportData:
    data = ReportData(store.url, code, kit=KIT, options=options or ReportOptions())
    data._show = lambda html: None
    return data


def _prompt(item_id: str) -> str:
    q = next(q for q in KIT.exercises[QUIZ].questions if q.id == item_id)
    return plain(q.prompt, "standard")


def test_a_changed_answer_counts_as_first_given_in_the_report_and_is_marked_in_the_csv(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    s, _people = _known_session(store)
    report = _report(store, s.code)
    q1 = next(it for it in report.items if it.key == (QUIZ, f"{QUIZ}-1"))
    assert (q1.answered, q1.right) == (3, 2)  # P1's later right answer is not counted
    overview = report.overview()
    assert "Frågor med rätt svar: 60 % rätt vid första försöket (3 av 5 svar)." in overview
    assert "ändringarna sparas och finns i CSV-exporten men räknas inte här. I passet gjordes 2 ändrade svar." in (
        overview
    )
    questions = report.questions()
    assert '<p class="sv-progress">3 har svarat, 2 rätt vid första försöket (67 %).</p>' in questions
    assert "helt rätt" not in questions
    ends = {e.exercise_id: e for e in report.endings}[SCENARIO]
    assert {x.step_id: x.count for x in ends.endings}["slut-detaljstyrning"] == 1  # P2's first path

    rows = list(csv.DictReader(io.StringIO(export_csv(store, s, KIT)), delimiter=";"))
    p1_q1 = [r for r in rows if r["deltagare"] == "1" and r["övning"] == QUIZ and r["fråga"] == _prompt(f"{QUIZ}-1")]
    assert [(r["försök"], r["räknas"], r["rätt"]) for r in p1_q1] == [("1", "ja", "nej"), ("2", "nej", "ja")]
    assert len(rows) == 13 and sum(r["räknas"] == "ja" for r in rows) == 11
    free = next(r for r in rows if r["typ"] == "fritext")
    assert free["svar"] == "'" + FORMULA and free["bord"] == "" and free["räknas"] == "ja"


def test_participants_without_a_table_are_counted_and_listed(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    s = store.create_session("Utan bord", LESSON)
    people = [store.join(s.code) for _ in range(3)]
    store.record(people[0].token, QUIZ, f"{QUIZ}-1", "single_choice", 0, True)
    report = _report(store, s.code)
    overview = report.overview()
    assert '<tr><th scope="row">Inget bord</th><td class="sv-num">3</td></tr>' in overview
    assert "<li>3 deltagare gick med i passet.</li><li>1 av dem svarade på minst en fråga.</li>" in overview
    assert report.summary_text()[1].startswith("3 deltagare gick med och 1 av dem svarade på minst en fråga")
    rows = list(csv.DictReader(io.StringIO(export_csv(store, s, KIT)), delimiter=";"))
    assert [(r["bord"], r["deltagare"]) for r in rows] == [("", "1")]


def test_the_summary_names_the_session_and_the_right_numbers(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    s, _ = _known_session(store, organisation="Umeå kommun", place="Stadshuset", held_on="2027-02-10")
    first, people, scenes = _report(store, s.code).summary_text()
    assert first == (
        f"Umeå kommun höll passet ”Nämndens pass” (kod {s.code}) den 10 februari 2027 i Stadshuset "
        "med lektionen ”Principerna och rollerna”."
    )
    assert people.startswith(
        "4 deltagare gick med och 3 av dem svarade på minst en fråga; sammanlagt 11 svar. "
        "Av svaren på frågor med rätt svar var 60 % rätt vid första försöket (3 av 5). Svårast var ”"
    )
    # The hardest first: quiz-2 (1 of 2), then quiz-1 (2 of 3).
    assert "(1 av 2 rätt vid första försöket) och ”" in people and people.endswith("(2 av 3 rätt vid första försöket).")
    assert people.index(_prompt(f"{QUIZ}-2")[:30]) < people.index(_prompt(f"{QUIZ}-1")[:30])
    title = plain(KIT.exercises[SCENARIO].title, "standard")
    assert scenes == f"I scenariot ”{title}” kom 2 av 3 deltagare fram till ett slut: 1 bra utfall och 1 svagt utfall."

    html = _report(store, s.code).header()
    assert "<dt>Organisation</dt><dd>Umeå kommun</dd>" in html and "<dd>10 februari 2027</dd>" in html

    # Overridden on the command line; and without place or date the summary says they are missing.
    bare = store.create_session("Utan uppgifter", LESSON, level="lattlast")
    first = _report(store, bare.code, ReportOptions(organisation="Region Norr")).summary_text()[0]
    assert first == (
        f"Region Norr höll passet ”Utan uppgifter” (kod {bare.code}) med lektionen ”Principerna och rollerna” "
        "(lättläst text). Datum och plats är inte angivna."
    )
    nobody = _report(store, bare.code).summary_text()
    assert nobody[1] == "Ingen deltagare gick med." and len(nobody) == 2


def test_scenario_endings_show_each_ending_its_rating_and_who_did_not_finish(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    s, _ = _known_session(store)
    html = _report(store, s.code).discussion()
    assert "<h2>Var scenarierna slutade</h2>" in html
    assert "3 deltagare gjorde minst ett val; 2 kom fram till ett slut och 1 avslutade inte." in html
    assert '<td class="sv-rating">Bra utfall</td><td class="sv-num">1</td>' in html
    assert '<td class="sv-rating">Delvis bra utfall</td><td class="sv-num">0</td>' in html
    assert '<tr><td>Kom inte fram till något slut</td><td>–</td><td class="sv-num">1</td></tr>' in html
    questions = _report(store, s.code).questions()
    steps = re.findall(r"<h4>(Steg \d av \d): ", questions)
    assert steps == ["Steg 1 av 4", "Steg 2 av 4", "Steg 3 av 4", "Steg 4 av 4"]
    assert "rätt vid första försöket" in questions


def test_a_session_for_one_audience_gets_its_questions_and_its_discussion_prompt(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    s = store.create_session("Tjänstepersoner", LESSON, audience="tjansteperson")
    report = _report(store, s.code)
    html = report.discussion()
    assert "<strong>För tjänstepersoner:</strong>" in html and "För förtroendevalda" not in html
    assert (QUIZ, f"{QUIZ}-3") not in {it.key for it in report.items}  # a question for förtroendevalda only
    assert "för tjänstepersoner." in report.summary_text()[0]
    assert "Frågor med rätt svar: inga svar." in report.overview() and "Inga svar ändrades i passet." in (
        report.overview()
    )


def test_conclusions_come_from_the_store_or_the_file_and_their_absence_shows(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    s = store.create_session("Slutsatser", LESSON)
    empty = _report(store, s.code).header()
    assert '<section class="sv-missing"' in empty and "Inga slutsatser är skrivna för det här passet." in empty

    store.set_details(s.code, conclusions=f"Första stycket.\nSamma stycke, ny rad.\n\n{SCRIPT}")
    stored = _report(store, s.code).header()
    assert "<p>Första stycket.<br>Samma stycke, ny rad.</p><p>&lt;script&gt;" in stored
    assert "<script" not in stored and "Inga slutsatser" not in stored

    file = tmp_path / "slutsatser.txt"
    file.write_text("\ufeffFrån filen: åtgärder i höst.\r\n\r\nAndra stycket.", encoding="utf-8")
    options = report_options(conclusions_file=file)
    assert options.conclusions == "Från filen: åtgärder i höst.\n\nAndra stycket."
    from_file = _report(store, s.code, options).header()
    assert "<p>Från filen: åtgärder i höst.</p><p>Andra stycket.</p>" in from_file and "Första stycket" not in from_file


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "finns inte"),
        ("dir", "är en mapp"),
        (b"\xff\xfe trasig", "är inte sparad som UTF-8"),
        ("   \n", "är tom"),
        ("x" * (MAX_CONCLUSIONS_CHARS + 1), f"högst {MAX_CONCLUSIONS_CHARS}"),
        ("x" * (4 * MAX_CONCLUSIONS_CHARS + 1), "för lång"),
    ],
)
def test_a_bad_conclusions_file_is_refused_in_swedish_naming_the_file(tmp_path, content, message):
    path = tmp_path / "mina slutsatser.txt"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        read_conclusions(path)
    assert message in str(err.value) and f"--slutsatser: filen {path}" in str(err.value)


def test_options_dates_and_texts_are_checked():
    assert checked_date("--datum", " 2027-02-10 ") == "2027-02-10" and checked_date("--datum", None) is None
    for bad in ("2027-13-01", "10/2/2027", "20270210", "2027-W06-3", "i morgon"):
        with pytest.raises(ParameterError, match="--datum: skriv datumet som ÅÅÅÅ-MM-DD"):
            checked_date("--datum", bad)
    with pytest.raises(ParameterError, match="--plats: högst 120 tecken"):
        report_options(place="x" * 121)
    assert report_options(organisation="  Region   Norr ").organisation == "Region Norr"
    assert ReportOptions.from_json(ReportOptions(place="Umeå").to_json()) == ReportOptions(place="Umeå")
    assert ReportOptions.from_json("inte json") == ReportOptions() == ReportOptions.from_json('["x"]')
    assert swedish_date("2027-02-10") == "10 februari 2027" and swedish_date("okänt") == "okänt"
    assert paragraphs("a\n\n\n b \nc") == "<p>a</p><p>b<br>c</p>"


def test_group_numbers_sort_tables_and_tolerate_no_table():
    assert [_group_no(g) for g in ("Bord 12", "Bord 3", None, "", "Bord", "Bord A")] == [12, 3, 0, 0, 0, 0]
