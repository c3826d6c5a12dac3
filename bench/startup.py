"""Start-up benchmark: what every notebook run pays before the first cell.

    .venv/bin/python bench/startup.py [--runs N]

Measures, as the median of N fresh processes:
* ``import nbformat`` without and with the lazy IRI-grammar hook (samverkan.speedups);
* ``import samverkan.widgets`` (what a lesson or participant kernel imports);
* a full papermill run of each lesson (one parameter combination), in a fresh process.
Writes bench/results/startup.json and prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_HOOK = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != '_samverkan_lazy_imports']; "
)


def timed(code: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def papermill_run(lesson: str, runs: int) -> float:
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "papermill",
                    "--no-progress-bar",
                    "-k",
                    "python3",
                    str(ROOT / "notebooks" / f"{lesson}.ipynb"),
                    str(Path(tmp) / "out.ipynb"),
                    "--cwd",
                    str(ROOT / "notebooks"),
                    "-p",
                    "audience",
                    "fortroendevald",
                    "-p",
                    "level",
                    "lattlast",
                ],
                check=True,
                capture_output=True,
            )
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "modules"))
    from samverkan.content import loader

    results = {
        "python -c pass": timed("pass", args.runs),
        "import nbformat (utan snabbstart)": timed(WITHOUT_HOOK + "import nbformat", args.runs),
        "import nbformat (med snabbstart)": timed("import nbformat", args.runs),
        "import samverkan.widgets": timed("import samverkan.widgets", args.runs),
    }
    for lesson in sorted(loader.load_kit().lessons):
        results[f"papermill {lesson} (hel körning)"] = papermill_run(lesson, max(1, args.runs // 2))
    out = ROOT / "bench" / "results" / "startup.json"
    out.write_text(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2, ensure_ascii=False) + "\n")
    print(f"| mätning (median av {args.runs}) | sekunder |\n|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
