"""Workshop benchmark: a room arriving at ``samverkan serve``.

    .venv/bin/python bench/workshop.py                 # rooms of 1, 10, 50 and 150
    .venv/bin/python bench/workshop.py --sizes 10,50   # some of them

For each room size N a fresh server starts on a loopback port with
``--room-size N`` and its own SQLite file. Then:

* **page to usable**: N participants arrive spread evenly over 10 seconds.
  Each does what a browser does: POST the join form, GET the participant page,
  open the kernel websocket and ask for the widget states
  (``jupyter.widget.control`` → ``request_states``); usable = the states have
  arrived. Then, with the room's kernels still running, a real Debian chromium
  joins and is timed from navigation to the first exercise being usable
  (the browser's own rendering included). It does not join during the
  burst: on 2 shared cores its rendering takes the CPU the server needs,
  which a participant's own phone or laptop would not.
* **failed or hung pages**: any HTTP error, missing kernel, or no widget
  states within 60 s.
* **memory per participant kernel**: RSS and PSS of every kernel process
  (from /proc), median.
* **answers per second**: every participant clicks an answer at the same
  moment over its websocket (the widget's own ``Rätta svaret`` handler stores
  it); time until all N are in the store. Also the store alone: 8 processes
  writing as fast as they can.
* **dashboard lag**: a chromium dashboard is open; answers are written and
  the time until the dashboard's count shows them is taken.

Results go to stdout as a table and to ``bench/results/workshop-DATE.json``.
The machine is noisy (2 shared cores): compare runs made in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.attacks import server_pid
from tests.servers import CHROMIUM, CHROMIUM_ARGS, workshop_server

from samverkan.content import (
    loader,
    paths,
)
from samverkan.workshop.store import Store

LESSON = "03-principer"
WINDOW = 10.0
TIMEOUT = 60.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def message(msg_type: str, content: dict, channel: str = "shell", metadata: dict | None = None) -> str:
    return json.dumps(
        {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "session": "bench",
                "username": "",
                "date": dt.datetime.now(dt.UTC).isoformat(),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
    )


async def widget_states(base: str, html: str, deadline: float) -> tuple[Any, dict]:
    """Connect to the kernel a Voila page names and ask for its widgets' states, as the page's script does.

    Returns the websocket and the states by model id; raises RuntimeError when the page has no kernel
    or the socket closes first, TimeoutError after ``deadline`` (perf_counter time).
    """
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    m = re.search(r'"kernelId": "([0-9a-f-]{36})"', html)
    if not m:
        raise RuntimeError("sidan saknar kärna")
    url = base.replace("http", "ws") + f"/api/kernels/{m.group(1)}/channels?session_id={uuid.uuid4().hex}"
    ws = await websocket_connect(HTTPRequest(url, headers={"Origin": base}), max_message_size=64 * 2**20)
    comm_id = uuid.uuid4().hex
    ws.write_message(
        message(
            "comm_open",
            {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"},
        )
    )
    ws.write_message(message("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}}))
    while True:
        raw = await asyncio.wait_for(ws.read_message(), timeout=max(0.1, deadline - time.perf_counter()))
        if raw is None:
            raise RuntimeError("websocket stängdes")
        if isinstance(raw, bytes):
            continue  # binary frames carry buffers; the states come as text here
        msg = json.loads(raw)
        data = msg.get("content", {}).get("data", {})
        if msg["header"]["msg_type"] == "comm_msg" and data.get("method") == "update_states":
            return ws, data["states"]


class Participant:
    """One simulated participant over HTTP and the kernel websocket, as a browser would do it."""

    def __init__(self, base: str, code: str, quiz_labels: list[str]):
        self.base = base
        self.code = code
        self.quiz_labels = quiz_labels
        self.usable: float | None = None
        self.error: str | None = None
        self.ws = None
        self.states: dict = {}

    async def arrive(self, delay: float) -> None:
        from tornado.httpclient import AsyncHTTPClient

        await asyncio.sleep(delay)
        client = AsyncHTTPClient()
        t0 = time.perf_counter()
        try:
            body = urllib.parse.urlencode({"kod": self.code, "bord": "Bord 1"})
            r = await client.fetch(
                self.base + "/delta",
                method="POST",
                body=body,
                follow_redirects=False,
                raise_error=False,
                request_timeout=TIMEOUT,
            )
            if r.code != 303:
                raise RuntimeError(f"join gav HTTP {r.code}")
            r = await client.fetch(self.base + r.headers["Location"], request_timeout=TIMEOUT)
            html = r.body.decode()
            self.ws, self.states = await widget_states(self.base, html, t0 + TIMEOUT)
            self.usable = time.perf_counter() - t0
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:200]

    async def open_quiz(self, quiz_index: int) -> bool:
        """Choose the quiz in the 'Övning:' list and wait for its widgets, as a participant would."""
        if self.ws is None or not self.states:
            return False
        picker = next(
            (
                mid
                for mid, st in self.states.items()
                if st.get("state", {}).get("_model_name") == "DropdownModel"
                and st["state"].get("description") == "Övning:"
            ),
            None,
        )
        if picker is None:
            return False
        self.ws.write_message(
            message(
                "comm_msg",
                {"comm_id": picker, "data": {"method": "update", "state": {"index": quiz_index}, "buffer_paths": []}},
            )
        )
        self.radio = self.button = None
        deadline = time.perf_counter() + TIMEOUT
        try:
            while self.radio is None or self.button is None:
                raw = await asyncio.wait_for(self.ws.read_message(), timeout=max(0.1, deadline - time.perf_counter()))
                if raw is None:
                    return False
                if isinstance(raw, bytes):
                    continue
                msg = json.loads(raw)
                if msg["header"]["msg_type"] != "comm_open":
                    continue
                state = msg["content"].get("data", {}).get("state", {})
                if (
                    state.get("_model_name") == "RadioButtonsModel"
                    and list(state.get("_options_labels", [])) == self.quiz_labels
                ):
                    self.radio = msg["content"]["comm_id"]
                if state.get("_model_name") == "ButtonModel" and state.get("description") == "Rätta svaret":
                    self.button = msg["content"]["comm_id"]
        except TimeoutError:
            return False
        return True

    def answer(self) -> bool:
        """Pick the first choice of the quiz's first question and press 'Rätta svaret'."""
        if getattr(self, "radio", None) is None or getattr(self, "button", None) is None:
            return False
        self.ws.write_message(
            message(
                "comm_msg",
                {"comm_id": self.radio, "data": {"method": "update", "state": {"index": 0}, "buffer_paths": []}},
            )
        )
        self.ws.write_message(
            message("comm_msg", {"comm_id": self.button, "data": {"method": "custom", "content": {"event": "click"}}})
        )
        return True


