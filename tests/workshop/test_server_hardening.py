"""The workshop server survives anyone in the room (issue 14).

Each test starts the real ``samverkan serve`` on a loopback port with its own SQLite file and plays
one attack from ``tests/attacks.py`` as a hostile participant would, then checks that the server
still answers, that real participants still get in, and that nothing was stored or leaked. Every
loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samverkan.workshop.store import Store

from .. import attacks
from ..servers import workshop_server

pytestmark = pytest.mark.notebooks
LESSON = "03-principer"
GRACE = "4"  # seconds before a kernel without a page is freed (30 s in a real room)


@contextlib.contextmanager
def room(tmp_path: Path, size: int = 3):
    """A server with ``size`` places, a short kernel grace, and one open session; yields (base, key, store, code)."""
    db = tmp_path / "rum.sqlite"
    with workshop_server(db, room_size=size, env={"SAMVERKAN_KERNEL_GRACE": GRACE}) as (base, key):
        store = Store(db, create=False)
        session = store.create_session("Härdning", LESSON, cap=size)
        try:
            yield base, key, store, session.code
        finally:
            store.close()


def run(coro):
    """Run ``coro`` to its end (at most 120 s) on a loop of its own, in a thread: Playwright's sync API
    keeps a loop running in this one once a browser test has run in the module."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, 120)).result()


def server_log(base: str) -> str:
    import os

    port = base.rsplit(":", 1)[1]
    return (Path(os.environ.get("TMPDIR", "/tmp")) / f"samverkan-serve-{port}.log").read_text(errors="replace")


async def real_participant(base: str, code: str) -> float | None:
    """Join, open the page, connect and get the widget states as a browser does; seconds, or None if it failed."""
    t0 = time.perf_counter()
    r = await attacks.fetch(base + "/delta", method="POST", body=urllib.parse.urlencode({"kod": code, "bord": ""}))
    if r.code != 303:
        return None
    r = await attacks.fetch(base + r.headers["Location"], timeout=30, follow=True)
    kernel = attacks.kernel_id_of(r.body.decode(errors="replace"))
    if kernel is None:
        return None
    ws = await attacks.connect(base, kernel)
    try:
        states = await attacks.widget_states(ws, seconds=20)
    finally:
        ws.close()
    return time.perf_counter() - t0 if states else None


async def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.5)
    return False


# -- 1. one websocket frame -------------------------------------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["legacy", "v1"])
def test_a_frame_with_binary_buffers_leaves_the_server_answering(tmp_path, v1):
    with room(tmp_path, 1) as (base, _key, store, _code):
        pid = attacks.server_pid(base)
        before = attacks.rss_mb(pid)

        async def attack() -> list[float | None]:
            assert await attacks.binary_frame(base, v1=v1) == "sent"
            times = []
            for _ in range(3):
                await asyncio.sleep(1)
                times.append(await attacks.status_time(base, timeout=2))
            return times

        times = run(attack())
        assert all(t is not None and t < 2 for t in times), times
        assert attacks.rss_mb(pid) - before < 100
        assert "refused a websocket message" in server_log(base) or "binary buffers" in server_log(base)


# -- 2. orphaned participant places -------------------------------------------------------------------


def test_request_info_sockets_for_unknown_kernels_orphan_nobody(tmp_path):
    with room(tmp_path, 3) as (base, _key, _store, code):

        async def attack() -> list[float | None]:
            await attacks.query_socket_trick(base, rounds=5)
            return [await real_participant(base, code) for _ in range(3)]

        times = run(attack())
        assert all(t is not None and t < 5 for t in times), times


