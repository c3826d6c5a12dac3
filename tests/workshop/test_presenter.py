"""The presenter page and the led mode: the store's room state, the stage, the controls, and a real room.

The last test is the issue's scenario in Debian's chromium on a real server: a facilitator opens the
join screen, four participants (two at 390 px) join through the QR code's link, the facilitator
releases the first exercise, every page follows, they answer (one wrong, then changed to right), "Visa
resultat" shows the tally with the first answers, and the report builds.
"""

from __future__ import annotations

import re
import time

import pytest

from samverkan.content import loader
from samverkan.render.markdown import plain
from samverkan.workshop import presenter
from samverkan.workshop.participant import ParticipantView
from samverkan.workshop.room import Broadcaster, Follower
from samverkan.workshop.store import Store, StoreError

KIT = loader.load_kit()
LESSON = "03-principer"
QUIZ = "principer-quiz"
PUBLIC = "http://192.168.1.20:8866/"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "rum.sqlite")
    yield s
    s.close()


def answer(store, token, question, index):
    q = next(q for q in KIT.exercises[QUIZ].questions if q.id == question)
    store.record(token, QUIZ, question, q.kind, index, index in q.correct_indices)


# -- the store's room state -------------------------------------------------------------------
def test_room_state_is_checked_and_counts_its_versions(store):
    s = store.create_session("Pass", LESSON)
    assert store.details(s.id).mode == "egen_takt" and store.rooms()[s.code]["version"] == 0
    d = store.set_room(s.code, mode="ledd", current=QUIZ)
    assert (d.led, d.current, d.step, d.revealed, d.version) == (True, QUIZ, 0, False, 1)
    d = store.set_room(s.code, step=2)
    d = store.set_room(s.code, revealed=True)
    assert (d.step, d.revealed, d.version) == (2, True, 3)
    d = store.set_room(s.code, countdown=60)
    assert d.deadline is not None and 55 < d.deadline.timestamp() - time.time() <= 60
    d = store.set_room(s.code, current="principer-scenario")  # a new exercise: hidden again, no countdown
    assert (d.step, d.revealed, d.deadline) == (0, False, None)
    for bad in (
        {"mode": "fri"},
        {"current": "<script>"},
        {"step": -1},
        {"step": True},
        {"countdown": 2},
        {"countdown": 10**6},
        {"countdown": "60"},
    ):
        with pytest.raises(StoreError):
            store.set_room(s.code, **bad)
    assert store.details(s.id).version == d.version  # a refused change changes nothing
    store.set_open(s.code, False)
    assert s.code not in store.rooms()  # a closed session is not followed


def test_participants_follow_the_room_and_cannot_run_ahead(store, tmp_path):
    s = store.create_session("Pass", LESSON, mode="ledd", audience="tjansteperson")
    p = store.join(s.code)
    view = ParticipantView(store, p, KIT)
    assert view.body.children == (view.waiting,) and view.picker.layout.display == "none"
    path = tmp_path / "rum.json"
    rooms = Broadcaster(store, path)
    follower = Follower(s.code, s.id, path=str(path))
    assert rooms.tick() and follower.poll() is not None  # version 0: what the page was built with
    assert not rooms.tick() and follower.poll() is None  # nothing changed: no write, nothing to follow
    store.set_room(s.code, current="principer-scenario")
    rooms.tick()
    view.follow(follower.poll())
    assert view.current == view.ids.index("principer-scenario")
    assert view.position.value.count("Övning 2 av 4")
    assert "principer-quiz" in view.built  # the next one is built already: releasing it is one message
    # A crafted picker change or step is undone: nobody runs ahead in the led mode.
    view.picker.value = view.ids.index(QUIZ)
    view._step(+1)
    assert view.current == view.ids.index("principer-scenario")
    quiz = view.exercise(view.ids.index(QUIZ))
    assert all("tjansteperson" in q.audience for q in quiz.questions)  # the session's audience
    with pytest.raises(StoreError, match="inte öppen"):  # an answer to an exercise not released
        view._record(type("E", (), {"exercise_id": QUIZ})())
    store.set_room(s.code, mode="egen_takt")
    rooms.tick()
    view.follow(follower.poll())
    assert view.picker.layout.display is None and not view.led
    view.picker.value = view.ids.index(QUIZ)
    assert view.current == view.ids.index(QUIZ)


