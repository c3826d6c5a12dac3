"""Readability per lesson and level: LIX of everything a learner reads.

    .venv/bin/python bench/lix.py

For each lesson (lektion.yaml plus the exercises it uses) and each level, LIX of all the text
joined, the highest LIX of any passage of 10 words or more, and the estimated time (reading plus
exercises plus the planned discussion, from samverkan.logic.timing and data/tidsuppskattning.yaml)
against the lesson's own minutes. Writes bench/results/lix.json
and prints a Markdown table for the README. LIX under 30 is "mycket lätt", 30–40 "lätt",
40–50 "medelsvår", 50–60 "svår".
"""

from __future__ import annotations

import json
from pathlib import Path

from samverkan.content import loader
from samverkan.logic import timing
from samverkan.logic.readability import MIN_WORDS, iter_texts, lix, words

ROOT = Path(__file__).resolve().parents[1]


def measure() -> list[dict]:
    kit = loader.load_kit(ROOT)
    rows = []
    for lid, lesson in sorted(kit.lessons.items()):
        records = [lesson] + [kit.exercises[e] for s in lesson.sections for e in s.exercises]
        texts = [t for r in records for _, t in iter_texts(r)]
        row = {"lesson": lid, "minutes": lesson.minutes}
        estimates = timing.lesson_estimates(lesson, kit, kit.data["timing"])
        for level in ("standard", "lattlast"):
            e = estimates[level]
            shown = [t.get(level) for t in texts]
            passages = [s for s in shown if len(words(s)) >= MIN_WORDS]
            row[level] = {
                "lix": round(lix("\n\n".join(shown)), 1),
                "max": round(max(lix(s) for s in passages), 1),
                "words": sum(len(words(s)) for s in shown),
                "estimate": {
                    "minutes": round(e.minutes, 1),
                    "reading": round(e.reading_minutes, 1),
                    "exercises": round(e.exercise_minutes, 1),
                    "discussion": e.discussion,
                    "audience": e.audience,
                    "sections_over": [s.id for s in e.sections if s.over],
                },
            }
        rows.append(row)
    return rows


def main() -> None:
    rows = measure()
    out = ROOT / "bench" / "results" / "lix.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        "| lektion | tid | LIX standard | LIX lättläst | högsta LIX lättläst (ett stycke) | ord standard / lättläst "
        "| uppskattad tid standard / lättläst | avsnitt över tidsplanen |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, l_ = r["standard"], r["lattlast"]
        over = sorted(set(s["estimate"]["sections_over"]) | set(l_["estimate"]["sections_over"]))
        print(
            f"| `{r['lesson']}` | {r['minutes']} min | {s['lix']:.0f} | {l_['lix']:.0f} | {l_['max']:.0f} | "
            f"{s['words']} / {l_['words']} | {s['estimate']['minutes']:.1f} / {l_['estimate']['minutes']:.1f} min "
            f"| {', '.join(over) or '–'} |".replace(".", ",")
        )


if __name__ == "__main__":
    main()
