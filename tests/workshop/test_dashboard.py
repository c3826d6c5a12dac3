"""The facilitator's dashboard in plain Python (no kernel: ``refresh()`` is called by hand).

The overview's figures (joined against answered, first answers), one exercise shown at a time,
a scenario's endings, sessions from the form and from a plan, the details and conclusions,
escaped text, and charts whose labels are legible at the size the dashboard shows them.
"""

from __future__ import annotations

import re

import ipywidgets as widgets
import pytest

from samverkan.workshop.store import Store

LESSON = "03-principer"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "citat"'
QUIZ, MATCHING, SCENARIO, FREE = "principer-quiz", "roller-matchning", "principer-scenario", "principer-reflektion"
QUESTIONS = 5  # the quiz's questions on the workshop path (principer-quiz-6 is fördjupning)


@pytest.fixture(scope="module")
def kit():
    from samverkan.content import loader, paths

    return loader.load_kit(paths.kit_root())


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "dashboard.sqlite")
    yield s
    s.close()


def shown(widget: widgets.Widget) -> str:
    """Every HTML text and button label on the page as it is shown: hidden answers are not in it."""
    parts: list[str] = []

    def walk(w: widgets.Widget) -> None:
        if isinstance(w, widgets.HTML):
            parts.append(w.value)
        elif isinstance(w, (widgets.Button, widgets.ToggleButton)):
            parts.append(w.description)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return "\n".join(parts)


def walk_scenario(store, token, ex, choice: int, steps: int | None = None) -> str:
    """Answer the scenario from its start, taking choice ``choice`` (or the last) at each step; the step reached."""
    step, n = ex.step(ex.start), 0
    while not step.is_outcome and (steps is None or n < steps):
        c = min(choice, len(step.choices) - 1)
        store.record(token, ex.id, step.id, "scenario", c)
        step, n = ex.step(step.choices[c].next), n + 1
    return step.id


def seed_room(store, kit, session, n: int = 4) -> None:
    """``n`` participants answer every exercise of the lesson (the room of the issue: four people)."""
    quiz, matching, scenario = kit.exercises[QUIZ], kit.exercises[MATCHING], kit.exercises[SCENARIO]
    for k in range(n):
        p = store.join(session.code, f"Bord {k % 2 + 1}")
        value = {i.id: i.category for i in matching.items}
        store.record(p.token, matching.id, matching.id, "matching", value, True)
        walk_scenario(store, p.token, scenario, k)
        for q in quiz.questions:
            right = sorted(q.correct_indices)
            store.record(p.token, quiz.id, q.id, q.kind, right if q.kind == "multiple_choice" else right[0], True)
        store.record(p.token, FREE, FREE, "free_text", f"Svar från deltagare {k + 1}, med några meningar om rollerna.")


def test_the_overview_counts_joined_answered_and_first_answers(kit, store):
    from samverkan.workshop.dashboard import Dashboard

    s = store.create_session("Översikt", LESSON)
    q = kit.exercises[QUIZ].questions[0]
    right = sorted(q.correct_indices)[0]
    wrong = next(i for i in range(len(q.choices)) if i not in q.correct_indices)
    first, second, _silent = store.join(s.code), store.join(s.code), store.join(s.code)
    store.record(first.token, QUIZ, q.id, q.kind, wrong, False)
    store.record(first.token, QUIZ, q.id, q.kind, right, True)  # changed to the right answer: still wrong at first
    store.record(second.token, QUIZ, q.id, q.kind, right, True)
    d = Dashboard(store)
    assert d.session is not None and d.session.id == s.id
    stats = d.stats.value
    assert '<span class="sv-participants">3</span> har gått med' in stats
    assert '<span class="sv-answered">2</span> har svarat' in stats
    assert '<span class="sv-answers">2</span> svar' in stats
    assert '<span class="sv-revisions">1</span> ändrade svar' in stats
    # Before any detail: the overview, per exercise, of the three who joined.
    quiz_row = next(r for r in d.overview.value.split("<tr>") if "Quiz: principerna" in r)
    assert "2 av 3" in quiz_row and "1 av 2 svar (50 %)" in quiz_row
    assert 'class="sv-bar" aria-hidden="true"><span style="width:67%">' in quiz_row
    assert "rätt vid första försöket" in d.overview.value
    page = shown(d.widget)
    assert page.index("Översikt") < page.index("Svaren per övning") < page.index("Övning 3 av 4: Quiz")

    panel = d.panels[QUIZ]
    assert not panel.shown and not panel.body.children  # only the first exercise is shown at first
    panel.toggle.value = True
    assert panel.toggle.description == "Dölj svaren på övning 3"
    html = panel.body.children[0].value
    assert f"<h5>Fråga 1 av {QUESTIONS}</h5>" in html and "2 har svarat, 1 rätt vid första försöket (50 %)" in html
    assert d.refresh() is False  # nothing new: nothing redrawn

    # A new answer: the figures follow, the shown exercise stays shown.
    third = store.join(s.code)
    store.record(third.token, QUIZ, q.id, q.kind, right, True)
    assert d.refresh() is True
    assert panel.shown and "3 har svarat, 2 rätt vid första försöket (67 %)" in panel.body.children[0].value
    assert '<span class="sv-participants">4</span>' in d.stats.value


