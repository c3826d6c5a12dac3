"""Personal links for the lesson reader: place and answers kept in the workshop store, never a name."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from samverkan.errors import StoreError
from samverkan.workshop import reading
from samverkan.workshop.store import MAX_READING_CHARS, Store, readings

LESSON = "03-principer"


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = Store(tmp_path / "samverkan.sqlite")
    monkeypatch.setenv("SAMVERKAN_DB", s.url)
    return s


def _quiz(reader):
    for i, p in enumerate(reader.pages):
        if p.section_id and "principer-quiz" in reader.view.lesson.section(p.section_id).exercises:
            reader.go(i)
            return next(w for w in reader.body.children if type(w).__name__ == "QuizWidget")
    raise AssertionError("no quiz page")


def test_a_personal_link_brings_back_the_page_the_version_and_the_answers(store):
    first = reading.reader_app(f"lesson={LESSON}")
    assert first.progress is None and first.link_button in first.link_box.children
    first.link_button.click()
    token = first.progress.token
    assert f"?lesson={LESSON}&amp;p={token}" in first.link_box.children[0].value
    quiz = _quiz(first)
    q = quiz.questions[0]
    quiz.choices.index = min(q.correct_indices)
    quiz.check_button.click()
    first.audience.value = "fortroendevald"
    page = first.index
    again = reading.reader_app(f"lesson={LESSON}&p={token}")
    assert again.index == page and again.view.audience == "fortroendevald" and again.progress.token == token
    restored = next(w for w in again.body.children if type(w).__name__ == "QuizWidget")
    assert q.id in restored.results and restored.results[q.id].correct


def test_what_is_stored_is_the_state_and_nothing_else(store):
    r = reading.reader_app(f"lesson={LESSON}")
    r.link_button.click()
    with store.engine.connect() as c:
        rows = c.execute(sa.select(readings)).mappings().all()
    assert len(rows) == 1 and set(rows[0]) == {"token", "lesson", "state", "updated_at"}
    assert store.reading(r.progress.token, LESSON).keys() == {"audience", "level", "position", "answers"}


def test_a_link_belongs_to_its_lesson(store):
    r = reading.reader_app(f"lesson={LESSON}")
    r.link_button.click()
    r.go(3)
    other = reading.reader_app(f"lesson=04-overenskommelsen&p={r.progress.token}")
    assert other.index == 0  # nothing saved for that lesson under this token yet


def test_a_malformed_or_oversized_link_is_refused_in_swedish(store):
    bad = reading.reader_app(f"lesson={LESSON}&p=<script>")
    assert "Länken är inte giltig" in bad.value and "<script>" not in bad.value
    with pytest.raises(StoreError, match="för långa"):
        store.save_reading("a" * 24, LESSON, {"answers": {"x": {"y": ["z" * MAX_READING_CHARS, None]}}})
    with pytest.raises(StoreError):
        store.save_reading("a" * 24, "../../etc", {})


def test_a_damaged_stored_state_is_ignored_not_a_crash(store):
    token = "b" * 24
    store.save_reading(token, LESSON, {"audience": "x", "level": 7, "position": "far", "answers": {"q": "not a dict"}})
    r = reading.reader_app(f"lesson={LESSON}&p={token}")
    assert r.index == 0 and r.view.audience == "tjansteperson" and r.view.level == "standard"
    with store.engine.begin() as c:
        c.execute(sa.update(readings).values(state="{not json"))
    r = reading.reader_app(f"lesson={LESSON}&p={token}")
    assert r.index == 0


def test_without_a_database_the_reader_offers_no_link(monkeypatch):
    monkeypatch.delenv("SAMVERKAN_DB", raising=False)
    r = reading.reader_app(f"lesson={LESSON}")
    assert r.links is None and r.link_box.children == ()


class _Manager:
    """Just what KernelBudget reads of a kernel manager: the live kernel ids."""

    def __init__(self):
        self.ids: list[str] = []

    def list_kernel_ids(self):
        return list(self.ids)

    def __contains__(self, kernel_id):
        return kernel_id in self.ids


def test_readers_have_a_share_of_their_own():
    """Does --readers set the reader pages' share, apart from the anonymous lesson pages' and the room's?"""
    from samverkan.workshop.guard import KernelBudget, limits_for

    assert limits_for(30, 5).reader_kernels == 8
    limits = limits_for(30, 5, readers=200)
    assert limits.reader_kernels == 200 and limits.other_kernels == 8
    assert limits.total_kernels == limits.participant_kernels + 8 + 4 + 200
    km = _Manager()
    budget = KernelBudget(km, limits_for(0, 0, readers=3), "deltagare.ipynb")
    for n in range(3):
        assert budget.may_start("reader")
        km.ids.append(f"k{n}")
        budget.handed(f"k{n}", "reader", None)
    assert not budget.may_start("reader") and budget.may_start("other")


def test_serve_refuses_an_impossible_number_of_readers():
    from samverkan.errors import ParameterError
    from samverkan.workshop.server import serve

    with pytest.raises(ParameterError, match="--readers ska vara mellan 0 och 400"):
        serve(readers=401)


def test_personal_links_on_postgresql(pg_url):
    """The readings table on PostgreSQL: save, replace and read back, per token and lesson."""
    store = Store(pg_url)
    token = "c" * 24
    assert store.reading(token, LESSON) is None
    store.save_reading(token, LESSON, {"position": 2, "answers": {}})
    store.save_reading(token, LESSON, {"position": 5, "answers": {"principer-quiz": {"q": [1, True]}}})
    store.save_reading(token, "04-overenskommelsen", {"position": 1})
    assert store.reading(token, LESSON) == {"position": 5, "answers": {"principer-quiz": {"q": [1, True]}}}
    assert store.reading(token, "04-overenskommelsen") == {"position": 1}
    store.close()


def test_a_server_for_self_study_only_starts_and_serves_a_reader(tmp_path):
    """`samverkan serve --room-size 0 --readers 4` (no workshop room) starts and serves the reader page."""
    import re
    import urllib.request

    from ..servers import workshop_server

    with workshop_server(tmp_path / "s.sqlite", room_size=0, readers=4) as (base, _key):
        html = urllib.request.urlopen(f"{base}/voila/render/lasare.ipynb?lesson={LESSON}", timeout=120).read().decode()
        assert re.search(r'"kernelId": "[0-9a-f-]{36}"', html) and '<html lang="sv"' in html
