"""Build benchmark: a full ``samverkan build`` (every lesson × audience × level) with 1 and 2 jobs.

    .venv/bin/python bench/build.py [--jobs 1,2] [--runs 1]

Each run is ``samverkan build --force`` into a fresh folder, in a fresh process, so kernels,
papermill and the HTML pages are all paid for; then one more run without ``--force`` measures
reuse (nothing changed). Writes bench/results/build.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(out: Path, jobs: int, force: bool = True) -> float:
    cmd = [sys.executable, "-m", "samverkan.cli", "build", "--out", str(out), "--jobs", str(jobs), "--quiet"]
    if force:
        cmd.append("--force")
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, JUPYTER_PLATFORM_DIRS="1"))
    seconds = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"samverkan build misslyckades:\n{run.stdout}\n{run.stderr[-3000:]}")
    print(run.stdout.strip().splitlines()[0], file=sys.stderr)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="1,2", help="kommaseparerade antal jobb (standard 1,2)")
    parser.add_argument("--runs", type=int, default=1, help="körningar per antal jobb (median)")
    args = parser.parse_args()
    results = {"date": dt.date.today().isoformat(), "cpus": os.cpu_count(), "full": {}, "reuse_seconds": None}
    with tempfile.TemporaryDirectory(prefix="samverkan-bench-build-") as tmp:
        for jobs in (int(j) for j in args.jobs.split(",")):
            samples = [build(Path(tmp) / f"j{jobs}-{i}", jobs) for i in range(args.runs)]
            results["full"][str(jobs)] = round(statistics.median(samples), 1)
        results["reuse_seconds"] = round(build(Path(tmp) / f"j{jobs}-0", jobs, force=False), 1)
    out = ROOT / "bench" / "results" / "build.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print("| jobb | hela bygget (32 lektionsversioner, 64 sidor) |\n|---|---|")
    for jobs, seconds in results["full"].items():
        print(f"| {jobs} | {seconds:.0f} s |".replace(".", ","))
    print(f"| återanvänt (inget ändrat) | {results['reuse_seconds']:.1f} s |".replace(".", ","))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