def test_a_preheated_kernel_waits_again_when_its_request_socket_goes(tmp_path):
    """The kernel's side: a closed or refused socket is opened again, and a request that came in between is
    handed over then (participant.wait_for_request never waits for ever on a dead socket)."""
    import threading

    from tornado.web import Application
    from tornado.websocket import WebSocketHandler

    from samverkan.workshop import participant

    from ..servers import free_port

    port = free_port()
    opened: list[int] = []

    class Query(WebSocketHandler):
        def open(self, kernel_id: str) -> None:
            opened.append(1)
            if len(opened) == 1:
                self.close()  # the first connection is lost (as when Voila dropped the entry)
            else:
                self.write_message(json.dumps({"QUERY_STRING": "kod=ABC&p=x"}))

    ready = threading.Event()

    def serve() -> None:
        async def main() -> None:
            Application([(r"/voila/query/(.*)", Query)]).listen(port, "127.0.0.1")
            ready.set()
            await asyncio.sleep(20)

        asyncio.run(main())

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(10)
    env = {
        "VOILA_PREHEAT": "True",
        "VOILA_APP_IP": "127.0.0.1",
        "VOILA_APP_PORT": str(port),
        "VOILA_SERVER_URL": "/",
        "VOILA_KERNEL_ID": str(uuid.uuid4()),
    }
    import os

    saved = {k: os.environ.get(k) for k in [*env, "VOILA_WS_BASE_URL", "QUERY_STRING"]}
    os.environ.update(env)
    os.environ.pop("VOILA_WS_BASE_URL", None)
    try:
        t0 = time.monotonic()
        assert participant.wait_for_request(attempt_timeout=2) == "kod=ABC&p=x"
        assert len(opened) == 2 and time.monotonic() - t0 < 10
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- 3. unbounded kernels ---------------------------------------------------------------------------


def test_a_page_storm_stays_within_the_cap_and_the_room_still_gets_in(tmp_path):
    from samverkan.workshop.guard import limits_for
    from samverkan.workshop.runtime import reserve_size

    limits = limits_for(3, reserve_size(3))
    with room(tmp_path, 3) as (base, _key, _store, code):

        async def attack() -> tuple[dict, int, float | None, bool]:
            peak = 0

            async def sample() -> None:
                nonlocal peak
                while True:
                    peak = max(peak, (await attacks.status(base))["karnor"])
                    await asyncio.sleep(0.25)

            sampler = asyncio.ensure_future(sample())
            codes = await attacks.page_storm(base, count=60, seconds=10)
            sampler.cancel()
            usable = await real_participant(base, code)

            async def freed() -> bool:  # the storm's pages never connected: their kernels go
                return (await attacks.status(base))["karnor"] <= limits.participant_kernels + 1

            return codes, peak, usable, await wait_for(freed, 30)

        codes, peak, usable, freed = run(attack())
        assert 0 < peak <= limits.total_kernels, peak
        assert codes.get(503, 0) + codes.get(429, 0) > 0, codes
        assert usable is not None and usable < 3, usable
        assert freed


def test_one_participant_in_many_tabs_keeps_one_kernel(tmp_path):
    with room(tmp_path, 3) as (base, _key, _store, code):

        async def attack() -> tuple[dict, dict, dict, float | None]:
            r = await attacks.fetch(
                base + "/delta", method="POST", body=urllib.parse.urlencode({"kod": code, "bord": ""})
            )
            link = r.headers["Location"]
            before = await attacks.status(base)
            codes = await attacks.tab_storm(base, link, tabs=20)
            await asyncio.sleep(1)
            after = await attacks.status(base)
            return before, codes, after, await real_participant(base, code)

        before, codes, after, usable = run(attack())
        assert codes.get(429, 0) >= 10, codes  # a few loads in a row, then "use the tab you have"
        assert after["frigjorda_karnor"] >= codes.get(200, 0) - 1  # each new tab took over from the last
        assert after["karnor"] <= before["karnor"] + 2, (before, after)
        assert usable is not None and usable < 3


def test_closing_a_page_frees_its_kernel_within_ten_seconds(tmp_path, browser):
    with room(tmp_path, 2) as (base, _key, _store, code):
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(f"{base}/delta?kod={code}")
        page.get_by_role("button", name="Gå med").click()
        page.wait_for_selector("text=Övning 1 av", timeout=30_000)
        assert not [c for c in context.cookies() if c["name"].startswith("username")]  # no identity cookie
        before = run(attacks.status(base))
        page.close(run_before_unload=True)
        t0 = time.monotonic()

        async def freed() -> bool:
            return (await attacks.status(base))["frigjorda_karnor"] > before["frigjorda_karnor"]

        assert run(wait_for(freed, 10)), "the closed page's kernel still runs"
        assert time.monotonic() - t0 < 10
        context.close()


