"""``samverkan report`` builds from whatever a session left in the database.

A property test generates stored sessions (empty, participants without a table,
only free text, closed, many answers and changed answers, answers to an
exercise or a lesson that no longer exists, answers of the wrong shape) and
builds the report's parts from them with :class:`ReportData`, the same calls
``rapport.ipynb`` makes, then joins them with :func:`report_html`. The
papermill run itself is tested in test_workshop.py.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samverkan.content import loader
from samverkan.workshop.report import ReportData, _group_no, report_html
from samverkan.workshop.store import KINDS, SessionClosed, Store
from samverkan.workshop.summary import _items

from ..conftest import ROOT

KIT = loader.load_kit(ROOT)
LESSONS = sorted(KIT.lessons)
GONE_LESSON = "borttagen-lektion"
GONE_EXERCISE = "borttagen-ovning"
HOSTILE = "<script>window.__pwned=1</script>"


def _targets(lesson: str) -> list[tuple[str, str, str]]:
    """(exercise, item, kind) of every answerable item of the lesson, and one of a removed exercise."""
    items = _items(KIT, SimpleNamespace(lesson=lesson, level="standard"))
    kinds = {it.key: it.kind for it in items}
    return [(e, i, k) for (e, i), k in kinds.items()] + [(GONE_EXERCISE, GONE_EXERCISE, "single_choice")]


values = st.one_of(
    st.integers(-2, 8),
    st.lists(st.integers(-2, 8), max_size=5),
    st.none(),
    st.booleans(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
    st.sampled_from([HOSTILE, "Åtta år i föreningen", "=1+1", ""]),
    st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=12), st.integers()), max_size=4),
)


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
            ),
            max_size=40,
        )
    )
    return SimpleNamespace(
        lesson=lesson,
        level=draw(st.sampled_from(["standard", "lattlast"])),
        groups=groups,
        answers=answers,
        closed=draw(st.booleans()),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=sessions())
def test_the_report_builds_from_any_stored_session(case, monkeypatch_session):
    with tempfile.TemporaryDirectory(prefix="rapport-") as tmp:
        store = Store(Path(tmp) / "r.sqlite")
        try:
            s = store.create_session("Konferensen <b>", case.lesson, case.level)
            people = [store.join(s.code, g) for g in case.groups]
            for who, (exercise, item, kind), value, wrong_kind, correct in (
                (a[0], a[1], a[3], a[2], a[4]) for a in case.answers
            ):
                if not people:
                    break
                store.record(people[who % len(people)].token, exercise, item, wrong_kind or kind, value, correct)
            if case.closed:
                store.set_open(s.code, False)
                if people:
                    with pytest.raises(SessionClosed):
                        store.record(people[0].token, "x", "x", "free_text", "för sent")
            stored = store.answers(s.id)

            report = ReportData(store.url, s.code, kit=KIT)
            parts = [report.header(), report.overview(), report.discussion(), report.questions()]
            report.store.close()
        finally:
            store.close()

    html = report_html(SimpleNamespace(cells=[{"outputs": [{"data": {"text/html": p}}]} for p in parts]), "Rapport")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<h1>Rapport: Konferensen &lt;b&gt;</h1>" in html
    assert f"{len(case.groups)} deltagare" in html and f"{len(stored)} svar" in html
    assert ("Inget bord" in html) == (None in case.groups)
    tables = re.findall(r'<tr><th scope="row">(Bord \d+|Inget bord)</th>', parts[1])
    numbers = [_group_no(t) if t != "Inget bord" else 99 for t in tables]
    assert numbers == sorted(numbers) and len(tables) == len(set(case.groups))
    assert "<script" not in html
    if case.lesson == GONE_LESSON:
        assert GONE_LESSON in parts[0] and "Inga svar" not in parts[3]
    if case.closed and case.groups:
        assert not any(r["value"] == "för sent" for r in stored)


@pytest.fixture(scope="module")
def monkeypatch_session():
    """Keep the report's cells quiet: outside a notebook ``display`` would print every part."""
    mp = pytest.MonkeyPatch()
    mp.setattr(ReportData, "_show", lambda self, html: None)
    yield mp
    mp.undo()


def test_group_numbers_sort_tables_and_tolerate_no_table():
    assert [_group_no(g) for g in ("Bord 12", "Bord 3", None, "", "Bord", "Bord A")] == [12, 3, 0, 0, 0, 0]
