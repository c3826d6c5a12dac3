"""Start-up benchmark: what every notebook run pays before the first cell.

    .venv/bin/python bench/startup.py [--runs N] [--compare OTHER_CHECKOUT]

Measures, as the median of N fresh processes:
* ``import nbformat`` without and with the lazy IRI-grammar hook (samverkan.speedups);
* ``import samverkan.widgets`` (what a lesson or participant kernel imports);
* ``samverkan.load_kit()`` of the whole kit, timed inside the process (every notebook and every
  preheated participant kernel pays it);
* a full papermill run of each lesson (one parameter combination), in a fresh process.

With ``--compare``, every measurement runs alternately against this checkout and the other one
(its ``modules/`` first on ``PYTHONPATH``, its notebooks and kit), round by round, so that a noisy
machine affects both alike; the table has one column per checkout. Writes
bench/results/startup.json (or startup-compare.json) and prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSONS = (
    "01-borja-har",
    "02-civilsamhallet",
    "03-principer",
    "04-overenskommelsen",
    "05-samverkansformer",
    "06-upphandling",
    "07-iop",
    "08-dialog-till-verkstad",
)
WITHOUT_HOOK = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != '_samverkan_lazy_imports']; "
)
LOAD_KIT = "import time, samverkan; t = time.perf_counter(); samverkan.load_kit(); print(time.perf_counter() - t)"


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root / "modules")  # absolute: kernels start in another folder
    env.pop("SAMVERKAN_HOME", None)
    return env


def one_process(code: str, root: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=_env(root), cwd=root)
    return time.perf_counter() - start


def in_process(code: str, root: Path) -> float:
    """The time the code itself prints (what happens after the imports)."""
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=_env(root), cwd=root
    )
    return float(out.stdout.strip().splitlines()[-1])


def papermill_run(lesson: str, root: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3",
                str(root / "notebooks" / f"{lesson}.ipynb"), str(Path(tmp) / "out.ipynb"),
                "--cwd", str(root / "notebooks"), "-p", "audience", "fortroendevald", "-p", "level", "lattlast",
            ],
            check=True, capture_output=True, env=_env(root),
        )  # fmt: skip
        return time.perf_counter() - start


def measurements() -> dict[str, tuple]:
    out: dict[str, tuple] = {
        "python -c pass": (one_process, "pass"),
        "import nbformat (utan snabbstart)": (one_process, WITHOUT_HOOK + "import nbformat"),
        "import nbformat (med snabbstart)": (one_process, "import nbformat"),
        "import samverkan.widgets": (one_process, "import samverkan.widgets"),
        "samverkan.load_kit() (i processen)": (in_process, LOAD_KIT),
    }
    for lesson in LESSONS:
        out[f"papermill {lesson} (hel körning)"] = (papermill_run, lesson)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout of the kit to measure alternately")
    args = parser.parse_args()
    roots = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    samples: dict[str, list[list[float]]] = {name: [[] for _ in roots] for name in measurements()}
    for name, (how, what) in measurements().items():
        runs = args.runs if how is not papermill_run else max(1, args.runs // 2)
        for _ in range(runs):
            for i, root in enumerate(roots):
                samples[name][i].append(how(what, root))
    medians = {name: [round(statistics.median(s), 3) for s in per_root] for name, per_root in samples.items()}
    result_file = ROOT / "bench" / "results" / ("startup-compare.json" if args.compare else "startup.json")
    payload = (
        {"roots": [str(r) for r in roots], "runs": args.runs, "medians": medians}
        if args.compare
        else {name: m[0] for name, m in medians.items()}
    )
    result_file.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    head = " | ".join(str(r) for r in roots)
    print(f"| mätning (median av {args.runs}) | {head} |\n|---|" + "---|" * len(roots))
    for name, m in medians.items():
        print(f"| {name} | " + " | ".join(f"{x:.2f}" for x in m) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