# -- 4. join flood ----------------------------------------------------------------------------------


def test_a_join_flood_takes_no_place_and_the_room_still_gets_in(tmp_path, monkeypatch):
    with room(tmp_path, 3) as (base, _key, store, _code):
        monkeypatch.setenv("SAMVERKAN_ROOM_SIZE", "3")  # what serve --room-size 3 tells the dashboard
        session = store.create_session("Flod", LESSON)
        assert store.cap(session.id) == 3

        async def attack() -> tuple[dict, list]:
            codes = await attacks.join_flood(base, session.code, count=2000, concurrency=50)
            return codes, [await real_participant(base, session.code) for _ in range(3)]

        t0 = time.monotonic()
        codes, people = run(attack())
        assert time.monotonic() - t0 < 90
        assert codes.get(303, 0) == 2000, codes  # every join answered ...
        assert all(t is not None and t < 5 for t in people), people  # ... the room still got in ...
        assert store.stats(session.id).participants == 3  # ... and only opened pages took places
        assert run(real_participant(base, session.code)) is None  # the cap holds for opened pages too


def test_the_facilitator_can_clear_silent_participants_and_change_the_cap(tmp_path, monkeypatch):
    from samverkan.workshop.dashboard import Dashboard

    store = Store(tmp_path / "tyst.sqlite")
    monkeypatch.setenv("SAMVERKAN_ROOM_SIZE", "5")
    session = store.create_session("Tyst", LESSON)
    for _ in range(5):
        store.join(session.code)
    d = Dashboard(store)
    d.picker.value = session.id
    assert d.cap.value == 5
    d._on_remove_silent()
    assert store.stats(session.id).participants == 0 and "5 deltagare utan svar" in d.status.value
    d.cap.value = 7
    d._on_cap()
    assert store.cap(session.id) == 7 and "plats för 7 deltagare" in d.status.value
    store.close()


def test_a_ticket_takes_one_place_once_and_cannot_be_forged(tmp_path):
    store = Store(tmp_path / "biljett.sqlite")
    session = store.create_session("Biljett", LESSON, cap=2)
    _s, token, ticket = store.join_ticket(session.code, "Bord 2")
    assert store.stats(session.id).participants == 0
    first = store.redeem(session.code, token, ticket, "Bord 2")
    assert store.redeem(session.code, token, ticket, "Bord 2").id == first.id  # a reload: the same place
    assert store.stats(session.id).participants == 1 and first.group == "Bord 2"
    _s, other, other_ticket = store.join_ticket(session.code)
    for bad in (other_ticket.replace(".", ".0", 1), "1." + other_ticket.split(".")[1], "", "x.y"):
        with pytest.raises(Exception, match="Gå med i passet igen"):
            store.redeem(session.code, other, bad)
    with pytest.raises(Exception, match="Gå med i passet igen"):
        store.redeem(session.code, other, other_ticket, "Bord 9")  # the table is part of the ticket
    with pytest.raises(Exception, match="gått ut"):
        store.redeem(session.code, other, other_ticket, max_age=-1)
    store.close()


# -- 5. the facilitator key -------------------------------------------------------------------------