def test_a_session_s_own_exercises_and_a_plan(store):
    s = store.create_session("Pass", LESSON, exercises=[QUIZ, "finns-inte", "roller-matchning"])
    view = ParticipantView(store, store.join(s.code), KIT)
    assert view.ids == [QUIZ, "roller-matchning"]  # in the session's order; unknown ids left out
    from samverkan.workshop.plans import create_plan_sessions

    made = create_plan_sessions(store, "exercises/planer/namnd-halvdag.yaml")
    assert [m.lesson for m in made] == ["03-principer", "05-samverkansformer", "07-iop"]
    d = store.details(made[0].id)
    assert d.exercises == ("roller-matchning", "principer-scenario", "principer-quiz") and d.led
    assert (d.audience, d.held_on) == ("fortroendevald", "2027-02-10")
    # Seed 000's conference hour: a mixed room (every question), led, two sessions.
    room = create_plan_sessions(store, "exercises/planer/regional-konferens.yaml")
    assert [store.details(r.id).audience for r in room] == [None, None]
    assert store.details(room[1].id).exercises == ("form-matchning", "form-scenario")
    assert all(store.details(r.id).led and "Konferenssalen" in store.details(r.id).place for r in room)


# -- the stage and the controls ------------------------------------------------------------------
def test_the_stage_hides_the_key_until_the_reveal_and_counts_first_answers(store):
    s = store.create_session("Pass", LESSON, exercises=[QUIZ], mode="ledd")
    q = KIT.exercises[QUIZ].questions[0]
    right = next(iter(q.correct_indices))
    wrong = next(i for i in range(len(q.choices)) if i != right)
    a, b, _silent = (store.join(s.code) for _ in range(3))
    answer(store, a.token, q.id, wrong)
    answer(store, a.token, q.id, right)  # changed after seeing the feedback: still counted wrong
    answer(store, b.token, q.id, right)
    assert presenter.act(store, KIT, s, "nasta", {}) == ""
    before = presenter.stage(store, KIT, s, PUBLIC)
    assert "2 av 3 har svarat." in before.html and "✓" not in before.html and "(50 %)" not in before.html
    presenter.act(store, KIT, s, "resultat", {"visa": "1"})
    after = presenter.stage(store, KIT, s, PUBLIC)
    assert after.revealed and after.version != before.version
    assert "✓ Rätt svar" in after.html and "1 av 2 rätt vid första försöket (50 %)" in after.html
    assert plain(q.choices[right].text) in after.html
    presenter.act(store, KIT, s, "nasta", {})  # the next question: hidden again
    assert "✓" not in presenter.stage(store, KIT, s, PUBLIC).html


def test_the_controls_step_through_questions_and_exercises(store):
    s = store.create_session("Pass", LESSON, exercises=["roller-matchning", QUIZ, "principer-scenario"])
    counts = presenter.step_counts(KIT, s, store.details(s.id))
    n_quiz = dict(counts)[QUIZ]
    assert dict(counts)["roller-matchning"] == 1 and n_quiz >= 2
    steps = [(store.details(s.id).current, store.details(s.id).step)]
    while presenter.act(store, KIT, s, "nasta", {}) == "":
        d = store.details(s.id)
        steps.append((d.current, d.step))
    assert steps[1:3] == [("roller-matchning", 0), (QUIZ, 0)] and steps[-1][0] == "principer-scenario"
    scenario_steps = sum(1 for e, _ in steps if e == "principer-scenario")
    assert scenario_steps == dict(counts)["principer-scenario"]  # its steps and then its endings
    assert presenter.act(store, KIT, s, "nasta", {}) == "slut"
    while presenter.act(store, KIT, s, "foregaende", {}) == "":
        pass
    assert (store.details(s.id).current, store.details(s.id).step) == ("roller-matchning", 0)
    presenter.act(store, KIT, s, "slapp", {"ovning": QUIZ})
    assert store.details(s.id).current == QUIZ
    presenter.act(store, KIT, s, "nedrakning", {"sekunder": "60"})
    assert store.details(s.id).deadline is not None
    presenter.act(store, KIT, s, "stoppa", {})
    assert store.details(s.id).deadline is None
    version = store.details(s.id).version
    for action, values in (
        ("slapp", {"ovning": "iop-scenario"}),  # not one of the session's exercises
        ("nedrakning", {"sekunder": "7"}),
        ("nedrakning", {"sekunder": "60; DROP TABLE"}),
        ("radera", {}),
    ):
        with pytest.raises(StoreError):
            presenter.act(store, KIT, s, action, values)
    assert store.details(s.id).version == version


