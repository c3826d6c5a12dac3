"""Led-room benchmark: the facilitator releases exercises and reveals the tally, for a room of N.

    .venv/bin/python bench/room.py                  # a room of 150
    .venv/bin/python bench/room.py --size 30        # a smaller room

A fresh ``samverkan serve --room-size N`` starts on a loopback port with its own SQLite file, and
a session in the led mode (handledarstyrt) with the quiz and the free-text exercise of lesson 03.
Then, with simulated participants doing what a browser does (join form, page, kernel websocket,
widget states; ``bench/workshop.py``'s ``Participant``):

* **arrival**: N participants arrive spread evenly over 10 seconds; page to usable p50/p95/max;
* **release → every page**: the facilitator presses Nästa on the presenter page (a real POST with
  the facilitator's cookie); for each participant the time until their kernel sends the update
  that shows "Övning 1 av" (what the phone then draws). Measured twice: the first release (the
  exercise was built while waiting) and the next one (built ahead while the first was on screen);
* **answers → projector's tally**: the N participants answer the quiz's first question spread over
  10 seconds through their own kernels; the presenter page's state (``/handledare/storbild/lage``,
  which the projector asks for once a second) is read every 0.1 s until it says "N av N har
  svarat"; the time after the last answer was sent. The projector itself adds up to 1 s (its poll);
* **memory** per participant kernel (RSS and PSS, median) and the time to prepare the places.

Results go to stdout and ``bench/results/room-DATE-N.json``. The machine is noisy (2 shared cores):
compare runs made in one sitting. Every load is bounded (N ≤ 200, a 60 s timeout per phase).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.servers import workshop_server
from workshop import Participant, kernel_memory, pct  # bench/workshop.py

from samverkan.content import loader, paths
from samverkan.render.markdown import plain
from samverkan.workshop.store import Store

LESSON = "03-principer"
QUIZ = "principer-quiz"
EXERCISES = [QUIZ, "principer-reflektion"]
TIMEOUT = 60.0


class LedParticipant(Participant):
    """A participant who also listens: every message from their kernel is read in the background."""

    def start_listening(self) -> None:
        self.marks: dict[str, float] = {}
        self.radio = self.button = None
        for model_id, st in self.states.items():  # built before the states were asked for
            self._note(model_id, st.get("state", {}))
        self.task = asyncio.get_running_loop().create_task(self._listen())

    def _note(self, model_id: str, state: dict) -> None:
        if state.get("_model_name") == "RadioButtonsModel" and list(state.get("_options_labels", [])) == (
            self.quiz_labels
        ):
            self.radio = model_id
        if state.get("_model_name") == "ButtonModel" and state.get("description") == "Rätta svaret":
            self.button = model_id

    async def _listen(self) -> None:
        while self.ws is not None:
            raw = await self.ws.read_message()
            if raw is None:
                return
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            kind = msg["header"]["msg_type"]
            data = msg.get("content", {}).get("data", {})
            state = data.get("state", {}) if isinstance(data, dict) else {}
            if kind == "comm_open":
                self._note(msg["content"]["comm_id"], state)
            value = state.get("value")
            if isinstance(value, str):
                for n in (1, 2):
                    mark = f"Övning {n} av"
                    if mark in value and mark not in self.marks:
                        self.marks[mark] = time.perf_counter()


async def login(base: str, key: str) -> str:
    """The facilitator's cookie header, from the login form (as a browser gets it)."""
    from tornado.httpclient import AsyncHTTPClient

    r = await AsyncHTTPClient().fetch(
        base + "/handledare",
        method="POST",
        body=urllib.parse.urlencode({"nyckel": key}),
        follow_redirects=False,
        raise_error=False,
    )
    cookie = r.headers.get("Set-Cookie", "")
    if not cookie.startswith("samverkan_handledare="):
        raise RuntimeError(f"ingen handledarkaka (HTTP {r.code})")
    return cookie.split(";", 1)[0]


async def press(base: str, cookie: str, code: str, action: str, **values: str) -> None:
    """One of the presenter page's buttons, as the browser posts it."""
    from tornado.httpclient import AsyncHTTPClient

    r = await AsyncHTTPClient().fetch(
        base + "/handledare/storbild",
        method="POST",
        body=urllib.parse.urlencode({"pass": code, "atgard": action, **values}),
        headers={"Cookie": cookie},
        follow_redirects=False,
        raise_error=False,
    )
    if r.code != 303:
        raise RuntimeError(f"storbilden svarade HTTP {r.code}")


async def stage_says(base: str, cookie: str, code: str, text: str, deadline: float) -> float | None:
    """Read the presenter's state every 0.1 s until its stage contains ``text``; when it did (perf_counter)."""
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient()
    while time.perf_counter() < deadline:
        r = await client.fetch(
            f"{base}/handledare/storbild/lage?pass={code}", headers={"Cookie": cookie}, raise_error=False
        )
        if r.code == 200 and text in json.loads(r.body)["html"]:
            return time.perf_counter()
        await asyncio.sleep(0.1)
    return None


async def release(people: list[LedParticipant], base: str, cookie: str, code: str, mark: str) -> list[float]:
    """Press Nästa; each participant's time until their page shows ``mark`` (None entries: never)."""
    t0 = time.perf_counter()
    await press(base, cookie, code, "nasta")
    deadline = t0 + TIMEOUT
    while time.perf_counter() < deadline and any(mark not in p.marks for p in people if p.ws is not None):
        await asyncio.sleep(0.02)
    return [p.marks[mark] - t0 for p in people if mark in p.marks]