def test_the_key_leaves_the_address_bar_and_is_stored_only_as_a_hash(tmp_path, browser):
    with room(tmp_path, 1) as (base, key, store, code):
        assert f"{base}/handledare?nyckel={key}" in server_log(base)  # the printed link
        assert "Säkerhetskopia:     samverkan backup KOPIA.sqlite --db " in server_log(base)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(f"{base}/handledare?nyckel={key}")
        page.wait_for_selector(".sv-code", timeout=30_000)
        assert key not in page.url and "nyckel" not in page.url
        history = page.evaluate("() => history.length")
        page.go_back()
        assert key not in page.url
        assert history <= 2
        cookie = next(c for c in context.cookies() if c["name"] == "samverkan_handledare")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] == -1
        # a reload keeps the facilitator in, with nothing in the address
        page.goto(f"{base}/voila/render/handledarvy.ipynb")
        page.wait_for_function(f"document.querySelector('.sv-code')?.textContent == '{code}'", timeout=30_000)
        assert page.evaluate("() => document.body.innerText").count(key) == 0
        context.close()
        with store.engine.connect() as c:
            stored = " ".join(v for (v,) in c.exec_driver_sql("SELECT value FROM settings"))
        assert key not in stored and key.lower() not in stored
        wrong = run(attacks.fetch(base + "/handledare", method="POST", body="nyckel=GISSNING"))
        assert wrong.code == 403 and "Fel handledarnyckel" in wrong.body.decode()
        assert "Set-Cookie" not in wrong.headers


# -- 6. a client that never reads -------------------------------------------------------------------


def test_a_client_that_never_reads_is_cut_off_and_memory_stays_bounded(tmp_path):
    with room(tmp_path, 1) as (base, _key, _store, _code):
        pid = attacks.server_pid(base)
        before = attacks.rss_mb(pid)
        run(attacks.never_read(base, requests=3000, seconds=20))
        time.sleep(2)
        assert attacks.rss_mb(pid) - before < 60
        assert run(attacks.status_time(base)) is not None


# -- 7. privacy and leaks ---------------------------------------------------------------------------


def test_the_log_names_events_without_addresses_tokens_or_answers(tmp_path):
    with room(tmp_path, 1) as (base, key, store, code):
        startup = server_log(base)
        token = store.join(code).token

        async def traffic() -> None:
            await attacks.fetch(base + "/delta", method="POST", body="kod=ZZZZZZ&bord=")
            await attacks.fetch(base + f"/finns-inte?p={token}&nyckel={key}")
            await attacks.fetch(base + f"/voila/render/finns-inte.ipynb?p={token}")
            await attacks.fetch(base + "/api/kernels", method="POST", body="{}")
            await attacks.crafted_flood(base, messages=2000)

        run(traffic())
        time.sleep(1)
        after = server_log(base)[len(startup) :]
        assert "127.0.0.1" not in after and token not in after and key not in after
        assert len(after.splitlines()) < 80, after[-3000:]


def test_no_page_fetches_from_the_internet_or_sets_an_identity_cookie(tmp_path):
    with room(tmp_path, 1) as (base, _key, store, code):
        token = store.join(code).token

        async def pages() -> list:
            out = []
            # anonymous pages first: while a participant page was just handed out they wait (the room first)
            for path in (
                "/",
                f"/delta?kod={code}",
                "/handledare",
                "/voila/render/ordlista.ipynb",
                "/voila/render/03-principer.ipynb",
                f"/voila/render/deltagare.ipynb?kod={code}&p={token}",
            ):
                out.append((path, await attacks.fetch(base + path, timeout=30)))
            return out

        for path, r in run(pages()):
            assert r.code == 200, (path, r.code)
            html = r.body.decode(errors="replace")
            if path.startswith("/voila/render/deltagare.ipynb"):
                # The one cookie: the participant's own random token, so a returning browser stays the same
                # participant; HttpOnly, for this server only, and nothing personal in it.
                cookie = r.headers.get("Set-Cookie", "")
                assert cookie.startswith(f"samverkan_deltagare={token};") and "HttpOnly" in cookie, cookie
                assert "SameSite=Lax" in cookie and len(r.headers.get_list("Set-Cookie")) == 1
            else:
                assert "Set-Cookie" not in r.headers, path
            assert "mermaid.esm" not in html and "cdnjs" not in html and "cdn.jsdelivr" not in html, path
            assert not re.search(r"""(src|href)\s*=\s*["']https?://""", html), path
            assert not re.search(r"""import\(\s*["']https?://""", html), path
            assert "default-src 'self'" in r.headers.get("Content-Security-Policy", ""), path


