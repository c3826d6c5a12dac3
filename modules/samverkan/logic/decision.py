"""Samverkansformväljaren's decision: which form fits a collaboration with an organisation?

Pure functions over the model of :mod:`samverkan.content.samverkansform` (no file is read here).
The logic is three-valued: each answer is yes, no or unknown ("vet inte"). Form rules are tried
in order and the first rule that is true wins. The verdict has two levels (issue 16):

* ``category``: ``köp`` (the authority buys a service: LOU or LOV) or ``stöd`` (it supports the
  organisation's own activity: bidrag or IOP), from the form or from the category rules;
* ``form``: the tool searches every way the unknown answers could be filled in. One possible form
  is the verdict, with the ``conditions`` it rests on when some completions fit no form; two on the
  same side give the likelier one (``preferred`` in the data file) with the other in
  ``alternatives``; forms on both sides, or none, give ``oklart`` with what it depends on.

Guarantee: answering a question left as "vet inte" never turns a definite form (no conditions, no
alternatives) into another form, and turns a conditional verdict only into its form, one of its
alternatives, or ``oklart`` when one of its conditions fails. The outcome is training, not legal
advice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from samverkan.content.datafiles import Period, period_for
from samverkan.content.kit import Kit
from samverkan.content.samverkansform import (
    CATEGORIES,
    DISCLAIMER,
    NO,
    UNKNOWN,
    YES,
    Answers,
    Case,
    Model,
    Rule,
    check_answers,
)
from samverkan.content.schema import Source, Text
from samverkan.content.text import markdown_text, plain
from samverkan.errors import ContentError, Problem, ThresholdError

# -- evaluation ----------------------------------------------------------------

T, F, U = True, False, None  # Kleene's three truth values


def _eval(cond: Any, answers: Answers) -> bool | None:
    op = cond[0]
    if op == "is":
        value = answers.get(cond[1])
        if value == UNKNOWN:
            return U if UNKNOWN not in cond[2] else T
        return value in cond[2]
    if op == "not":
        v = _eval(cond[1], answers)
        return None if v is None else not v
    results = [_eval(c, answers) for c in cond[1]]
    if op == "all":
        return F if F in results else (U if U in results else T)
    return T if T in results else (U if U in results else F)


def _atoms(cond: Any, answers: Answers, want: bool | None) -> list[tuple[str, Any]]:
    """The answers that made ``cond`` evaluate to ``want`` (True: the reasons; None: what it depends on)."""
    op = cond[0]
    if op == "is":
        return [(cond[1], answers.get(cond[1]))] if _eval(cond, answers) is want else []
    if op == "not":
        inner = {True: False, False: True, None: None}[want]
        return _atoms(cond[1], answers, inner)
    out = []
    for c in cond[1]:
        out.extend(_atoms(c, answers, want))
    return out


@dataclass
class Outcome:
    """The tool's result: form, category, verdict, reasons, red flags, procedure, references, thresholds."""

    form: str
    form_label: str
    category: str  # "köp", "stöd" or "oklart"
    verdict: str  # the verdict in one sentence: first level, form, conditions and alternatives
    conditions: list[str]  # "om …": what the form rests on, among the unanswered questions
    alternatives: list[str]  # other forms on the same side that the unanswered questions leave open
    summary: str
    procedure: str | None
    procedure_text: str | None
    reserved_options: list[str]
    red_flags: list[str]
    reasons: list[str]
    depends_on: list[str]
    possible_forms: list[str]
    checks: list[str]
    references: list[dict[str, Any]]
    thresholds: dict[str, Any] | None
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    disclaimer: str = DISCLAIMER

    def to_json(self) -> str:
        """The outcome as indented JSON, non-ASCII kept as it is."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def _render(text: Text | None, level: str, sources: Mapping[str, Source], fmt: Mapping[str, Any] | None = None) -> str:
    if text is None:
        return ""
    out = markdown_text(text, level, sources)
    for k, v in (fmt or {}).items():
        out = out.replace("{" + k + "}", str(v))
    return out


def kronor(value: float | int | None) -> str:
    """Swedish format: 8 109 450 kr (non-breaking thin spaces are avoided for terminals)."""
    if value is None:
        return "okänt belopp"
    return f"{int(round(value)):,}".replace(",", " ") + " kr"


def _procedure(
    model: Model, answers: Answers, periods: list[Period], level: str, sources: Mapping[str, Source]
) -> tuple[str, str, dict[str, Any] | None, list[str]]:
    """(procedure, its text, the threshold used, references) for a form that is upphandling."""
    value, day, bilaga2 = answers.get("value_sek"), answers.get("date"), answers.get("bilaga2_service")
    refs = list(model.procedures["oklart"].references)
    if day == UNKNOWN or value == UNKNOWN:
        missing = " och ".join(w for w, v in (("värdet", value), ("datumet", day)) if v == UNKNOWN)
        return (
            "oklart",
            _render(model.procedures["oklart"].text, level, sources, {"orsak": f"{missing} saknas"}),
            None,
            refs,
        )
    period = period_for(periods, day)  # raises ThresholdError outside the table
    ordinary = period.amounts.get("direktupphandling")
    special = period.amounts.get("direktupphandling_bilaga2")
    limits = {YES: special, NO: ordinary}
    threshold = {"period": period.label, "value_sek": value}
    if bilaga2 == UNKNOWN:
        lo = min((a.sek for a in (ordinary, special) if a and a.sek is not None), default=None)
        if lo is not None and value < lo and ordinary and ordinary.sek is not None and value < ordinary.sek:
            chosen, category = ordinary, "direktupphandling"
        else:
            why = "det beror på om tjänsten är en bilaga 2-tjänst, eftersom gränserna skiljer sig åt"
            return "oklart", _render(model.procedures["oklart"].text, level, sources, {"orsak": why}), threshold, refs
    else:
        chosen = limits[bilaga2]  # type: ignore[assignment]  # None is handled below, as before
        category = "direktupphandling_bilaga2" if bilaga2 == YES else "direktupphandling"
    threshold.update(
        {
            "category": category,
            "limit_sek": chosen.sek if chosen else None,
            "limit_eur": chosen.eur if chosen else None,
            "note": chosen.note if chosen else None,
        }
    )
    if chosen is None or chosen.sek is None:
        # The ordinary limit is never above the bilaga 2 limit: a value under it is safe.
        if category == "direktupphandling_bilaga2" and ordinary and ordinary.sek is not None and value < ordinary.sek:
            chosen, threshold["limit_sek"] = ordinary, ordinary.sek
        else:
            why = f"beloppet i kronor för perioden {period.label} saknas i kitets tabell"
            return "oklart", _render(model.procedures["oklart"].text, level, sources, {"orsak": why}), threshold, refs
    pid = "direktupphandling" if value < chosen.sek else "annonserad"
    rule = model.procedures[pid]
    text = _render(
        rule.text, level, sources, {"varde": kronor(value), "grans": kronor(chosen.sek), "period": period.label}
    )
    if chosen.note:
        text += f" ({chosen.note})"
    return pid, text, threshold, list(rule.references) + list(period.sources)


def _search(model: Model, values: dict[str, Any]) -> tuple[frozenset[str], set[str]]:
    """Every form that some completion of the unknown answers gives ("oklart": no rule fits), and the
    questions whose answer can change which one (issue 16).

    Exact: a branch stops as soon as three-valued evaluation settles the first true rule, which then
    holds for every completion below it; otherwise it branches on an unknown answer of the first
    undecided rule.
    """
    relevant: set[str] = set()
    memo: dict[frozenset, frozenset[str]] = {}

    def first(answers: Answers) -> tuple[str | None, Rule | None]:
        for rule in model.forms:
            if rule.when is None:
                return rule.id, None
            v = _eval(rule.when, answers)
            if v is T:
                return rule.id, None
            if v is U:
                return None, rule
        return "oklart", None

    def go(vals: dict[str, Any]) -> frozenset[str]:
        key_ = frozenset(vals.items())
        if key_ in memo:
            return memo[key_]
        answers = Answers(values=vals)
        winner, pending = first(answers)
        if winner is not None:
            result = frozenset([winner])
        else:
            assert pending is not None  # first() gives a winner or the rule still pending
            key = next(k for k, _ in _atoms(pending.when, answers, None))
            branches = [go({**vals, key: o.value}) for o in model.ask(key).options if o.value != UNKNOWN]
            if len(set(branches)) > 1:
                relevant.add(key)
            result = frozenset().union(*branches)
        memo[key_] = result
        return result

    return go({k: v for k, v in values.items() if v != UNKNOWN}), relevant


def _phrase(model: Model, key: str, values: frozenset, level: str, sources: Mapping[str, Source]) -> str:
    """An answer as a condition: "om avtalet inte har sanktioner"."""
    q = model.ask(key)
    opts = [o for o in q.options if o.value in values and o.value != UNKNOWN]
    texts = [_render(o.condition, level, sources) for o in opts if o.condition is not None]
    if len(texts) == len(opts) and texts:
        return " eller ".join(texts)
    labels = " eller ".join(o.label.lower() for o in opts)
    return f"om svaret på frågan ”{q.question.get(level)}” är {labels}"


def _conditions(
    model: Model, cond: Any, answers: Answers, level: str, sources: Mapping[str, Source]
) -> list[tuple[list[str], str]]:
    """What must still hold for ``cond`` to be true: (keys, phrase) for each undecided part."""
    if _eval(cond, answers) is not U:
        return []
    op = cond[0]
    if op == "is":
        return [([cond[1]], _phrase(model, cond[1], cond[2], level, sources))]
    if op == "all":
        return [c for sub in cond[1] for c in _conditions(model, sub, answers, level, sources)]
    if op == "any":
        parts = [c for sub in cond[1] for c in _conditions(model, sub, answers, level, sources)]
        return [([k for keys, _ in parts for k in keys], " eller ".join(p for _, p in parts))] if parts else []
    keys = [k for k, _ in _atoms(cond, answers, None)]
    return [(keys, "om " + " och ".join(f"”{model.ask(k).question.get(level)}” besvaras" for k in keys))]


def join_phrases(phrases: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " och " + phrases[-1]


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


VERDICT_CATEGORY = {"köp": "Köp", "stöd": "Stöd, inte köp"}


def _verdict(
    model: Model,
    form: Rule,
    category: str,
    conditions: list[str],
    alternatives: list[tuple[Rule, list[str]]],
    both: bool,
) -> str:
    """The verdict in one Swedish sentence."""
    if form.id == "oklart":
        if both:
            return "Oklart – svaren pekar både mot köp och mot stöd."
        if category in VERDICT_CATEGORY:
            return f"{VERDICT_CATEGORY[category]}, men formen går inte att avgöra."
        return "Oklart – svaren räcker inte för att avgöra formen, eller så pekar de åt olika håll."
    out = f"{VERDICT_CATEGORY.get(category, 'Oklart')}: {_lower_first(form.label)}"
    if conditions:
        out += ", " + join_phrases(conditions)
    for alt, alt_conditions in alternatives:
        out += f"; alternativet är {_lower_first(alt.label)}" + (
            ", " + join_phrases(alt_conditions) if alt_conditions else ""
        )
    return out + "."


def category_rule(model: Model, answers: Answers) -> str | None:
    """The first level when a category rule settles it (true whatever the unknown answers are)."""
    return next((c.id for c in model.categories if _eval(c.when, answers) is T), None)


def decide(
    answers: Answers | Mapping[str, Any],
    model: Model,
    periods: list[Period],
    sources: Mapping[str, Source],
    level: str = "standard",
) -> Outcome:
    """The verdict (category and form, with conditions and alternatives), reasons, red flags,
    reserved options, checks and references."""
    if not isinstance(answers, Answers):
        answers, problems = check_answers(dict(answers), model, "svaren")
        if problems:
            raise ContentError(problems)
    possible, relevant = _search(model, answers.values)
    order = list(model.preferred) + [f.id for f in model.forms if f.id not in model.preferred]
    concrete = [f for f in order if f in possible and f != "oklart"]
    rule_of = {f.id: f for f in model.forms}
    sides = {rule_of[f].category for f in concrete}
    both = len(sides) > 1
    form_rule = model.form("oklart") if both or not concrete else rule_of[concrete[0]]
    form = form_rule.id
    definite = form != "oklart" and possible == {form}
    if form != "oklart":
        category = form_rule.category or "oklart"
    else:
        category = "oklart" if both else (category_rule(model, answers) or "oklart")
    conditions: list[str] = []
    alternatives: list[tuple[Rule, list[str]]] = []
    if form != "oklart" and not definite:
        conditions = [p for _, p in _conditions(model, form_rule.when, answers, level, sources)]
        alternatives = [
            (rule_of[f], [p for _, p in _conditions(model, rule_of[f].when, answers, level, sources)])
            for f in concrete[1:]
        ]
    depends = [q.key for q in model.questions if q.key in relevant]
    q_reason = {(q.key, o.value): o.reason for q in model.questions for o in q.options}
    reasons: list[str] = []
    if form_rule.when is not None:
        for key, value in _atoms(form_rule.when, answers, True):
            text = q_reason.get((key, value))
            if text is not None:
                line = _render(text, level, sources)
                if line not in reasons:
                    reasons.append(line)
    elif not concrete:
        # No rule fits: say which answers pull in different directions.
        for q in model.questions:
            text = q_reason.get((q.key, answers.get(q.key)))
            if text is not None:
                reasons.append(_render(text, level, sources))
    refs: list[str] = list(form_rule.references)

    procedure = procedure_text = None
    threshold = None
    if form == "upphandling":
        procedure, procedure_text, threshold, prefs = _procedure(model, answers, periods, level, sources)
        refs += prefs

    def applying(rules: Iterable[Rule]) -> list[Rule]:
        return [r for r in rules if form in r.forms and (r.when is None or _eval(r.when, answers) is T)]

    reserved = applying(model.reserved)
    reserved_possible = [
        (r, [p for _, p in _conditions(model, r.when, answers, level, sources)])
        for r in model.reserved
        if form in r.forms and r.when is not None and _eval(r.when, answers) is U
    ]
    flags = applying(model.red_flags)
    checks = applying(model.checks)
    for r in reserved + flags + checks + [r for r, _ in reserved_possible]:
        refs += r.references
    for alt, _ in alternatives:
        refs += alt.references
    if category in CATEGORIES and form == "oklart":
        refs += next((c.references for c in model.categories if c.id == category), ())
    depends_text = [model.ask(k).question.get(level) for k in depends if model.question(k)]
    summary = _render(form_rule.text, level, sources)
    if form == "oklart" and concrete:
        labels = ", ".join(model.form(f).label for f in concrete)
        summary += f" Möjliga former: {labels}."
    if form == "oklart" and category in CATEGORIES:
        text = next((c.text for c in model.categories if c.id == category), None)
        if text is not None:
            summary = _render(text, level, sources) + " " + summary
    unique_refs = list(dict.fromkeys(refs))
    return Outcome(
        form=form,
        form_label=form_rule.label,
        category=category,
        verdict=_verdict(model, form_rule, category, conditions, alternatives, both),
        conditions=conditions,
        alternatives=[a.id for a, _ in alternatives],
        summary=summary,
        procedure=procedure,
        procedure_text=procedure_text,
        reserved_options=[r.id for r in reserved],
        red_flags=[r.id for r in flags],
        reasons=reasons,
        depends_on=depends,
        possible_forms=[] if definite else concrete,
        checks=[_render(r.text, level, sources) for r in checks],
        references=[
            {"id": s, "short": sources[s].short, "reference": sources[s].reference, "url": sources[s].url}
            for s in unique_refs
            if s in sources
        ],
        thresholds=threshold,
        details={
            "reserved_options": [
                {"id": r.id, "label": r.label, "text": _render(r.text, level, sources)} for r in reserved
            ],
            "reserved_possible": [
                {"id": r.id, "label": r.label, "text": _render(r.text, level, sources), "conditions": c}
                for r, c in reserved_possible
            ],
            "red_flags": [{"id": r.id, "label": r.label, "text": _render(r.text, level, sources)} for r in flags],
            "depends_on": [{"key": k, "question": t} for k, t in zip(depends, depends_text)],
            "alternatives": [{"id": a.id, "label": a.label, "conditions": c} for a, c in alternatives],
        },
    )


def outcome_text(o: Outcome, model: Model) -> str:
    """The outcome as plain Swedish text for a terminal: the verdict first, then the conditions."""
    lines = [f"Förslag: {o.verdict}"]
    if o.conditions:
        lines += ["", "Förslaget förutsätter:"] + [f"  - {c}" for c in o.conditions]
    if o.alternatives:
        lines += ["", "Alternativ:"] + [
            f"  - {a['label']}" + (f", {join_phrases(a['conditions'])}" if a["conditions"] else "")
            for a in o.details["alternatives"]
        ]
    lines += ["", plain(o.summary)]
    if o.procedure:
        lines += ["", f"Förfarande: {model.procedures[o.procedure].label}", plain(o.procedure_text or "")]
    sections = [
        ("Därför", [plain(r) for r in o.reasons]),
        ("Det beror på", [d["question"] for d in o.details["depends_on"]]),
        ("Varningssignaler", [f"{r['label']}: {plain(r['text'])}" for r in o.details["red_flags"]]),
        (
            "Reserverad upphandling som kan vara möjlig",
            [f"{r['label']}: {plain(r['text'])}" for r in o.details["reserved_options"]]
            + [
                f"{r['label']}, {join_phrases(r['conditions'])}: {plain(r['text'])}"
                for r in o.details.get("reserved_possible", [])
            ],
        ),
        ("Kontrollera också", [plain(c) for c in o.checks]),
        (
            "Källor",
            [f"{r['short']}: {r['reference']}" + (f" <{r['url']}>" if r.get("url") else "") for r in o.references],
        ),
    ]
    for title, items in sections:
        if items:
            lines += ["", f"{title}:"] + [f"  - {i}" for i in items]
    lines += ["", o.disclaimer]
    return "\n".join(lines)


def case_result(
    case: Case, model: Model, periods: list[Period], sources: Mapping[str, Source], label: str = ""
) -> tuple[Outcome | None, list[str]]:
    """Run one case; the differences from its expected outcome (empty when it matches)."""
    answers, problems = check_answers(case.answers, model, label)
    if problems:
        return None, [p.message for p in problems]
    try:
        out = decide(answers, model, periods, sources)
    except ThresholdError as exc:
        return None, [str(exc)]
    diffs = []
    if out.form != case.form:
        diffs.append(f"väntad form {case.form}, reglerna ger {out.form}")
    if out.procedure != case.procedure:
        diffs.append(f"väntat förfarande {case.procedure}, reglerna ger {out.procedure}")
    if set(out.reserved_options) != set(case.reserved_options):
        diffs.append(
            f"väntade reserverade spår {sorted(case.reserved_options)}, reglerna ger {sorted(out.reserved_options)}"
        )
    if set(out.red_flags) != set(case.red_flags):
        diffs.append(f"väntade varningsflaggor {sorted(case.red_flags)}, reglerna ger {sorted(out.red_flags)}")
    if case.category is not None and out.category != case.category:
        diffs.append(f"väntad kategori {case.category}, reglerna ger {out.category}")
    if case.alternatives is not None and set(out.alternatives) != set(case.alternatives):
        diffs.append(f"väntade alternativ {sorted(case.alternatives)}, reglerna ger {sorted(out.alternatives)}")
    return out, diffs


def check_cases(kit: Kit) -> list[Problem]:
    """Every case of the bank that no longer gives its expected outcome, as a problem of its file."""
    label = kit.data_files["cases"]
    if "decision" not in kit.data or "thresholds" not in kit.data:
        return [Problem(label, None, "", "fallbanken kräver data/samverkansform.yaml och data/troskelvarden.yaml")]
    problems = []
    for case in kit.data["cases"].values():
        _, diffs = case_result(case, kit.data["decision"], kit.data["thresholds"], kit.sources, label)
        for d in diffs:
            problems.append(Problem(label, case.line, f"cases ({case.id})", d))
    return problems
