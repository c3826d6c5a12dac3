"""Preparation benchmark: how long ``samverkan serve --room-size N`` takes to preheat its places.

    .venv/bin/python bench/prepare.py                          # rooms of 30 and 150
    .venv/bin/python bench/prepare.py --sizes 150 --runs 2     # twice each
    .venv/bin/python bench/prepare.py --compare /tmp/before    # alternately against another checkout

For each room size N a fresh server starts on a loopback port with ``--room-size N`` and its own
SQLite file (``tests/servers.py``'s ``workshop_server``, which waits until ``/status`` reports every
place ready). Reported:

* **ready**: seconds from starting the server process until all N places are ready;
* **server CPU**: the server process's own CPU seconds (user + system, from ``/proc``) at that moment,
  its start-up included, and apart those of its helper processes (the kernels' fork server);
* **kernel CPU**: the CPU seconds of all its participant kernels together (every ``ipykernel_launcher``
  process below the server), and the median per kernel;
* **memory per kernel**: RSS and PSS (``/proc/PID/smaps_rollup``), median over the server's kernels.

With ``--compare``, every run alternates between this checkout and the other one (its ``modules/``
on ``PYTHONPATH`` and its kit), so that a noisy machine affects both alike. Only one server runs at
a time. Results go to ``bench/results/prepare-DATE.json``; the table is printed in Swedish (the README
is Swedish).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, workshop_server

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


def server_pid(port: int) -> int | None:
    """The ``samverkan serve`` process listening on ``port`` (found by its command line)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"samverkan.cli" in cmd and b"serve" in cmd and str(port).encode() in cmd:
            return int(entry)
    return None


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (a forked participant kernel is a child of the server's fork server)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def is_kernel(pid: int) -> bool:
    try:
        return b"ipykernel_launcher" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def memory(pid: int) -> tuple[float, float] | None:
    """(RSS MB, PSS MB) of one process."""
    rss = pss = None
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        return None
    return (rss, pss) if rss is not None and pss is not None else None


def watch(base: str, stop: threading.Event, timeline: list[tuple[float, int, int]], t0: float) -> None:
    """(seconds, kernels running, places ready) every half second, for the timeline."""
    while not stop.wait(0.5):
        try:
            status = json.loads(urllib.request.urlopen(base + "/status", timeout=2).read())
        except (OSError, ValueError):
            continue
        timeline.append((round(time.perf_counter() - t0, 1), status.get("karnor", 0), status["deltagarplatser_klara"]))


def one_run(n: int, checkout: Path) -> dict[str, Any]:
    env = {"PYTHONPATH": str(checkout / "modules"), "SAMVERKAN_HOME": str(checkout)}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    timeline: list[tuple[float, int, int]] = []
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        t0 = time.perf_counter()
        watcher = threading.Thread(target=watch, args=(base, stop, timeline, t0), daemon=True)
        watcher.start()
        try:
            with workshop_server(Path(tmp) / "bench.sqlite", room_size=n, port=port, timeout=900, env=env):
                ready = time.perf_counter() - t0
                stop.set()
                pid = server_pid(port)
                if pid is None:
                    raise RuntimeError("hittade inte serverprocessen")
                server_cpu = cpu_seconds(pid)
                below = descendants(pid)
                kernels = [k for k in below if is_kernel(k)]
                kernel_cpu = [cpu_seconds(k) for k in kernels]
                helper_cpu = sum(cpu_seconds(k) for k in below if k not in kernels)  # the fork server
                mem = [m for m in (memory(k) for k in kernels) if m is not None]
        finally:
            stop.set()
            watcher.join()
    return {
        "checkout": str(checkout),
        "places": n,
        "ready_s": round(ready, 2),
        "server_cpu_s": round(server_cpu, 2),
        "helper_cpu_s": round(helper_cpu, 2),
        "kernels": len(kernels),
        "kernel_cpu_s": round(sum(kernel_cpu), 2),
        "kernel_cpu_s_median": round(statistics.median(kernel_cpu), 3) if kernel_cpu else None,
        "kernel_rss_mb_median": round(statistics.median(r for r, _ in mem), 1) if mem else None,
        "kernel_pss_mb_median": round(statistics.median(p for _, p in mem), 1) if mem else None,
        "timeline": timeline,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="30,150", help="room sizes, comma separated (30,150)")
    ap.add_argument("--runs", type=int, default=1, help="runs of each size and checkout (1)")
    ap.add_argument("--compare", type=Path, help="another checkout of the kit to run alternately")
    ap.add_argument("--label", default="", help="added to the result file's name")
    args = ap.parse_args()
    checkouts = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for n in sizes:
        for _ in range(args.runs):
            for checkout in checkouts:
                row = one_run(n, checkout)
                results.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "timeline"}, ensure_ascii=False), flush=True)

    print(
        "\n| kod | platser | klart efter | serverns CPU (+ hjälpprocess) | kärnornas CPU (median per kärna) "
        "| RSS / PSS per kärna (median) |\n|---|---|---|---|---|---|"
    )
    for r in results:
        cpu = f"{r['kernel_cpu_s']:.1f} s ({r['kernel_cpu_s_median']:.2f} s)" if r["kernels"] else "–"
        mem = f"{r['kernel_rss_mb_median']:.0f} / {r['kernel_pss_mb_median']:.0f} MB" if r["kernels"] else "–"
        print(
            f"| {Path(r['checkout']).name} | {r['places']} | {r['ready_s']:.1f} s | {r['server_cpu_s']:.1f} s "
            f"(+ {r['helper_cpu_s']:.1f} s) | {cpu} | {mem} |"
        )
    suffix = f"-{args.label}" if args.label else ""
    out = ROOT / "bench" / "results" / f"prepare-{dt.date.today().isoformat()}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nSparat i {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
