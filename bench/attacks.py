"""A room arriving while someone in it attacks the server.

    .venv/bin/python bench/attacks.py                       # a room of 100 over 10 s, every attack in turn
    .venv/bin/python bench/attacks.py --room 50 --attacks quiet,binary-frame

For each attack (and once without: ``quiet``) a fresh ``samverkan serve --room-size N`` starts on a
loopback port with its own SQLite file. N real participants (simulated as a browser does it, see
``bench/workshop.py``) arrive evenly over 10 s while one hostile script, started at the same moment
in a process of its own, runs the attack from ``tests/attacks.py``:

* ``binary-frame``: a widget update with binary buffers (legacy format) to the attacker's own
  participant page's kernel (as are ``never-read`` and ``crafted-flood``);
* ``query-socket``: request-info sockets for random kernel ids opened and closed, 5 rounds;
* ``page-storm``: 60 anonymous page requests over 10 s;
* ``tab-storm``: one participant's link opened in 50 tabs;
* ``join-flood``: 2 000 join requests as fast as the server takes them;
* ``never-read``: 3 000 requests on a websocket whose replies are never read;
* ``crafted-flood``: 2 000 crafted widget updates.

Figures per run: page to usable for the real participants (p50, p95, max), failed or hung pages,
the server's memory (RSS) before and at its peak, the most kernels running at once, and the
slowest ``/status`` answer while the attack ran. Results go to stdout and to
``bench/results/attacks-DATE.json``. To measure the code before a change, run the same script with
``PYTHONPATH`` pointing at an older checkout's ``modules`` (the README says how the figures were made).
Every loop is bounded; every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests import attacks
from tests.servers import workshop_server
from workshop import Participant, pct

from samverkan.workshop.store import Store

WINDOW = 10.0
LESSON = "03-principer"


def hostile_process(name: str, base: str, code: str, queue) -> None:
    """The attacker in a process of its own, so that its loop never slows the simulated room's."""
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=100)
    try:
        note = asyncio.run(asyncio.wait_for(hostile(name, base, code), 90))
    except Exception as exc:
        note = type(exc).__name__
    queue.put(note)


async def hostile(name: str, base: str, code: str) -> str:
    """Run one attack; returns a short note of how it went for the attacker."""
    if name == "quiet":
        return ""
    # The attacker uses a participant's page of its own: anonymous pages wait while the room arrives.
    if name == "binary-frame":
        return await attacks.binary_frame(base, code=code)
    if name == "query-socket":
        await attacks.query_socket_trick(base, rounds=5)
        return ""
    if name == "page-storm":
        return json.dumps(await attacks.page_storm(base, count=60, seconds=10))
    if name == "tab-storm":
        r = await attacks.fetch(base + "/delta", method="POST", body=urllib.parse.urlencode({"kod": code, "bord": ""}))
        return json.dumps(await attacks.tab_storm(base, r.headers.get("Location", "/"), tabs=50))
    if name == "join-flood":
        return json.dumps(await attacks.join_flood(base, code, count=2000, concurrency=50))
    if name == "never-read":
        await attacks.never_read(base, requests=3000, seconds=20, code=code)
        return ""
    if name == "crafted-flood":
        await attacks.crafted_flood(base, messages=2000, code=code)
        return ""
    raise SystemExit(f"Okänd attack: {name}")


async def run(name: str, base: str, store: Store, code: str, n: int) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=400)
    pid = attacks.server_pid(base)
    rss_before = attacks.rss_mb(pid)
    peaks = {"rss": rss_before, "kernels": len(attacks.server_kernels(pid)), "status": 0.0, "status_fail": 0}

    async def watch() -> None:
        while True:
            peaks["rss"] = max(peaks["rss"], attacks.rss_mb(pid))
            peaks["kernels"] = max(peaks["kernels"], len(attacks.server_kernels(pid)))
            t = await attacks.status_time(base, timeout=2)
            if t is None:
                peaks["status_fail"] += 1
            else:
                peaks["status"] = max(peaks["status"], t)
            await asyncio.sleep(0.5)

    watcher = asyncio.ensure_future(watch())
    people = [Participant(base, code, []) for _ in range(n)]
    delays = [WINDOW * i / max(n - 1, 1) for i in range(n)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    attacker = ctx.Process(target=hostile_process, args=(name, base, code, queue))
    attacker.start()
    await asyncio.gather(*(p.arrive(d) for p, d in zip(people, delays)))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, attacker.join, 100)
    if attacker.is_alive():
        attacker.kill()
    note = queue.get() if not queue.empty() else "no answer"
    await asyncio.sleep(2)
    watcher.cancel()
    for p in people:
        if p.ws is not None:
            p.ws.close()
    times = [p.usable for p in people if p.usable is not None]
    return {
        "attack": name,
        "room": n,
        "usable_p50_s": pct(times, 50),
        "usable_p95_s": pct(times, 95),
        "usable_max_s": max(times, default=float("nan")),
        "failed_or_hung": sum(1 for p in people if p.error or p.usable is None),
        "errors": [p.error for p in people if p.error][:3],
        "rss_before_mb": rss_before,
        "rss_peak_mb": peaks["rss"],
        "kernels_peak": peaks["kernels"],
        "status_slowest_s": peaks["status"],
        "status_unanswered": peaks["status_fail"],
        "attacker_saw": note[:200],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Ett rum som kommer in medan någon angriper servern.")
    parser.add_argument("--room", type=int, default=100, help="antal riktiga deltagare (standard 100)")
    parser.add_argument(
        "--attacks",
        default="quiet,binary-frame,query-socket,page-storm,tab-storm,join-flood,never-read,crafted-flood",
        help="kommaseparerad lista",
    )
    parser.add_argument("--label", default="", help="namn på körningen i resultatfilen (till exempel före)")
    args = parser.parse_args()
    results = []
    for name in args.attacks.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.sqlite"
            with workshop_server(db, room_size=args.room, timeout=600) as (base, _key):
                store = Store(db, create=False)
                try:
                    session = store.create_session(f"Bänk {name}", LESSON, cap=args.room + 60)
                except TypeError:  # a store from before session caps
                    session = store.create_session(f"Bänk {name}", LESSON)
                result = asyncio.run(run(name, base, store, session.code, args.room))
                store.close()
        results.append(result)
        print(
            f"{name:14} p50 {result['usable_p50_s']:.2f} s  p95 {result['usable_p95_s']:.2f} s  "
            f"max {result['usable_max_s']:.2f} s  misslyckade {result['failed_or_hung']:3}  "
            f"minne {result['rss_before_mb']:.0f} → {result['rss_peak_mb']:.0f} MB  kärnor ≤ {result['kernels_peak']}  "
            f"/status ≤ {result['status_slowest_s']:.2f} s ({result['status_unanswered']} obesvarade)  "
            f"{result['attacker_saw']}",
            flush=True,
        )
    out = (
        ROOT
        / "bench"
        / "results"
        / f"attacks-{dt.date.today().isoformat()}{('-' + args.label) if args.label else ''}.json"
    )
    out.write_text(
        json.dumps(
            {"date": dt.datetime.now().isoformat(timespec="seconds"), "window_s": WINDOW, "results": results},
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    print(f"Resultat: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