@pytest.mark.parametrize("v1", [False, True], ids=["legacy", "v1"])
def test_no_traceback_reaches_the_page(tmp_path, v1):
    with room(tmp_path, 1) as (base, _key, _store, _code):

        async def attack() -> list:
            kernel = await attacks.open_page(base, f"/voila/render/{LESSON}.ipynb")
            ws = await attacks.connect(base, kernel, attacks.V1 if v1 else None)
            states = await attacks.widget_states(ws, v1=v1)
            button = next(
                mid
                for mid, s in states.items()
                if s.get("_model_name") == "ButtonModel" and s.get("description") == "Rätta svaret"
            )
            bad = [
                {"method": "custom", "content": ["not", "a", "dict"]},
                {"method": "bogus"},
                {"method": "update", "state": {"description": {"x": 1}}, "buffer_paths": []},
            ]
            for data in bad:
                content = {"comm_id": button, "data": data}
                if v1:
                    ws.write_message(attacks.v1_binary("comm_msg", content), binary=True)
                else:
                    ws.write_message(attacks.legacy_text("comm_msg", content))
            seen = []
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                try:
                    raw = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
                except TimeoutError:
                    break
                if raw is None:
                    break
                seen.append(raw if isinstance(raw, str) else raw.decode(errors="replace"))
            ws.close()
            return seen

        seen = run(attack())
        text = "\n".join(seen)
        assert seen, "the kernel said nothing at all"
        assert "Traceback" not in text and '"error"' not in text and "/site-packages/" not in text
        assert "ogiltigt v\\u00e4rde" in text or "ogiltigt värde" in text  # the Swedish notice came back instead


# -- 8. what the UI could not produce ---------------------------------------------------------------


def producible(kit, row: dict) -> bool:
    """Whether a stored answer is one the participant app's widgets could have given."""
    exercise = kit.exercises.get(row["exercise_id"])
    if exercise is None:
        return False
    if row["kind"] in ("single_choice", "multiple_choice"):
        question = next((q for q in exercise.questions if q.id == row["item_id"]), None)
        if question is None:
            return False
        values = row["value"] if isinstance(row["value"], list) else [row["value"]]
        return all(isinstance(v, int) and 0 <= v < len(question.choices) for v in values)
    if row["kind"] == "free_text":
        return isinstance(row["value"], str) and len(row["value"]) <= 20_000
    return True


@pytest.fixture(scope="module")
def fuzz_room(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    with workshop_server(db, room_size=2, env={"SAMVERKAN_KERNEL_GRACE": "60"}) as (base, _key):
        store = Store(db, create=False)
        session = store.create_session("Fuzz", LESSON, cap=50)
        token = store.join(session.code).token
        link = f"/voila/render/deltagare.ipynb?{urllib.parse.urlencode({'kod': session.code, 'p': token})}"
        state: dict = {}

        async def open_page() -> None:
            r = await attacks.fetch(base + link, timeout=30)
            state["kernel"] = attacks.kernel_id_of(r.body.decode())

        run(open_page())
        yield base, store, session, state
        store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    v1=st.booleans(),
    method=st.sampled_from(["update", "custom", "request_state", "echo_update", "x"]),
    field=st.sampled_from(["index", "value", "description", "disabled", "_options_labels", "zz"]),
    value=json_values,
    buffers=st.lists(st.binary(max_size=16), max_size=2),
    which=st.integers(0, 10**6),
)
def test_fuzzed_comm_messages_keep_the_server_up_and_store_nothing_the_ui_could_not(
    fuzz_room, v1, method, field, value, buffers, which
):
    from samverkan.content import loader, paths

    base, store, session, state = fuzz_room

    async def attack() -> float | None:
        ws = await attacks.connect(base, state["kernel"], attacks.V1 if v1 else None)
        try:
            models = await attacks.widget_states(ws, v1=v1, seconds=10)
            target = sorted(models)[which % len(models)] if models else uuid.uuid4().hex
            data: dict = {"method": method}
            if method == "custom":
                data["content"] = value if which % 3 else {"event": "click"}
            else:
                data.update(state={field: value}, buffer_paths=[[field]] if buffers else [])
            content = {"comm_id": target, "data": data}
            if v1:
                ws.write_message(attacks.v1_binary("comm_msg", content, buffers), binary=True)
            elif buffers:
                ws.write_message(attacks.legacy_binary("comm_msg", content, buffers), binary=True)
            else:
                ws.write_message(attacks.legacy_text("comm_msg", content))
            await asyncio.sleep(0.2)
        finally:
            ws.close()
        return await attacks.status_time(base, timeout=2)

    assert run(attack()) is not None  # the server still answers
    kit = loader.load_kit(paths.kit_root())
    assert all(producible(kit, row) for row in store.answers(session.id))


