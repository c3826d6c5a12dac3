"""Beyond one machine: two real ``samverkan serve`` processes sharing one PostgreSQL database.

The database is a new one on the throwaway cluster of the ``postgres`` fixture
(conftest.py), reached over TCP as the non-superuser role ``verkstad``, as
docs/driftsattning.md describes. Participants join through both servers and
answer through their own kernels: the widget messages go over the kernel
websocket as a browser sends them (as bench/workshop.py does). One dashboard,
on one of the servers, in Debian's chromium, must show every answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from samverkan.workshop.store import Store

from ..servers import kernel_message, post_join, workshop_server

pytestmark = pytest.mark.notebooks
LESSON = "03-principer"
PUBLIC = "https://verkstad.kommun.test/"  # what the proxy's address would be; the servers must show it


def _lesson_order() -> tuple[list[str], list[str]]:
    from samverkan.content import loader, paths
    from samverkan.render.markdown import plain

    kit = loader.load_kit(paths.kit_root())
    order = [e for section in kit.lessons[LESSON].sections for e in section.exercises]
    quiz = kit.exercises["principer-quiz"]
    return order, [plain(c.text, "standard") for c in quiz.questions[0].choices]


class KernelParticipant:
    """One participant as a browser is one: join form, page, then widget messages over the kernel websocket."""

    def __init__(self, base: str, code: str, group: str):
        from websockets.sync.client import connect

        self.base = base
        status, location, body = post_join(base, code, group)
        assert status == 303, body[-500:]
        html = urllib.request.urlopen(base + location, timeout=60).read().decode()
        kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)
        url = base.replace("http", "ws") + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        self._open = contextlib.ExitStack()
        self.ws = self._open.enter_context(connect(url, origin=base, open_timeout=30, max_size=64 * 2**20))
        comm = uuid.uuid4().hex
        self._send(
            "comm_open",
            {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"},
        )
        self._send("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
        msg = self._until(
            lambda m: (
                m["header"]["msg_type"] == "comm_msg" and m["content"].get("data", {}).get("method") == "update_states"
            )
        )
        self.models = {cid: st.get("state", {}) for cid, st in msg["content"]["data"]["states"].items()}

    def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> None:
        self.ws.send(kernel_message(msg_type, content, metadata, session="deltagare"))

    def _until(self, done, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            raw = self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            if msg["header"]["msg_type"] == "comm_open":
                data = msg["content"].get("data", {})
                self.models[msg["content"]["comm_id"]] = data.get("state", {})
            if done(msg):
                return msg

    def _find(self, **want: object) -> str | None:
        for cid, state in self.models.items():
            if all(state.get(k) == v for k, v in want.items()):
                return cid
        return None

    def _update(self, comm_id: str, state: dict) -> None:
        self._send("comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}})

    def _click(self, comm_id: str) -> None:
        self._send("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}})

    def open_exercise(self, index: int, *wants: dict) -> list[str]:
        """Choose exercise ``index`` in 'Övning:' and wait until a widget matching each of ``wants`` is there."""
        picker = self._find(_model_name="DropdownModel", description="Övning:")
        assert picker, "the participant page has no 'Övning:' list"
        self.models = {cid: st for cid, st in self.models.items() if cid == picker}  # forget the old exercise
        self._update(picker, {"index": index})
        self._until(lambda _m: all(self._find(**w) for w in wants))
        return [self._find(**w) for w in wants]

    def answer_quiz(self, index: int, labels: list[str], choice: int) -> None:
        radio, button = self.open_exercise(
            index,
            {"_model_name": "RadioButtonsModel", "_options_labels": labels},
            {"_model_name": "ButtonModel", "description": "Rätta svaret"},
        )
        self._update(radio, {"index": choice})
        self._click(button)

    def answer_free_text(self, index: int, text: str) -> None:
        box, button = self.open_exercise(
            index, {"_model_name": "TextareaModel"}, {"_model_name": "ButtonModel", "description": "Skicka svar"}
        )
        self._update(box, {"value": text})
        self._click(button)

    def close(self) -> None:
        self._open.close()


def wait_for(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _command_lines() -> list[str]:
    lines = []
    for pid in Path("/proc").iterdir():
        if pid.name.isdigit():
            with contextlib.suppress(OSError):
                lines.append((pid / "cmdline").read_bytes().decode(errors="replace").replace("\0", " "))
    return lines


def _password(url: str) -> str:
    return url.split("//", 1)[1].split("@")[0].split(":")[1]


@pytest.fixture(scope="module")
def two_servers(postgres):
    """Two servers on two ports, started at the same moment against one new, empty database.

    Server A has the password in its ``--db`` address; server B, as docs/driftsattning.md
    advises, does not: it (and its kernels) get it from ``PGPASSWORD``.
    """
    url = postgres.database("tva_servrar")
    password = _password(url)
    bare = url.replace(f":{password}@", "@")
    env = {"SAMVERKAN_PUBLIC_URL": PUBLIC}
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        started = [
            pool.submit(stack.enter_context, workshop_server(db, room_size=3, timeout=180, env=extra))
            for db, extra in ((url, env), (bare, {**env, "PGPASSWORD": password}))
        ]
        (a, key_a), (b, key_b) = (f.result() for f in started)
        store = Store(url, create=False)
        yield url, (a, key_a), (b, key_b), store
        store.close()


def test_both_servers_accept_both_facilitator_keys_and_never_show_the_password(two_servers):
    url, (a, key_a), (b, key_b), store = two_servers
    assert a != b and store.check_key(key_a) and store.check_key(key_b)
    password = _password(url)
    server_b = [cmd for cmd in _command_lines() if "serve" in cmd and f"--port {b.rsplit(':', 1)[1]} " in cmd]
    assert len(server_b) == 1 and password not in server_b[0]  # what `ps` shows; B's password came from PGPASSWORD
    for base, shown in ((a, "verkstad:***@"), (b, "verkstad@")):
        port = base.rsplit(":", 1)[1]
        log = (Path(os.environ.get("TMPDIR", "/tmp")) / f"samverkan-serve-{port}.log").read_text()
        assert f"Svaren sparas i:    postgresql+psycopg://{shown}127.0.0.1:" in log
        assert password not in log
        assert f"Deltagarna öppnar:  {PUBLIC} " in log and f"Handledarvyn:       {PUBLIC}handledare?nyckel=" in log


def test_answers_through_two_servers_show_in_one_dashboard(two_servers, browser):
    url, (a, key), (b, _key_b), store = two_servers
    order, labels = _lesson_order()
    quiz, free = order.index("principer-quiz"), order.index("principer-reflektion")

    # The facilitator creates the session in the dashboard on server B ...
    fac = browser.new_page()
    fac.goto(f"{b}/voila/render/handledarvy.ipynb?nyckel={key}")
    fac.wait_for_selector("text=Nytt pass", timeout=60_000)
    fac.get_by_label("Passets namn:").fill("Två servrar")
    lesson = fac.get_by_label("Lektion:")
    lesson.select_option(lesson.locator("option", has_text=f"({LESSON})").first.get_attribute("value"))
    fac.get_by_role("button", name="Skapa pass").click()
    fac.wait_for_selector(".sv-code", timeout=20_000)
    code = fac.locator(".sv-code").first.text_content().strip()
    # A new session has as many places as the room (--room-size 3 here); four people will join it.
    fac.get_by_label("Platser i passet:").fill("10")
    fac.get_by_role("button", name="Spara antalet platser").click()
    fac.wait_for_selector("text=har nu plats för 10 deltagare", timeout=20_000)
    assert f"Deltagarna går till {PUBLIC}" in fac.locator("body").text_content()
    fac.close()
    session = store.session_by_code(code)

    # ... two participants answer through server A, two through server B, each in its own kernel.
    people = {(base, n): KernelParticipant(base, code, f"Bord {n}") for base in (a, b) for n in (1, 2)}
    for (_base, n), person in people.items():
        person.answer_quiz(quiz, labels, choice=n - 1)
    people[(a, 1)].answer_free_text(free, "Svar genom server A")
    people[(b, 2)].answer_free_text(free, "Svar genom server B")
    wait_for(lambda: store.stats(session.id).answers == 6)
    assert store.stats(session.id).participants == 4

    # One dashboard, on server A, logged in with the key by hand, shows all of them.
    dash = browser.new_page()
    dash.goto(f"{a}/voila/render/handledarvy.ipynb")
    dash.get_by_label("Handledarnyckel", exact=True).fill(key)
    dash.get_by_role("button", name="Logga in").click()
    dash.wait_for_selector(".sv-code", timeout=60_000)
    picker = dash.locator("select").filter(has_text=code).first
    picker.select_option(picker.locator("option", has_text=code).first.get_attribute("value"))
    dash.wait_for_function(f"document.querySelector('.sv-code').textContent == '{code}'", timeout=20_000)
    dash.wait_for_function("document.querySelector('.sv-answers').textContent == '6'", timeout=10_000)
    assert dash.locator(".sv-participants").first.text_content() == "4"
    # Each exercise's answers are shown by its own button.
    dash.locator(".sv-panel", has_text="Reflektion:").get_by_role("button", name=re.compile("^Visa svaren")).click()
    dash.wait_for_selector(".sv-free li", timeout=10_000)
    texts = sorted(t.strip() for t in dash.locator(".sv-free li .sv-text").all_text_contents())
    assert texts == ["Svar genom server A", "Svar genom server B"]

    # Live: a fifth participant answers through server B; the dashboard on A shows it within seconds.
    late = KernelParticipant(b, code, "Bord 3")
    start = time.monotonic()
    late.answer_quiz(quiz, labels, choice=0)
    dash.wait_for_function("document.querySelector('.sv-answers').textContent == '7'", timeout=10_000)
    assert time.monotonic() - start < 10
    assert dash.locator(".sv-participants").first.text_content() == "5"
    dash.close()
    for person in [*people.values(), late]:
        person.close()

    rows = store.answers(session.id)
    assert sorted(r["group"] for r in rows if r["kind"] == "single_choice") == [
        "Bord 1",
        "Bord 1",
        "Bord 2",
        "Bord 2",
        "Bord 3",
    ]
    assert sorted(r["value"] for r in rows if r["kind"] == "single_choice") == [0, 0, 0, 1, 1]

    # samverkan export and report, run as the facilitator would after the session, see everything.
    export = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "export", code, "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    lines = export.stdout.strip().splitlines()
    assert len(lines) == 1 + 7 and "Svar genom server A" in export.stdout and "Svar genom server B" in export.stdout
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"rapport-{code}-{uuid.uuid4().hex[:6]}.html"
    report = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "report", code, "--db", url, "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr
    html = out.read_text(encoding="utf-8")
    out.unlink()
    assert "5 deltagare" in html and "7 svar" in html
    assert "Svar genom server A" in html and "Svar genom server B" in html


def test_a_reader_s_personal_link_works_on_the_other_server(two_servers, browser):
    """Read on server A and make a personal link; open the link on server B: the same place comes back."""
    _url, (a, _key), (b, _key_b), store = two_servers
    page = browser.new_page()
    page.goto(f"{a}/voila/render/lasare.ipynb?lesson={LESSON}", timeout=120_000)
    page.wait_for_selector("text=Del 1 av", timeout=120_000)
    page.get_by_role("button", name="Skapa en personlig länk").click()
    page.get_by_role("heading", name="Din personliga länk").wait_for(timeout=30_000)
    for n in (2, 3, 4):
        page.get_by_role("button", name="Nästa").click()
        page.wait_for_selector(f"text=Del {n} av", timeout=30_000)
    href = page.get_by_role("link", name="Fortsätt läsa här").get_attribute("href")
    token = href.split("p=", 1)[1]
    assert store.reading(token, LESSON)["position"] == 3
    other = browser.new_page()
    other.goto(f"{b}/voila/render/lasare.ipynb{href}", timeout=120_000)
    other.wait_for_selector("text=Del 4 av", timeout=120_000)
    page.close()
    other.close()