def kernel_memory(server_pid: int | None = None) -> list[tuple[float, float]]:
    """(RSS MB, PSS MB) of every ipykernel process started by the samverkan server with pid ``server_pid``
    (its own and its fork server's children), or without it, by any samverkan server on the machine."""
    from tests.attacks import server_kernels

    out = []
    mine = {str(pid) for pid in server_kernels(server_pid)} if server_pid else None
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or (mine is not None and pid not in mine):
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if "ipykernel_launcher" not in cmd or "HistoryManager.enabled=False" not in cmd:
                continue
            rss = pss = 0.0
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) / 1024
            out.append((rss, pss))
        except (OSError, ValueError):
            continue
    return out


def browser_probe(base: str, code: str, delay: float, result: dict) -> None:
    """A real chromium: navigation to the first exercise shown and usable."""
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    try:
        with sync_playwright() as p:
            # Launched before its turn: in a real room the browser runs on the participant's own device.
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page()
            time.sleep(max(0.0, delay - (time.perf_counter() - start)))
            t0 = time.perf_counter()
            page.goto(f"{base}/delta?kod={code}")
            page.get_by_role("button", name="Gå med").click()
            page.wait_for_selector("text=Övning 1 av", timeout=TIMEOUT * 1000)
            result["browser_usable_s"] = time.perf_counter() - t0
            b.close()
    except Exception as exc:
        result["browser_error"] = f"{type(exc).__name__}: {exc}"[:200]