# -- the kernel side, without a server --------------------------------------------------------------


def test_a_click_on_a_hidden_or_disabled_button_is_refused():
    from samverkan.content import loader, paths
    from samverkan.widgets import exercise_widget, inbound

    kit = loader.load_kit(paths.kit_root())
    scenario = next(e for e in kit.exercises.values() if e.kind == "scenario")
    events = []
    w = exercise_widget(scenario, on_answer=events.append)
    w._repr_mimebundle_()  # displayed, as a notebook cell or the participant app does

    def click(button) -> None:
        button.comm.handle_msg(
            {"content": {"data": {"method": "custom", "content": {"event": "click"}}}, "buffers": []}
        )

    def update(widget, state) -> None:
        widget.comm.handle_msg(
            {"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []}
        )

    update(w.choices, {"index": 0})
    click(w.choose_button)
    assert len(events) == 1  # the step on screen was answered
    count = inbound.refused_count
    click(w.choose_button)  # "Välj" is hidden now: the next step has not been shown
    assert len(events) == 1 and inbound.refused_count == count + 1
    w.back_button.disabled = True
    click(w.back_button)
    assert inbound.refused_count == count + 2
    binary = {
        "content": {"data": {"method": "update", "state": {"index": 1}, "buffer_paths": [["index"]]}},
        "buffers": [b"abc"],
    }
    before = w.choices.index
    w.choices.comm.handle_msg(binary)
    assert w.choices.index == before and inbound.refused_count == count + 3


def test_refusals_log_at_most_so_many_lines_a_minute():
    import logging

    from samverkan.content import loader, paths
    from samverkan.widgets import exercise_widget, inbound

    kit = loader.load_kit(paths.kit_root())
    quiz = next(e for e in kit.exercises.values() if e.kind == "quiz")
    target = exercise_widget(quiz)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    inbound.log.addHandler(handler)
    inbound._log_window.update(start=time.monotonic(), lines=0, quiet=0)
    try:
        for _ in range(2000):
            target.comm.handle_msg(
                {"content": {"data": {"method": "update", "state": {"zz": 1}, "buffer_paths": []}}, "buffers": []}
            )
    finally:
        inbound.log.removeHandler(handler)
    assert len(records) <= inbound.LOG_PER_MINUTE


def test_a_healthy_socket_is_not_closed_by_the_ping_timeout(tmp_path):
    """A client that answers pings keeps its kernel websocket (with pings every second, for 5 s): the
    timeout once equalled the interval, which closed every healthy socket at its second ping."""
    import re
    import urllib.request

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    with workshop_server(tmp_path / "s.sqlite", room_size=0, readers=2, env={"SAMVERKAN_WS_PING_MS": "1000"}) as (
        base,
        _key,
    ):
        html = urllib.request.urlopen(f"{base}/voila/render/lasare.ipynb?lesson=03-principer", timeout=120).read()
        kernel = re.search(rb'"kernelId": "([0-9a-f-]{36})"', html).group(1).decode()

        async def hold() -> bool:
            url = base.replace("http", "ws") + f"/api/kernels/{kernel}/channels?session_id=x"
            ws = await websocket_connect(HTTPRequest(url, headers={"Origin": base}))
            deadline = asyncio.get_running_loop().time() + 5
            while asyncio.get_running_loop().time() < deadline:  # read every frame, as a browser does
                try:
                    msg = await asyncio.wait_for(ws.read_message(), timeout=0.5)
                except TimeoutError:
                    continue
                if msg is None:
                    return False  # the server closed the socket
            ws.close()
            return True

        assert run(hold()), "the server closed a socket that answered its pings"