def test_the_endings_and_the_join_screen(store):
    s = store.create_session("Pass <b>x</b>", LESSON, exercises=["principer-scenario"], mode="ledd")
    ex = KIT.exercises["principer-scenario"]
    for c in (0, 0, 1):
        p = store.join(s.code)
        step = ex.step(ex.start)
        while not step.is_outcome:
            store.record(p.token, ex.id, step.id, "scenario", c)
            step = ex.step(step.choices[c].next)
    join = presenter.stage(store, KIT, s, PUBLIC)
    assert "192.168.1.20:8866" in join.html and f">{s.code}<" in join.html and "3</strong> har gått med" in join.html
    assert "Inga namn sparas" in join.html and "<b>x</b>" not in join.html and "&lt;b&gt;x&lt;/b&gt;" in join.html
    assert f'aria-label="QR-kod till {PUBLIC}delta?kod={s.code}"' in join.html and "<path" in join.html
    n = presenter.step_counts(KIT, s, store.details(s.id))[0][1]
    store.set_room(s.code, current=ex.id)
    store.set_room(s.code, step=n - 1, revealed=True)
    html = presenter.stage(store, KIT, s, PUBLIC).html
    assert "Så slutade scenariot" in html and "Räknat på var och ens första val." in html
    assert html.count("Bra utfall") + html.count("Delvis bra utfall") + html.count("Svagt utfall") == len(
        [st for st in ex.steps if st.is_outcome]
    )
    assert "2 (67 %)" in html and "1 (33 %)" in html


def test_hostile_free_text_stays_text_on_the_projector(store):
    s = store.create_session("Pass", LESSON, exercises=["principer-reflektion"], mode="ledd")
    p = store.join(s.code, "Bord 3")
    store.record(p.token, "principer-reflektion", "principer-reflektion", "free_text", "<img src=x onerror=alert(1)>")
    presenter.act(store, KIT, s, "nasta", {})
    assert "onerror" not in presenter.stage(store, KIT, s, PUBLIC).html.replace("onerror=alert(1)&gt;", "")
    presenter.act(store, KIT, s, "resultat", {"visa": "1"})
    html = presenter.stage(store, KIT, s, PUBLIC).html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html and "Bord 3: " in html