async def run(base: str, key: str, code: str, n: int, labels: list[str], window: float, quiz_steps: int) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=400)
    people = [LedParticipant(base, code, labels) for _ in range(n)]
    delays = [window * i / max(n - 1, 1) if n > 1 else 0.0 for i in range(n)]
    await asyncio.gather(*(p.arrive(d) for p, d in zip(people, delays)))
    usable = [p.usable for p in people if p.usable is not None]
    errors = [p.error for p in people if p.error]
    for p in people:
        if p.ws is not None:
            p.start_listening()
    await asyncio.sleep(2.0)  # the room waits for the facilitator (their kernels build what comes first)
    cookie = await login(base, key)
    first = await release(people, base, cookie, code, "Övning 1 av")
    # The answers: spread over the window, each through the participant's own kernel.
    waited = time.perf_counter() + 10
    while time.perf_counter() < waited and any(p.radio is None for p in people if p.ws is not None):
        await asyncio.sleep(0.05)
    sent = 0

    async def answer_later(p: LedParticipant, delay: float) -> None:
        nonlocal sent
        await asyncio.sleep(delay)
        sent += p.answer()  # bench/workshop.py: the first choice, then "Rätta svaret"

    t_answers = time.perf_counter()
    await asyncio.gather(*(answer_later(p, d) for p, d in zip(people, delays)))
    last_sent = time.perf_counter()
    done = await stage_says(base, cookie, code, f"{sent} av {n} har svarat.", last_sent + TIMEOUT)
    tally = (done - last_sent) if done is not None else None
    # Question by question through the quiz, then the next exercise (built ahead while this one showed).
    for _ in range(quiz_steps - 1):
        await press(base, cookie, code, "nasta")
        await asyncio.sleep(0.5)
    second = await release(people, base, cookie, code, "Övning 2 av")
    for p in people:
        if p.ws is not None:
            p.ws.close()
    return {
        "usable_p50_s": pct(usable, 50),
        "usable_p95_s": pct(usable, 95),
        "usable_max_s": max(usable, default=float("nan")),
        "failed_or_hung": len(errors),
        "errors": errors[:5],
        "release_pages": len(first),
        "release_p50_s": pct(first, 50),
        "release_p95_s": pct(first, 95),
        "release_max_s": max(first, default=float("nan")),
        "next_release_pages": len(second),
        "next_release_p50_s": pct(second, 50),
        "next_release_p95_s": pct(second, 95),
        "next_release_max_s": max(second, default=float("nan")),
        "answers_sent": sent,
        "answers_window_s": last_sent - t_answers,
        "tally_after_last_answer_s": tally,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=150, help="participants (150; at most 200)")
    ap.add_argument("--window", type=float, default=10.0, help="seconds over which they arrive and answer (10)")
    args = ap.parse_args()
    if not 1 <= args.size <= 200:
        ap.error("--size ska vara mellan 1 och 200")
    kit = loader.load_kit(paths.kit_root())
    labels = [plain(c.text, "standard") for c in kit.exercises[QUIZ].questions[0].choices]
    with tempfile.TemporaryDirectory(prefix="bench-rum-") as tmp:
        db = Path(tmp) / "bench.sqlite"
        t0 = time.perf_counter()
        with workshop_server(db, room_size=args.size, timeout=900) as (base, key):
            prepare = time.perf_counter() - t0
            store = Store(db, create=False)
            session = store.create_session(
                f"Bänk {args.size}", LESSON, cap=args.size + 5, exercises=EXERCISES, mode="ledd"
            )
            from samverkan.workshop.presenter import step_counts

            quiz_steps = dict(step_counts(kit, session, store.details(session.id)))[QUIZ]
            row = asyncio.run(run(base, key, session.code, args.size, labels, args.window, quiz_steps))
            mem = kernel_memory()
            stats = store.stats(session.id)
            store.close()
    row = {
        "participants": args.size,
        "prepare_s": prepare,
        **row,
        "answers_stored": stats.answers,
        "kernels": len(mem),
        "kernel_rss_mb_median": statistics.median(r for r, _ in mem) if mem else None,
        "kernel_pss_mb_median": statistics.median(p for _, p in mem) if mem else None,
    }
    print(json.dumps(row, ensure_ascii=False, indent=1))
    tally = "–" if row["tally_after_last_answer_s"] is None else f"{row['tally_after_last_answer_s']:.2f}"
    print(
        f"\n| deltagare | förberedelse | ankomst p95 | släpp → sidan p50 / p95 / max | nästa släpp p95 / max "
        f"| svar → storbildens summa | minne per kärna RSS / PSS |\n|---|---|---|---|---|---|---|\n"
        f"| {row['participants']} | {row['prepare_s']:.0f} s | {row['usable_p95_s']:.2f} s | "
        f"{row['release_p50_s']:.2f} / {row['release_p95_s']:.2f} / {row['release_max_s']:.2f} s "
        f"({row['release_pages']} sidor) | {row['next_release_p95_s']:.2f} / {row['next_release_max_s']:.2f} s | "
        f"{tally} s "
        f"({row['answers_stored']} svar) | {row['kernel_rss_mb_median']:.0f} / {row['kernel_pss_mb_median']:.0f} MB |"
    )
    out = ROOT / "bench" / "results" / f"room-{dt.date.today().isoformat()}-{args.size}.json"
    out.write_text(json.dumps(row, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nSparat i {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