def test_only_changed_items_are_redrawn_and_hidden_ones_not_at_all(kit, store, monkeypatch):
    from samverkan.workshop import summary
    from samverkan.workshop.dashboard import Dashboard

    s = store.create_session("Ritas om", LESSON)
    seed_room(store, kit, s, n=2)
    drawn: list[str] = []
    real = summary.chart_png
    monkeypatch.setattr(summary, "chart_png", lambda it: drawn.append(it.item_id) or real(it))
    d = Dashboard(store)
    assert drawn == [MATCHING]  # the first exercise only; the hidden ones cost nothing
    d.panels[QUIZ].toggle.value = True
    assert len(drawn) == 1 + QUESTIONS
    drawn.clear()
    p = store.join(s.code)
    q = kit.exercises[QUIZ].questions[1]
    store.record(p.token, QUIZ, q.id, q.kind, 0, 0 in q.correct_indices)
    store.record(p.token, FREE, FREE, "free_text", "Nytt")
    assert d.refresh() is True
    assert drawn == [q.id]  # one question changed: one chart redrawn


def test_scenario_endings_and_distinct_step_headings(kit, store):
    from samverkan.workshop.dashboard import Dashboard

    s = store.create_session("Scenario", LESSON)
    ex = kit.exercises[SCENARIO]
    reached = []
    for choice in (0, 1, 1, 2):
        p = store.join(s.code)
        reached.append(walk_scenario(store, p.token, ex, choice))
    late = store.join(s.code)
    walk_scenario(store, late.token, ex, 0, steps=1)  # has not reached an ending
    d = Dashboard(store)
    panel = d.panels[SCENARIO]
    assert "5 av 5 har svarat · 4 klara" in panel.head.value
    panel.toggle.value = True
    html = "".join(w.value for w in panel.body.children)
    assert html.index("Hur scenariot slutade") < html.index("Steg 1 av 4")
    assert "5 har börjat scenariot, 4 har nått ett slut och 1 inte än" in html
    for step in ex.steps:
        if step.is_outcome:
            label = {"bra": "Bra utfall", "delvis": "Delvis bra utfall", "svag": "Svagt utfall"}[step.rating]
            row = f'<th scope="row">{label}</th><td>'
            assert row in html
            count = reached.count(step.id)
            assert re.search(rf"{re.escape(row)}[^<]*</td><td>{count}</td>", html), (step.id, count)
    headings = re.findall(r"<h5>(Steg \d av 4)</h5>", html)
    assert headings == ["Steg 1 av 4", "Steg 2 av 4", "Steg 3 av 4", "Steg 4 av 4"]


def test_a_lesson_with_four_participants_is_a_short_page(kit, store):
    from samverkan.workshop.dashboard import Dashboard

    s = store.create_session("Fyra deltagare", LESSON)
    seed_room(store, kit, s, n=4)
    d = Dashboard(store)
    collapsed = shown(d.widget)
    assert [e for e, p in d.panels.items() if p.body.children] == [MATCHING]
    assert collapsed.count("<img") == 1
    for panel in d.panels.values():
        panel.toggle.value = True
    everything = shown(d.widget)  # what the dashboard showed before: every question of the lesson
    assert everything.count("<img") == 1 + 4 + QUESTIONS  # matching, the scenario's steps, the quiz's questions
    assert len(collapsed) < len(everything) / 3
    for panel in d.panels.values():
        panel.toggle.value = False
    assert shown(d.widget).count("<img") == 0


