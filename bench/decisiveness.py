"""How decisive is Samverkansformväljaren on its case bank? (issue 16)

For every case in ``exercises/samverkansform/fall.yaml`` the tool's verdict is compared with the
case's expected form. A case is *partial* when none of the later questions
(``shared_ownership``, ``work_integration``, ``public_control``, ``region_primary_care``,
``valfrihetssystem``) is answered, as an officer fills in the original questions; otherwise *full*.

Columns: cases; *konkret form* (the tool names a form, not ``oklart``) and its share; *rätt form*
(that form is the expected one); *fel form* (a form other than the expected one, counting a form
where ``oklart`` was expected); *oklart, väntat* and *oklart, form väntad*. Conditional verdicts (a
form with conditions or alternatives) count as concrete; the column *villkorad* says how many.

The script reads the case file itself and drops answers to questions the model does not know, so
it also runs against older versions of the tool (that is how the before figure was taken):

    .venv/bin/python bench/decisiveness.py [--root KIT] [--cases FILE] [--list]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LATER = ("shared_ownership", "work_integration", "public_control", "region_primary_care", "valfrihetssystem")
UNKNOWN = (None, "unknown", "vet inte")


def _is_answered(value: object) -> bool:
    return not (value in UNKNOWN or (isinstance(value, str) and value.strip().casefold() in UNKNOWN))


def run(root: Path, cases_file: Path) -> list[dict]:
    from samverkan.content import loader
    from samverkan.content import samverkansform as sf
    from samverkan.content.yamlsource import parse_yaml
    from samverkan.errors import ThresholdError
    from samverkan.logic import decision

    model, periods, sources, _cases = loader.load_decision(root)
    known = {q.key for q in model.questions}
    raw = parse_yaml(cases_file.read_text(encoding="utf-8")).data["cases"]
    rows = []
    for case in raw:
        answers = dict(case.get("answers") or {})
        partial = not any(_is_answered(answers.get(k)) for k in LATER)
        dropped = sorted(k for k in answers if k not in known)
        answers = {k: v for k, v in answers.items() if k in known}
        checked, problems = sf.check_answers(answers, model, case["id"])
        if problems:
            raise SystemExit(f"{case['id']}: {problems[0].message}")
        try:
            out = decision.decide(checked, model, periods, sources)
        except ThresholdError as exc:
            raise SystemExit(f"{case['id']}: {exc}") from None
        conditional = bool(getattr(out, "conditions", None) or getattr(out, "alternatives", None))
        rows.append(
            {
                "id": case["id"],
                "kind": "partial" if partial else "full",
                "expected": case["expected"]["form"],
                "form": out.form,
                "conditional": conditional and out.form != "oklart",
                "category": getattr(out, "category", None),
                "dropped": dropped,
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    head = (
        "fall",
        "antal",
        "konkret form",
        "andel",
        "villkorad",
        "rätt form",
        "fel form",
        "oklart, väntat",
        "oklart, form väntad",
    )
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for label, group in (
        ("fullständiga", [r for r in rows if r["kind"] == "full"]),
        ("delvis besvarade", [r for r in rows if r["kind"] == "partial"]),
        ("alla", rows),
    ):
        n = len(group)
        concrete = [r for r in group if r["form"] != "oklart"]
        right = sum(r["form"] == r["expected"] for r in concrete)
        share = f"{100 * len(concrete) / n:.0f} %" if n else "–"
        lines.append(
            " | ".join(
                str(x)
                for x in (
                    label,
                    n,
                    len(concrete),
                    share,
                    sum(r["conditional"] for r in concrete),
                    right,
                    len(concrete) - right,
                    sum(r["form"] == "oklart" and r["expected"] == "oklart" for r in group),
                    sum(r["form"] == "oklart" and r["expected"] != "oklart" for r in group),
                )
            )
        )
    expected_forms = [r for r in rows if r["expected"] != "oklart"]
    lines.append("")
    lines.append(
        f"Fall där lagen ger en form (väntad form är inte oklart): {len(expected_forms)}; "
        f"verktyget ger den väntade formen i {sum(r['form'] == r['expected'] for r in expected_forms)}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="kitets rot (data/ och exercises/)")
    parser.add_argument(
        "--cases", type=Path, default=None, help="fallbanken (standard: ROOT/exercises/samverkansform/fall.yaml)"
    )
    parser.add_argument("--list", action="store_true", help="visa också varje fall")
    args = parser.parse_args(argv)
    rows = run(args.root, args.cases or args.root / "exercises" / "samverkansform" / "fall.yaml")
    print(table(rows))
    if args.list:
        print()
        for r in rows:
            mark = "" if r["form"] == r["expected"] else "  <-- avviker"
            extra = " (villkorad)" if r["conditional"] else ""
            dropped = f" [okända nycklar utelämnade: {', '.join(r['dropped'])}]" if r["dropped"] else ""
            print(f"{r['kind']:7} {r['id']:45} väntad {r['expected']:12} ger {r['form']}{extra}{mark}{dropped}")
    wrong = sum(r["form"] != "oklart" and r["form"] != r["expected"] for r in rows)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
