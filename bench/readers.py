"""Self-study readers at once: how many the lesson reader serves on this machine, and how fast.

    .venv/bin/python bench/readers.py [--readers 200] [--arrive 200] [--minutes 3] [--lesson 03-principer]

Starts the real ``samverkan serve --room-size 0 --readers N`` on loopback. N simulated readers arrive
evenly over ``--arrive`` seconds, each as a browser would: the reader page over HTTP (a refused page,
503 or 429, is asked for again two seconds later, as a person reloading), then the kernel websocket and
the widgets' states. Once a reader's page is usable it acts at a realistic pace, a click on "Nästa" (or
"Föregående" at the end) on average every 20 s (exponential gaps), until ``--minutes`` after the last
arrival; an action is done when the page's "Del k av n" has changed.

Prints and writes bench/results/readers-<date>.json: page to usable (p50, p95, max), action to the new
page (p50, p95, max), failed pages and actions, and memory per reader kernel (RSS and PSS, MB).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.workshop import kernel_memory, message, pct, widget_states
from tests.servers import workshop_server

TIMEOUT = 120.0
PACE = 20.0  # seconds between a reader's actions, on average


class Reader:
    """One simulated reader over HTTP and the kernel websocket."""

    def __init__(self, base: str, lesson: str):
        self.base, self.lesson = base, lesson
        self.usable: float | None = None
        self.error: str | None = None
        self.actions: list[float] = []
        self.failed_actions = 0
        self.ws = None
        self.states: dict = {}
        self.position = ""

    async def arrive(self, delay: float) -> None:
        from tornado.httpclient import AsyncHTTPClient

        await asyncio.sleep(delay)
        client = AsyncHTTPClient()
        t0 = time.perf_counter()
        try:
            while True:
                r = await client.fetch(
                    f"{self.base}/voila/render/lasare.ipynb?lesson={self.lesson}",
                    raise_error=False,
                    request_timeout=TIMEOUT,
                )
                if r.code in (429, 503) and time.perf_counter() - t0 < TIMEOUT:
                    await asyncio.sleep(2.0)  # a person reloading
                    continue
                break
            if r.code != 200:
                raise RuntimeError(f"sidan gav HTTP {r.code}")
            self.ws, self.states = await widget_states(self.base, r.body.decode(), t0 + TIMEOUT)
            self.next_id = self._model("ButtonModel", "Nästa")
            self.prev_id = self._model("ButtonModel", "Föregående")
            self.position_id = next(
                mid for mid, st in self.states.items() if "Del 1 av" in str(st.get("state", {}).get("value", ""))
            )
            self.position = "Del 1 av"
            self.changed = asyncio.Event()
            self.pump = asyncio.create_task(self._pump())  # a browser reads every frame (and answers pings)
            self.usable = time.perf_counter() - t0
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:200]

    def _model(self, name: str, description: str) -> str:
        return next(
            mid
            for mid, st in self.states.items()
            if st.get("state", {}).get("_model_name") == name and st["state"].get("description") == description
        )

    async def _next(self, deadline: float) -> dict:
        while True:
            raw = await asyncio.wait_for(self.ws.read_message(), timeout=max(0.1, deadline - time.perf_counter()))
            if raw is None:
                raise RuntimeError("websocket stängdes")
            if isinstance(raw, bytes):
                continue
            return json.loads(raw)

    async def _pump(self) -> None:
        """Read every message as a browser does, noting the page's "Del k av n" as it changes."""
        try:
            while True:
                raw = await self.ws.read_message()
                if raw is None:
                    return
                if isinstance(raw, bytes):
                    continue
                msg = json.loads(raw)
                content = msg.get("content", {})
                if content.get("comm_id") != self.position_id:
                    continue
                found = re.search(r"Del (\d+) av (\d+)", str(content.get("data", {}).get("state", {}).get("value", "")))
                if found and found.group(0) != self.position:
                    self.position = found.group(0)
                    self.changed.set()
        except Exception:
            return

    async def read_on(self, until: float, rng: random.Random) -> None:
        """Act about every PACE seconds until ``until`` (perf_counter time)."""
        if self.usable is None:
            return
        forward = True
        while True:
            gap = rng.expovariate(1.0 / PACE)
            if time.perf_counter() + gap > until:
                return
            await asyncio.sleep(gap)
            button = self.next_id if forward else self.prev_id
            t0 = time.perf_counter()
            try:
                self.changed.clear()
                self.ws.write_message(
                    message(
                        "comm_msg", {"comm_id": button, "data": {"method": "custom", "content": {"event": "click"}}}
                    )
                )
                await asyncio.wait_for(self.changed.wait(), timeout=TIMEOUT)
                found = re.search(r"Del (\d+) av (\d+)", self.position)
                k, n = int(found.group(1)), int(found.group(2))
                forward = k < n if forward else k == 1
                self.actions.append(time.perf_counter() - t0)
            except Exception as exc:
                self.failed_actions += 1
                self.error = self.error or f"handling: {type(exc).__name__}: {exc}"[:200]
                if self.pump.done():
                    return  # the socket is gone: this reader has stopped


async def run(base: str, readers: int, arrive: float, minutes: float, lesson: str) -> list[Reader]:
    rng = random.Random(7)
    people = [Reader(base, lesson) for _ in range(readers)]
    await asyncio.gather(*(p.arrive(i * arrive / max(1, readers)) for i, p in enumerate(people)))
    until = time.perf_counter() + minutes * 60
    await asyncio.gather(*(p.read_on(until, random.Random(rng.random())) for p in people))
    return people


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--arrive", type=float, default=200.0, help="sekunder som ankomsterna sprids över")
    parser.add_argument("--minutes", type=float, default=3.0, help="minuter av läsning efter sista ankomsten")
    parser.add_argument("--lesson", default="03-principer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "samverkan.sqlite"
        with workshop_server(db, room_size=0, readers=args.readers) as (base, _key):
            started = time.perf_counter()
            people = asyncio.run(run(base, args.readers, args.arrive, args.minutes, args.lesson))
            memory = kernel_memory()
            elapsed = time.perf_counter() - started
    usable = [p.usable for p in people if p.usable is not None]
    actions = [a for p in people for a in p.actions]
    result = {
        "date": dt.date.today().isoformat(),
        "readers": args.readers,
        "arrive_seconds": args.arrive,
        "reading_minutes": args.minutes,
        "lesson": args.lesson,
        "elapsed_seconds": round(elapsed, 1),
        "pages_failed": sum(1 for p in people if p.usable is None),
        "errors": sorted({p.error for p in people if p.error})[:5],
        "page_usable_s": {"p50": round(statistics.median(usable), 2) if usable else None,
                          "p95": round(pct(usable, 95), 2) if usable else None,
                          "max": round(max(usable), 2) if usable else None},
        "actions": len(actions),
        "actions_failed": sum(p.failed_actions for p in people),
        "action_s": {"p50": round(statistics.median(actions), 3) if actions else None,
                     "p95": round(pct(actions, 95), 3) if actions else None,
                     "max": round(max(actions), 3) if actions else None},
        "kernels_measured": len(memory),
        "rss_mb_mean": round(statistics.mean(r for r, _ in memory), 1) if memory else None,
        "pss_mb_mean": round(statistics.mean(p for _, p in memory), 1) if memory else None,
    }  # fmt: skip
    out = ROOT / "bench" / "results" / f"readers-{result['date']}-{args.readers}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