def dashboard_lag(base: str, key: str, store: Store, code: str, samples: int = 5) -> list[float]:
    from playwright.sync_api import sync_playwright

    session = store.session_by_code(code)
    lags = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = b.new_page()
        page.goto(f"{base}/voila/render/handledarvy.ipynb?nyckel={key}")
        page.wait_for_selector(".sv-code", timeout=TIMEOUT * 1000)
        select = page.locator("select").filter(has_text=code).first
        select.select_option(select.locator("option", has_text=code).first.get_attribute("value"))
        page.wait_for_function(f"document.querySelector('.sv-code').textContent == '{code}'", timeout=20_000)
        page.wait_for_selector(".sv-answers", timeout=20_000)
        quiz = loader.load_kit(paths.kit_root()).exercises["principer-quiz"]
        for n in range(samples):
            before = store.stats(session.id).answers
            p_ = store.join(code, "Bord 2")
            time.sleep(0.37 * n)  # not in step with the dashboard's one-second look
            t0 = time.perf_counter()
            store.record(p_.token, quiz.id, quiz.questions[1].id, quiz.questions[1].kind, 0, False)
            page.wait_for_function(
                f"document.querySelector('.sv-answers').textContent == '{before + 1}'", timeout=20_000
            )
            lags.append(time.perf_counter() - t0)
        b.close()
    return lags


def _store_writer(url: str, code: str, n: int, q) -> None:
    s = Store(url, create=False)
    p = s.join(code)
    t0 = time.perf_counter()
    for i in range(n):
        s.record(p.token, "bench", f"item-{i}", "single_choice", i % 4, True)
    q.put(time.perf_counter() - t0)


