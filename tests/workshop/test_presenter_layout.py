"""The presenter page in chromium, with every exercise of the kit: readable and whole on a projector.

* At 1280×720 (a projector) every moment of every exercise on the workshop path, before and after
  "Visa resultat", fits the screen with its controls (nothing to scroll), sticks out nowhere, and its
  answer labels are at least 24 px.
* At 320, 390, 768 and 1366 px the longest page of each kind (the join screen, a quiz question, a
  matching result, a scenario step, the endings, free text) reflows: no sideways scroll, no element
  past the edge, no two answer labels overlapping (WCAG 2.1 AA 1.4.10).

The pages are rendered by :func:`samverkan.workshop.presenter.presenter_page` from a real store and
loaded with ``page.set_content`` (the server's own tests drive it over HTTP).
"""

from __future__ import annotations

import pytest

from samverkan.content import loader
from samverkan.workshop import presenter
from samverkan.workshop.store import Store

pytestmark = pytest.mark.notebooks
KIT = loader.load_kit()
PUBLIC = "http://192.168.100.200:8866/"
NAME = "Regionkonferensen om samverkan med civilsamhället 2027 – pass 2 efter lunch"  # a long name

MEASURE = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > w + 1)
    .map(e => e.tagName + '.' + e.className);
  const labels = [...document.querySelectorAll('.sv-options li > span:nth-child(2)')].map(e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, parseFloat(getComputedStyle(e).fontSize)];
  });
  const controls = document.querySelector('.sv-controls').getBoundingClientRect().bottom;
  return {scroll: document.documentElement.scrollWidth, wide, labels, controls};
}"""


def moments(store: Store):
    """(lesson, exercise, step, revealed, html) for every moment of every session of the kit."""
    for lesson_id in sorted(KIT.lessons):
        s = store.create_session(NAME, lesson_id, mode="ledd")
        yield lesson_id, "", 0, False, presenter.presenter_page("/", store, KIT, s, PUBLIC, True)
        for exercise_id, steps in presenter.step_counts(KIT, s, store.details(s.id)):
            store.set_room(s.code, current=exercise_id)
            for step in range(steps):
                if step:
                    store.set_room(s.code, step=step)
                for revealed in (False, True):
                    store.set_room(s.code, revealed=revealed)
                    html = presenter.presenter_page("/", store, KIT, s, PUBLIC, False)
                    yield lesson_id, exercise_id, step, revealed, html


def overlapping(labels: list[list[float]]) -> list[tuple[int, int]]:
    pairs = []
    for i, a in enumerate(labels):
        for j, b in enumerate(labels[i + 1 :], start=i + 1):
            if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1:
                pairs.append((i, j))
    return pairs


def test_every_moment_fits_a_projector_and_the_longest_reflow_on_phones(tmp_path, browser):
    store = Store(tmp_path / "storbild.sqlite")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    longest: dict[str, tuple[int, str, str]] = {}
    count = 0
    for lesson_id, exercise_id, step, revealed, html in moments(store):
        page.set_content(html)
        m = page.evaluate(MEASURE)
        where = (lesson_id, exercise_id, step, revealed)
        assert m["scroll"] <= 1280 and not m["wide"], (where, m["wide"][:5])
        assert m["controls"] <= 720, (where, "the stage and its controls do not fit 1280×720", m["controls"])
        assert all(size >= 24 for *_box, size in m["labels"]), (where, m["labels"])
        assert not overlapping(m["labels"]), where
        kind = "anslutning" if not exercise_id else KIT.exercises[exercise_id].kind + ("-resultat" if revealed else "")
        if exercise_id and KIT.exercises[exercise_id].kind == "scenario" and "Så slutade" in html:
            kind = "slut"
        if len(html) > longest.get(kind, (0, "", ""))[0]:
            longest[kind] = (len(html), html, str(where))
        count += 1
    assert count > 100 and {"anslutning", "quiz", "quiz-resultat", "matching-resultat", "slut"} <= set(longest)
    for width, height in ((320, 700), (390, 800), (768, 1024), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        for kind, (_n, html, where) in sorted(longest.items()):
            page.set_content(html)
            m = page.evaluate(MEASURE)
            assert m["scroll"] <= width and not m["wide"], (width, kind, where, m["wide"][:5])
            assert not overlapping(m["labels"]), (width, kind, where)
            page.evaluate("() => { document.querySelector('.sv-controls details').open = true; }")  # Fler val
            assert page.evaluate(MEASURE)["scroll"] <= width, (width, kind, "Fler val")
    store.close()