def test_a_new_session_gets_mode_audience_and_where_and_when(store):
    from samverkan.workshop.dashboard import Dashboard

    d = Dashboard(store)
    assert "Inga pass än" in shown(d.widget)
    d.name.value = "Nämnden"
    d.lesson.value = LESSON
    d.mode.value = "ledd"
    d.audience.value = "tjansteperson"
    d.organisation.value = "Region Exempel"
    d.place.value = "Sal A"
    d.held_on.value = "2027-02-10"
    d.create_button.click()
    created = store.sessions()[0]
    assert "är skapat och öppet" in d.create_status.value and created.code in d.create_status.value
    details = store.details(created.id)
    assert (details.mode, details.audience, details.organisation, details.place, details.held_on) == (
        "ledd",
        "tjansteperson",
        "Region Exempel",
        "Sal A",
        "2027-02-10",
    )
    assert d.session is not None and d.session.id == created.id
    assert "<strong>Handledarstyrt</strong> (släppt just nu: ingen än) · målgrupp: tjänstepersoner" in d.join_info.value
    assert d.edit_place.value == "Sal A" and d.mode_button.description == "Byt till i egen takt"
    assert 'href="/handledare/storbild" target="_blank"' in d.presenter_link.value
    assert "Öppna storbildsvyn (för projektorn)" in d.presenter_link.value
    # The tjänsteperson path skips the quiz's question for förtroendevalda.
    d.panels["principer-quiz"].toggle.value = True
    quiz = shown(d.panels["principer-quiz"].widget)
    assert f"Fråga {QUESTIONS - 1} av {QUESTIONS - 1}" in quiz and f"av {QUESTIONS}<" not in quiz

    d.name.value = "Fel datum"
    d.held_on.value = "10/2"
    d.create_button.click()
    assert 'role="alert"' in d.create_status.value and "ÅÅÅÅ-MM-DD" in d.create_status.value
    assert len(store.sessions()) == 1


def test_the_plan_button_creates_the_plans_sessions(kit, store, tmp_path):
    from samverkan.workshop.dashboard import Dashboard

    d = Dashboard(store)
    labels = [label for label, _path in d.plan.options]
    assert "Samverkan med civilsamhället – utbildning för nämnden (namnd-halvdag.yaml)" in labels
    d.plan.value = next(path for _label, path in d.plan.options if path.endswith("namnd-halvdag.yaml"))
    d.plan_button.click()
    sessions = sorted(store.sessions(), key=lambda s: s.id)
    assert [s.lesson for s in sessions] == ["03-principer", "05-samverkansformer", "07-iop"]
    status = d.plan_status.value
    assert "3 pass skapades från planen" in status
    for s in sessions:
        assert f"<li>{s.code} – {s.name}</li>" in status
    assert d.session is not None and d.session.id == sessions[0].id
    assert "<strong>Handledarstyrt</strong>" in d.join_info.value and "förtroendevalda" in d.join_info.value
    assert "(valda för passet)" in d.info.value and "Quiz: principerna och rollerna" in d.info.value
    assert list(d.panels) == ["roller-matchning", "principer-scenario", "principer-quiz"]

    bad = tmp_path / "trasig.yaml"
    bad.write_text("schema_version: 1\nworkshop:\n  title: Trasig\n  agenda: nej\n", encoding="utf-8")
    d.plan.options = [("Trasig", str(bad))]
    d.plan_button.click()
    assert '<div role="alert"><p>Planen har fel, så inga pass skapades:</p>' in d.plan_status.value
    assert "trasig.yaml" in d.plan_status.value
    assert len(store.sessions()) == 3