def store_rate(url: str, code: str, writers: int = 8, each: int = 250) -> float:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_store_writer, args=(url, code, each, q)) for _ in range(writers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    return writers * each / elapsed


async def run_room(
    base: str, code: str, n: int, quiz_labels: list[str], quiz_index: int, store: Store, session_id: int
) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=400)
    people = [Participant(base, code, quiz_labels) for _ in range(n)]
    delays = [WINDOW * i / max(n - 1, 1) if n > 1 else 0.0 for i in range(n)]
    await asyncio.gather(*(p.arrive(d) for p, d in zip(people, delays)))
    times = [p.usable for p in people if p.usable is not None]
    errors = [p.error for p in people if p.error]
    # Everyone opens the quiz, then answers at once, through their own kernel.
    await asyncio.gather(*(p.open_quiz(quiz_index) for p in people))
    before = store.stats(session_id).answers
    t0 = time.perf_counter()
    sent = sum(p.answer() for p in people)
    deadline = t0 + 60
    while store.stats(session_id).answers - before < sent and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    took = time.perf_counter() - t0
    arrived = store.stats(session_id).answers - before
    for p in people:
        if p.ws is not None:
            p.ws.close()
    return {
        "usable_p50_s": pct(times, 50),
        "usable_p95_s": pct(times, 95),
        "usable_max_s": max(times, default=float("nan")),
        "failed_or_hung": len(errors),
        "errors": errors[:5],
        "usable_in_arrival_order_s": [round(p.usable, 2) if p.usable is not None else None for p in people],
        "answers_sent": sent,
        "answers_stored": arrived,
        "end_to_end_answers_per_s": arrived / took if took else 0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1,10,50,150")
    ap.add_argument("--no-browser", action="store_true", help="skip the chromium probes")
    ap.add_argument("--window", type=float, default=10.0, help="seconds over which the room arrives (10)")
    args = ap.parse_args()
    global WINDOW
    WINDOW = args.window
    sizes = [int(s) for s in args.sizes.split(",")]
    kit = loader.load_kit(paths.kit_root())
    from samverkan.render.markdown import plain

    quiz = kit.exercises["principer-quiz"]
    labels = [plain(c.text, "standard") for c in quiz.questions[0].choices]
    order = [e for section in kit.lessons[LESSON].sections for e in section.exercises]
    quiz_index = order.index(quiz.id)
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-verkstad-") as tmp:
            db = Path(tmp) / "bench.sqlite"
            t0 = time.perf_counter()
            with workshop_server(db, room_size=n, timeout=600) as (base, key):
                ready = time.perf_counter() - t0
                store = Store(db, create=False)
                session = store.create_session(f"Bänk {n}", LESSON, cap=n + 20)  # + the dashboard probe's joins
                probe: dict = {}
                room = asyncio.run(run_room(base, session.code, n, labels, quiz_index, store, session.id))
                mem = kernel_memory(server_pid(base))
                if not args.no_browser:
                    # After the burst, with the room's kernels still running: a real browser on this
                    # machine would take the CPU the server needs during the burst (on 2 cores, rendering
                    # the page's 224 widgets in chromium took 2-3 s of CPU and doubled everyone else's
                    # time); in a real room each browser runs on its own device.
                    browser_probe(base, session.code, 0.0, probe)
                lag = [] if args.no_browser else dashboard_lag(base, key, store, session.code)
                rate = store_rate(store.url, session.code) if n == sizes[-1] else None
                row = {
                    "participants": n,
                    "prepare_s": ready,
                    **room,
                    **probe,
                    "kernels": len(mem),
                    "kernel_rss_mb_median": statistics.median(r for r, _ in mem) if mem else None,
                    "kernel_pss_mb_median": statistics.median(p for _, p in mem) if mem else None,
                    "dashboard_lag_s_median": statistics.median(lag) if lag else None,
                    "dashboard_lag_s_max": max(lag) if lag else None,
                    "store_answers_per_s_8_writers": rate,
                }
                store.close()
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    print(f"\nAnkomst utspridd över {WINDOW:g} s.")
    print(
        "\n| deltagare | förberedelse | sida→användbar p50 / p95 / max | chromium efter skuren | misslyckade | RSS / PSS per kärna "
        "| svar/s genom kärnorna | handledarvy, fördröjning median / max |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        browser = f"{r['browser_usable_s']:.2f} s" if "browser_usable_s" in r else r.get("browser_error", "–")
        lag = (
            f"{r['dashboard_lag_s_median']:.2f} / {r['dashboard_lag_s_max']:.2f} s"
            if r["dashboard_lag_s_median"] is not None
            else "–"
        )
        print(
            f"| {r['participants']} | {r['prepare_s']:.0f} s | {r['usable_p50_s']:.2f} / {r['usable_p95_s']:.2f} / "
            f"{r['usable_max_s']:.2f} s | {browser} | {r['failed_or_hung']} | "
            f"{r['kernel_rss_mb_median']:.0f} / {r['kernel_pss_mb_median']:.0f} MB | "
            f"{r['end_to_end_answers_per_s']:.0f} ({r['answers_stored']}/{r['answers_sent']}) | {lag} |"
        )
    rate = results[-1].get("store_answers_per_s_8_writers")
    if rate:
        print(f"\nStore alone, 8 writer processes: {rate:.0f} answers/s (SQLite WAL, synchronous=FULL).")
    suffix = "" if WINDOW == 10.0 else f"-{WINDOW:g}s"
    out = ROOT / "bench" / "results" / f"workshop-{dt.date.today().isoformat()}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nSparat i {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