# -- a real room in chromium ---------------------------------------------------------------------
@pytest.mark.notebooks
def test_a_led_room_in_chromium(tmp_path, browser):
    from tests.servers import workshop_server
    from tests.test_accessibility import audit

    db = tmp_path / "rum.sqlite"
    with workshop_server(db, room_size=4) as (base, key):
        store = Store(db, create=False)
        s = store.create_session("Regionkonferensen", LESSON, exercises=[QUIZ, "principer-reflektion"], mode="ledd")
        fac = browser.new_page(viewport={"width": 1280, "height": 720})
        fac.goto(f"{base}/handledare/storbild?pass={s.code}")
        assert "/handledare" in fac.url and "till" in fac.url  # the login first, the key never in the address
        fac.get_by_label("Handledarnyckel").fill(key)
        fac.keyboard.press("Enter")
        fac.wait_for_url(re.compile(r".*/handledare/storbild$"))
        fac.get_by_role("link", name=re.compile(s.code)).click()
        fac.wait_for_selector(".sv-code")
        assert key not in fac.url and key not in fac.content()
        audit(fac, "storbilden, anslutningen")
        link = fac.locator(".sv-qr svg").get_attribute("aria-label").removeprefix("QR-kod till ")
        assert link.endswith(f"/delta?kod={s.code}")
        phones = []
        for n in range(4):
            page = browser.new_page(viewport={"width": 390 if n < 2 else 1024, "height": 800})
            page.goto(link)  # the QR code's link: the code is filled in, no table chosen
            page.get_by_role("button", name="Gå med").click()
            page.wait_for_selector("text=Vänta här.", timeout=60_000)
            phones.append(page)
        fac.wait_for_selector("text=4 har gått med.", timeout=10_000)  # the stage follows without a reload
        audit(phones[0], "deltagaren väntar (390 px)")

        t0 = time.monotonic()
        fac.get_by_role("button", name="Nästa →").click()
        for page in phones:
            page.wait_for_selector("text=Övning 1 av 2", timeout=10_000)
        followed = time.monotonic() - t0
        assert followed < 10
        assert not any(p.get_by_role("button", name="Nästa övning").is_visible() for p in phones)  # no running ahead
        audit(fac, "storbilden, en fråga")

        q = KIT.exercises[QUIZ].questions[0]
        right = next(iter(q.correct_indices))
        wrong = next(i for i in range(len(q.choices)) if i != right)
        for n, page in enumerate(phones):
            choice = wrong if n == 0 else right
            page.get_by_role("radio", name=plain(q.choices[choice].text)).first.check()
            page.get_by_role("button", name="Rätta svaret").click()
            page.wait_for_selector(".sv-verdict", timeout=15_000)
        first = phones[0]  # changes to the right answer after the feedback
        first.get_by_role("radio", name=plain(q.choices[right].text)).first.check()
        first.get_by_role("button", name="Rätta svaret").click()
        first.wait_for_selector("text=✓ Rätt!", timeout=15_000)
        fac.wait_for_selector("text=4 av 4 har svarat.", timeout=10_000)
        assert fac.locator("text=✓ Rätt svar").count() == 0  # no key on the projector before the reveal
        fac.get_by_role("button", name="Visa resultat").click()
        fac.wait_for_selector("text=3 av 4 rätt vid första försöket (75 %)", timeout=10_000)
        audit(fac, "storbilden, resultatet")
        labels = fac.locator(".sv-options li > span:nth-child(2)").evaluate_all(
            "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert labels and min(labels) >= 24  # readable from the back of the room at 1280×720
        assert fac.evaluate("() => document.documentElement.scrollWidth") <= 1280
        for page in phones[:2]:
            page.wait_for_selector("text=Resultatet visas nu på storbilden.", timeout=10_000)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        fac.set_viewport_size({"width": 390, "height": 800})
        audit(fac, "storbilden i 390 px")
        assert fac.evaluate("() => document.documentElement.scrollWidth") <= 390

        (row,) = [r for r in store.answers(s.id) if r["participant"] == 1 and r["item_id"] == q.id]
        assert row["correct"] is False and row["revisions"] == 1 and row["latest"] == right
        assert len(store.answers(s.id, "all")) == 5  # five answers given, the change kept as a revision
        import csv
        import io

        from samverkan.workshop.summary import export_csv

        rows = list(csv.DictReader(io.StringIO(export_csv(store, s, KIT)), delimiter=";"))
        mine = [(r["försök"], r["rätt"], r["räknas"]) for r in rows if r["deltagare"] == "1"]
        assert mine == [("1", "nej", "ja"), ("2", "ja", "nej")]  # counted wrong, the change kept
        from samverkan.workshop.dashboard import Dashboard

        dash = Dashboard(store)
        dash.picker.value = s.id
        dash.refresh(force=True)
        overview = dash.overview.value
        assert "4" in overview and "75 %" in overview, overview[:2000]
        from samverkan.workshop.report import build_report

        out = build_report(s.code, str(db), tmp_path / "rapport.html", progress=False)
        report = out.read_text(encoding="utf-8")
        assert "Regionkonferensen" in report and "3 av 4 rätt vid första försöket" in report
        store.close()
        # The server console through a whole led room: Swedish only, no key, no address, no token.
        console = server_console(base)
        banner, after = console.split("Avsluta med Ctrl+C.")
        assert "/handledare/storbild" in banner and "Deltagarna öppnar:" in banner
        assert key not in after and "127.0.0.1" not in after
        english = [line for line in console.splitlines() if re.search(r"\b(WARNING|ERROR|the|is|not|cannot)\b", line)]
        assert not english, english


def server_console(base: str) -> str:
    """What ``samverkan serve`` printed (tests/servers.py keeps it in a file per port)."""
    import os
    from pathlib import Path

    port = base.rsplit(":", 1)[1]
    return (Path(os.environ.get("TMPDIR", "/tmp")) / f"samverkan-serve-{port}.log").read_text(errors="replace")


def test_unsent_choices_are_warned_about_or_sent_when_the_room_moves_on(store):
    s = store.create_session("Pass", LESSON, exercises=["roller-matchning", QUIZ])
    p = store.join(s.code)
    view = ParticipantView(store, p, KIT)
    matching = view.exercise(0)
    matching.dropdowns[0].value = KIT.exercises["roller-matchning"].categories[0].id
    assert matching.unsaved()
    view._step(+1)  # self-paced: a warning, and the participant stays
    assert view.current == 0 and "inte är skickade" in view.notice.value
    view._step(+1)  # the same step again: on without saving
    assert view.current == 1 and store.stats(s.id).answers == 0
    view.exercise(1).choices.index = 0  # a quiz choice on screen, not checked
    view.picker.value = 0  # leaving by the list: the list goes back, and the warning stays on screen
    assert view.current == 1 and view.picker.value == 1 and "inte är skickade" in view.notice.value
    view.picker.value = 0  # the same choice again: on
    assert view.current == 0 and view.notice.value == ""
    view.picker.value = 0
    matching.check_button.click()
    assert not matching.unsaved() and store.stats(s.id).answers == 1

    led = store.create_session("Ledd", LESSON, exercises=["roller-matchning", QUIZ], mode="ledd")
    q = store.join(led.code)
    view = ParticipantView(store, q, KIT)
    view.follow(store.set_room(led.code, current="roller-matchning").room())
    view.exercise(0).dropdowns[1].value = KIT.exercises["roller-matchning"].categories[1].id
    quiz = view.exercise(1)
    view.follow(store.set_room(led.code, current=QUIZ).room())  # the facilitator moves on
    (row,) = store.answers(led.id)
    assert row["exercise_id"] == "roller-matchning" and len(row["value"]) == 1  # the choice made was sent
    quiz.choices.index = 0
    assert quiz.unsaved()
    view.follow(store.set_room(led.code, current="roller-matchning").room())
    assert {r["exercise_id"] for r in store.answers(led.id)} == {"roller-matchning", QUIZ}


@pytest.mark.notebooks
def test_the_presenter_refuses_strangers_and_made_up_cookies(tmp_path):
    import asyncio
    import urllib.parse

    from tests import attacks
    from tests.servers import workshop_server

    db = tmp_path / "rum.sqlite"
    with workshop_server(db, room_size=1) as (base, key):
        store = Store(db, create=False)
        s = store.create_session("Pass", LESSON, exercises=[QUIZ], mode="ledd")
        body = urllib.parse.urlencode({"pass": s.code, "atgard": "nasta"})

        async def run() -> dict:
            out = {}
            out["page"] = await attacks.fetch(f"{base}/handledare/storbild?pass={s.code}")
            out["state"] = await attacks.fetch(f"{base}/handledare/storbild/lage?pass={s.code}")
            out["post"] = await attacks.fetch(f"{base}/handledare/storbild", method="POST", body=body)
            wrong = {"Cookie": "samverkan_handledare=GISSNING12345"}
            out["wrong"] = await attacks.fetch(f"{base}/handledare/storbild", method="POST", body=body, headers=wrong)
            # 300 made-up cookies at once: each would cost a key hash; the room's join page stays quick.
            flood = [
                attacks.fetch(
                    f"{base}/handledare/storbild/lage?pass={s.code}",
                    headers={"Cookie": f"samverkan_handledare=X{n:011d}"},
                    timeout=60,
                )
                for n in range(300)
            ]
            t0 = asyncio.get_running_loop().time()
            join = asyncio.ensure_future(attacks.fetch(f"{base}/delta?kod={s.code}", timeout=30))
            results = await asyncio.gather(*flood)
            out["join"] = await join
            out["join_s"] = asyncio.get_running_loop().time() - t0
            out["flood"] = {r.code for r in results}
            # The facilitator, logged in, from another site's form: refused.
            for _ in range(60):  # the flood used this address's share of page requests: wait as a person would
                login = await attacks.fetch(
                    f"{base}/handledare", method="POST", body=urllib.parse.urlencode({"nyckel": key})
                )
                if login.code != 429:
                    break
                await asyncio.sleep(1)
            cookie = login.headers["Set-Cookie"].split(";", 1)[0]
            out["cross"] = await attacks.fetch(
                f"{base}/handledare/storbild",
                method="POST",
                body=body,
                headers={"Cookie": cookie, "Origin": "http://elak.example"},
            )
            hostile = urllib.parse.urlencode({"pass": s.code, "atgard": "slapp", "ovning": "<script>"})
            out["hostile"] = await attacks.fetch(
                f"{base}/handledare/storbild", method="POST", body=hostile, headers={"Cookie": cookie}
            )
            out["good"] = await attacks.fetch(
                f"{base}/handledare/storbild", method="POST", body=body, headers={"Cookie": cookie}
            )
            return out

        from tests.workshop.test_server_hardening import run as run_apart  # a loop of its own, in a thread

        out = run_apart(run())
        assert out["page"].code == 303 and "till=storbild" in out["page"].headers["Location"]
        assert out["state"].code == 403 and out["post"].code == 403 and out["wrong"].code == 403
        assert out["flood"] == {403} and out["join"].code == 200 and out["join_s"] < 5  # 13 s without the guard
        assert out["cross"].code == 403
        assert out["hostile"].code == 303 and "meddelande=fel" in out["hostile"].headers["Location"]
        assert out["good"].code == 303 and store.details(s.id).current == QUIZ  # only the good one changed it
        assert store.details(s.id).version == 1
        store.close()