def test_details_conclusions_and_mode_are_saved(store):
    from samverkan.workshop.dashboard import Dashboard

    s = store.create_session("Slutsatser", LESSON)
    d = Dashboard(store)
    d.edit_organisation.value = "  Kommunen  "
    d.edit_place.value = "Stadshuset"
    d.edit_held_on.value = "2027-03-01"
    d.details_button.click()
    assert "Organisation, plats och datum är sparade" in d.details_status.value
    details = store.details(s.id)
    assert (details.organisation, details.place, details.held_on) == ("Kommunen", "Stadshuset", "2027-03-01")
    assert d.edit_organisation.value == "Kommunen"
    d.edit_held_on.value = "första mars"
    d.details_button.click()
    assert 'role="alert"' in d.details_status.value and "ÅÅÅÅ-MM-DD" in d.details_status.value

    d.conclusions.value = "Vi ska bjuda in föreningarna tidigare.\nOch läsa överenskommelsen."
    d.conclusions_button.click()
    assert "Slutsatserna är sparade" in d.details_status.value
    assert store.details(s.id).conclusions == "Vi ska bjuda in föreningarna tidigare.\nOch läsa överenskommelsen."
    again = Dashboard(store)  # another visit finds them
    assert again.conclusions.value.startswith("Vi ska bjuda in")

    d.mode_button.click()
    assert store.details(s.id).mode == "ledd" and "är nu handledarstyrt" in d.status.value
    assert (
        d.mode_button.description == "Byt till i egen takt" and "<strong>Handledarstyrt</strong>" in d.join_info.value
    )
    store.set_room(s.code, mode="egen_takt")  # changed elsewhere (the presenter page): the dashboard follows
    assert d.refresh() is True and "<strong>I egen takt</strong>" in d.join_info.value


def test_hostile_text_stays_text(store):
    from samverkan.workshop.dashboard import Dashboard

    s = store.create_session(HOSTILE, LESSON, organisation="<b>Org</b>", place="<i>Sal</i>")
    p = store.join(s.code, "Bord 2")
    store.record(p.token, FREE, FREE, "free_text", HOSTILE)
    d = Dashboard(store)
    d.conclusions.value = HOSTILE
    d.conclusions_button.click()
    d.panels[FREE].toggle.value = True
    page = shown(d.widget)
    assert "<script" not in page and "<img src=x" not in page and "<b>Org" not in page
    assert page.count("&lt;script&gt;") >= 2  # the session's name and the free-text answer
    assert store.details(s.id).conclusions == HOSTILE and d.conclusions.value == HOSTILE  # a text box: text


def test_chart_labels_are_at_least_14_px_at_1280_px(kit, store, monkeypatch):
    """Every text on a chart is at least 14 px on a 1280 px wide screen.

    A text of ``s`` points on a figure drawn at ``dpi`` dots per inch is ``s * dpi / 72`` pixels in the PNG.
    The dashboard shows the PNG at its own pixel size (``width`` and ``height`` on the <img>; its
    ``max-width:100%`` only shrinks it where the column is narrower than the image). At 1280 px the
    dashboard's column is about 1 240 px wide (Voila's margins are about 20 px a side; the screenshots
    show the 820 px charts at 820 px), so an image up to that width is not scaled and its text is
    ``s * dpi / 72`` pixels on screen.
    """
    import matplotlib.text

    from samverkan.workshop import summary

    column_at_1280 = 1280 - 2 * 20
    captured = []
    real_finish = summary.finish_png

    def finish(fig, ax):
        captured.append(
            (
                fig.dpi,
                fig.get_size_inches()[0],
                [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()],
            )
        )
        return real_finish(fig, ax)

    monkeypatch.setattr(summary, "finish_png", finish)
    s = store.create_session("Diagram", LESSON)
    seed_room(store, kit, s, n=2)
    items = summary.summarise(kit, s, store.answers(s.id), store.details(s.id))
    quiz_item = next(it for it in items if it.exercise_id == QUIZ)
    matching_item = next(it for it in items if it.exercise_id == MATCHING)
    for it in (quiz_item, matching_item):
        captured.clear()
        html = summary.item_html(it, heading_level=5, heading="Fråga 1 av 6")
        (dpi, width_in, sizes) = captured[0]
        png = summary.chart_png(it)
        width, height = summary.png_size(png)
        assert width == round(width_in * dpi)  # saved at the figure's own dpi: not rescaled
        assert f'width="{width}" height="{height}" style="max-width:100%;height:auto"' in html
        assert width <= column_at_1280  # shown at its own size at 1280 px
        shown_scale = min(1.0, column_at_1280 / width)
        assert len(sizes) >= 4  # tick labels, bar labels, the axis label
        assert min(sizes) * dpi / 72 * shown_scale >= 14, (min(sizes), dpi)
        assert 'alt="Liggande stapeldiagram' in html and "<table>" in html  # the text alternative and table stay
