"""Samverkansformväljaren: which form fits a collaboration with an organisation?

Everything a trainer or a lawyer may want to change lives in data files:

* ``data/samverkansform.yaml`` (``decision:``): the questions, the wording of every reason,
  the ordered form rules, the reserved-procurement tracks, the red flags and what to check next;
* ``data/troskelvarden.yaml``: the direct-award limits and thresholds by period;
* ``exercises/samverkansform/fall.yaml`` (``cases:``): the case bank, each case with its
  expected outcome. ``samverkan check`` runs every case and reports one that no longer gives
  its expected outcome.

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

import difflib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from samverkan import loader
from samverkan.datafiles import Period, ThresholdError, as_date, period_for
from samverkan.errors import ContentError, Problem, display_path
from samverkan.schema import Source, Text
from samverkan.yamlsource import YamlSyntaxError, format_path, parse_yaml

FORMS = ("bidrag", "iop", "upphandling", "lov", "oklart")
CATEGORIES = ("köp", "stöd")
PROCEDURES = ("direktupphandling", "annonserad", "oklart")
YES, NO, UNKNOWN = "yes", "no", "unknown"
# Swedish spellings a trainer may write in an answers file; YAML turns bare yes/no into booleans.
_ALIASES = {True: YES, False: NO, None: UNKNOWN, "ja": YES, "nej": NO, "vet inte": UNKNOWN,
            "vet-inte": UNKNOWN, "okänt": UNKNOWN, "yes": YES, "no": NO, "unknown": UNKNOWN}
QUESTION_KINDS = ("choice", "yesno", "number", "date")
DISCLAIMER = ("Samverkansformväljaren är ett utbildningsstöd, inte juridisk rådgivning. Bedöm alltid det "
              "enskilda fallet med stöd av er upphandlings- eller juristfunktion.")


# -- the model ---------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    reason: Text | None = None
    condition: Text | None = None  # "om …": the answer as a condition a verdict can rest on


@dataclass(frozen=True)
class QuestionDef:
    key: str
    kind: str
    question: Text
    help: Text | None
    options: tuple[Option, ...] = ()

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Rule:
    """A form, a reserved track, a red flag or a check: a condition and its wording."""

    id: str
    label: str
    text: Text | None
    when: Any  # the condition tree, normalised (see _condition)
    forms: tuple[str, ...] = FORMS
    references: tuple[str, ...] = ()
    category: str | None = None  # for a form: "köp" or "stöd"


@dataclass(frozen=True)
class Model:
    questions: tuple[QuestionDef, ...]
    forms: tuple[Rule, ...]  # ordered; the last is "oklart" with no condition
    procedures: dict[str, Rule]
    reserved: tuple[Rule, ...]
    red_flags: tuple[Rule, ...]
    checks: tuple[Rule, ...]
    categories: tuple[Rule, ...] = ()  # "köp" and "stöd": when the answers settle the first level
    preferred: tuple[str, ...] = ()  # the likelier form first, when two on the same side remain

    def question(self, key: str) -> QuestionDef | None:
        return next((q for q in self.questions if q.key == key), None)

    def form(self, form_id: str) -> Rule:
        return next(f for f in self.forms if f.id == form_id)


def _norm_value(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().casefold()
    return _ALIASES.get(value, value) if isinstance(value, (str, bool)) or value is None else value


def _condition(ctx: loader._Ctx, value: Any, path: tuple, keys: dict[str, QuestionDef]) -> Any:
    """Normalise a condition: ("all", [...]) | ("any", [...]) | ("not", c) | ("is", key, frozenset)."""
    if not isinstance(value, dict) or not value:
        ctx.problem(path, "ett villkor ska vara en samling fält, till exempel {sanctions: yes} eller {all: [...]}")
        return None
    parts = []
    for k, v in value.items():
        p = path + (k,)
        if k in ("all", "any"):
            items = ctx.list_of(v, p)
            subs = [_condition(ctx, c, p + (i,), keys) for i, c in enumerate(items or [])]
            parts.append((k, tuple(subs)))
        elif k == "not":
            parts.append(("not", _condition(ctx, v, p, keys)))
        elif k in keys:
            values = v if isinstance(v, list) else [v]
            q = keys[k]
            allowed = {o.value for o in q.options}
            norm = []
            for val in values:
                nv = _norm_value(val)
                if nv not in allowed:
                    ctx.problem(p, f"'{val}' är inget svar på frågan '{k}'. Tillåtna: {', '.join(sorted(allowed))}")
                norm.append(nv)
            parts.append(("is", k, frozenset(norm)))
        else:
            hint = difflib.get_close_matches(str(k), list(keys) + ["all", "any", "not"], n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else ""
            ctx.problem(p, f"okänd fråga '{k}' i villkoret.{tip}")
            parts.append(None)
    return parts[0] if len(parts) == 1 else ("all", tuple(parts))


def _rule(ctx: loader._Ctx, value: Any, path: tuple, keys: dict[str, QuestionDef], *, id_key: str = "id",
          condition: bool = True, forms: bool = False, category: bool = False) -> Rule | None:
    required = [id_key, "label"] + (["when"] if condition else [])
    optional = ["text", "references"] + (["forms"] if forms else []) + (["category"] if category else [])
    m = ctx.mapping(value, path, required, optional)
    if m is None:
        return None
    rid = ctx.opt(m, id_key, path, ctx.ident)
    label = ctx.opt(m, "label", path, ctx.string, max_length=200)
    text = ctx.optional_text(m, "text", path)
    when = _condition(ctx, m["when"], path + ("when",), keys) if condition and "when" in m else None
    refs = loader._source_ids(ctx, m, path, key="references")
    applies = FORMS
    if forms and "forms" in m:
        items = ctx.list_of(m["forms"], path + ("forms",)) or []
        for i, f in enumerate(items):
            if f not in FORMS:
                ctx.problem(path + ("forms", i), f"okänd form '{f}'. Tillåtna: {', '.join(FORMS)}")
        applies = tuple(f for f in items if f in FORMS)
    cat = m.get("category")
    if cat is not None and cat not in CATEGORIES:
        ctx.problem(path + ("category",), f"okänd kategori '{cat}'. Tillåtna: {', '.join(CATEGORIES)}")
        cat = None
    if rid is None or label is None:
        return None
    return Rule(rid, label, text, when, applies, tuple(refs), cat)


def _question(ctx: loader._Ctx, value: Any, path: tuple) -> QuestionDef | None:
    m = ctx.mapping(value, path, ["key", "kind", "question"],
                    ["help", "options", "if_yes", "if_no", "condition_yes", "condition_no"])
    if m is None:
        return None
    key = ctx.opt(m, "key", path, ctx.string, max_length=60)
    kind = m.get("kind")
    if kind not in QUESTION_KINDS:
        ctx.problem(path + ("kind",), f"okänd frågetyp '{kind}'. Tillåtna: {', '.join(QUESTION_KINDS)}")
        return None
    question = ctx.opt(m, "question", path, ctx.text)
    help_ = ctx.optional_text(m, "help", path)
    options: list[Option] = []
    if kind == "yesno":
        options = [Option(YES, "Ja", ctx.optional_text(m, "if_yes", path), ctx.optional_text(m, "condition_yes", path)),
                   Option(NO, "Nej", ctx.optional_text(m, "if_no", path), ctx.optional_text(m, "condition_no", path))]
    elif kind == "choice":
        for i, o in enumerate(ctx.opt(m, "options", path, ctx.list_of, min_len=2) or []):
            p = path + ("options", i)
            om = ctx.mapping(o, p, ["value", "label"], ["reason", "condition"])
            if om is None:
                continue
            val, label = ctx.opt(om, "value", p, ctx.ident), ctx.opt(om, "label", p, ctx.string, max_length=200)
            if val and label:
                options.append(Option(val, label, ctx.optional_text(om, "reason", p), ctx.optional_text(om, "condition", p)))
    if kind in ("yesno", "choice"):
        options.append(Option(UNKNOWN, "Vet inte"))
    if key is None or question is None:
        return None
    return QuestionDef(key, kind, question, help_, tuple(options))


def _decision_file(ctx: loader._Ctx, top: dict) -> Model | None:
    ctx.mapping(top, (), ["decision"], ["schema_version"])
    m = ctx.mapping(top.get("decision"), ("decision",), ["questions", "forms", "procedures", "reserved", "red_flags", "checks"],
                    ["categories", "preferred"])
    if m is None:
        return None
    d = ("decision",)
    questions = [q for i, raw_q in enumerate(ctx.opt(m, "questions", d, ctx.list_of) or [])
                 if (q := _question(ctx, raw_q, d + ("questions", i)))]
    keys = {q.key: q for q in questions}
    ctx.unique_ids([(q.key, d + ("questions", i, "key")) for i, q in enumerate(questions)], "frågan")

    def rules(name: str, **kw: Any) -> list[Rule]:
        return [r for i, raw_r in enumerate(ctx.opt(m, name, d, ctx.list_of) or [])
                if (r := _rule(ctx, raw_r, d + (name, i), keys, **kw))]

    # Every form but the last needs a condition; the last is the fallback "oklart".
    raw_forms = m.get("forms") if isinstance(m.get("forms"), list) else []
    forms = []
    for i, v in enumerate(raw_forms):
        last = i == len(raw_forms) - 1
        r = _rule(ctx, v, d + ("forms", i), keys, id_key="form", condition=not last, category=True)
        if r is None:
            continue
        if r.id not in FORMS:
            ctx.problem(d + ("forms", i, "form"), f"okänd form '{r.id}'. Tillåtna: {', '.join(FORMS)}")
        if last and r.id != "oklart":
            ctx.problem(d + ("forms", i), "den sista formen ska vara 'oklart', utan villkor: den gäller när ingen regel avgör")
        if not last and "categories" in m and r.category is None:
            ctx.problem(d + ("forms", i), f"formen '{r.id}' saknar 'category' ({' eller '.join(CATEGORIES)})")
        forms.append(r)
    categories = []
    for i, v in enumerate(ctx.list_of(m["categories"], d + ("categories",)) or [] if "categories" in m else []):
        p = d + ("categories", i)
        cm = ctx.mapping(v, p, ["category", "label", "when"], ["text", "references"])
        if cm is None:
            continue
        if cm.get("category") not in CATEGORIES:
            ctx.problem(p + ("category",), f"okänd kategori '{cm.get('category')}'. Tillåtna: {', '.join(CATEGORIES)}")
            continue
        label = ctx.opt(cm, "label", p, ctx.string, max_length=200)
        when = _condition(ctx, cm["when"], p + ("when",), keys) if "when" in cm else None
        if label and when is not None:
            categories.append(Rule(cm["category"], label, ctx.optional_text(cm, "text", p), when,
                                   references=tuple(loader._source_ids(ctx, cm, p, key="references")), category=cm["category"]))
    preferred = tuple(ctx.list_of(m["preferred"], d + ("preferred",)) or []) if "preferred" in m else ()
    for i, f in enumerate(preferred):
        if f not in FORMS or f == "oklart":
            ctx.problem(d + ("preferred", i), f"okänd form '{f}'. Tillåtna: {', '.join(x for x in FORMS if x != 'oklart')}")
    procedures = {r.id: r for r in rules("procedures", condition=False)}
    for pid in PROCEDURES:
        if "procedures" in m and pid not in procedures:
            ctx.problem(d + ("procedures",), f"förfarandet '{pid}' saknas")
    model = Model(tuple(questions), tuple(forms), procedures, tuple(rules("reserved", forms=True)),
                  tuple(rules("red_flags", forms=True)), tuple(rules("checks", condition=False, forms=True)),
                  tuple(categories), preferred)
    for q in ("value_sek", "date"):
        if q not in keys:
            ctx.problem(d + ("questions",), f"frågan '{q}' saknas; förfarandet räknas ut från den")
    return model


# -- answers -----------------------------------------------------------------


@dataclass
class Answers:
    values: dict[str, Any]  # key -> "yes"/"no"/"unknown"/choice value, number or date

    def get(self, key: str) -> Any:
        return self.values.get(key, UNKNOWN)


def check_answers(data: Any, model: Model, label: str, lines: Any = None) -> tuple[Answers, list[Problem]]:
    """Validate answers (from YAML, JSON or a widget) against the model's questions."""
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        line = lines(("answers", key) if lines else None) if lines else None
        problems.append(Problem(label, line, key, message))

    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(label, None, "", "svaren ska vara en samling fält, till exempel 'sanctions: no'"))
        return Answers({}), problems
    out: dict[str, Any] = {}
    keys = [q.key for q in model.questions]
    for key, raw in data.items():
        q = model.question(str(key))
        if q is None:
            hint = difflib.get_close_matches(str(key), keys, n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else f" Kända nycklar: {', '.join(keys)}."
            problem(str(key), f"okänd nyckel '{key}'.{tip}")
            continue
        if q.kind in ("yesno", "choice"):
            v = _norm_value(raw)
            allowed = [o.value for o in q.options]
            if v not in allowed:
                extra = " (eller ja, nej, vet inte)" if q.kind == "yesno" else ""
                problem(q.key, f"'{raw}' är inget giltigt svar. Tillåtna: {', '.join(allowed)}{extra}")
                continue
            out[q.key] = v
        elif q.kind == "number":
            if _norm_value(raw) == UNKNOWN:
                continue
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0 or raw != raw or raw > 1e12:
                problem(q.key, f"ska vara ett belopp i kronor (ett tal, 0 eller större), men är {raw!r}")
                continue
            out[q.key] = raw
        elif q.kind == "date":
            if _norm_value(raw) == UNKNOWN:
                continue
            day = as_date(raw)
            if day is None:
                problem(q.key, f"ska vara ett datum som ÅÅÅÅ-MM-DD, men är {raw!r}")
                continue
            out[q.key] = day
    return Answers(out), problems


def load_answers(path: Path | str, model: Model) -> Answers:
    """Read an answers file; a broken file raises :class:`ContentError` naming file, line and key."""
    path = Path(path)
    label = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([Problem(label, None, "", "filen finns inte")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = "filen är inte sparad som UTF-8" if isinstance(exc, UnicodeDecodeError) else f"filen kan inte läsas ({exc})"
        raise ContentError([Problem(label, None, "", msg)]) from None
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise ContentError([Problem(label, exc.line, "", str(exc))]) from None
    data = doc.data
    if isinstance(data, dict) and "answers" in data and len(data) <= 2 and set(data) <= {"answers", "schema_version"}:
        data = data["answers"]
        line_of = lambda p: doc.line(p)  # noqa: E731
    else:
        line_of = lambda p: doc.line(p[1:])  # noqa: E731
    answers, problems = check_answers(data, model, label, line_of)
    for key, line in doc.duplicate_keys:
        problems.append(Problem(label, line, format_path(key), f"nyckeln '{key[-1]}' står två gånger"))
    if problems:
        raise ContentError(problems)
    return answers


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
    details: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    disclaimer: str = DISCLAIMER

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def _render(text: Text | None, level: str, sources: Mapping[str, Source], fmt: Mapping[str, Any] | None = None) -> str:
    from samverkan.render import markdown_text

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


def _procedure(model: Model, answers: Answers, periods: list[Period], level: str,
               sources: Mapping[str, Source]) -> tuple[str, str, dict[str, Any] | None, list[str]]:
    """(procedure, its text, the threshold used, references) for a form that is upphandling."""
    value, day, bilaga2 = answers.get("value_sek"), answers.get("date"), answers.get("bilaga2_service")
    refs = list(model.procedures["oklart"].references)
    if day == UNKNOWN or value == UNKNOWN:
        missing = " och ".join(w for w, v in (("värdet", value), ("datumet", day)) if v == UNKNOWN)
        return "oklart", _render(model.procedures["oklart"].text, level, sources, {"orsak": f"{missing} saknas"}), None, refs
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
        chosen = limits[bilaga2]
        category = "direktupphandling_bilaga2" if bilaga2 == YES else "direktupphandling"
    threshold.update({"category": category, "limit_sek": chosen.sek if chosen else None,
                      "limit_eur": chosen.eur if chosen else None, "note": chosen.note if chosen else None})
    if chosen is None or chosen.sek is None:
        # The ordinary limit is never above the bilaga 2 limit: a value under it is safe.
        if category == "direktupphandling_bilaga2" and ordinary and ordinary.sek is not None and value < ordinary.sek:
            chosen, threshold["limit_sek"] = ordinary, ordinary.sek
        else:
            why = f"beloppet i kronor för perioden {period.label} saknas i kitets tabell"
            return "oklart", _render(model.procedures["oklart"].text, level, sources, {"orsak": why}), threshold, refs
    pid = "direktupphandling" if value < chosen.sek else "annonserad"
    rule = model.procedures[pid]
    text = _render(rule.text, level, sources, {"varde": kronor(value), "grans": kronor(chosen.sek), "period": period.label})
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
        answers = Answers(vals)
        winner, pending = first(answers)
        if winner is not None:
            result = frozenset([winner])
        else:
            key = next(k for k, _ in _atoms(pending.when, answers, None))
            branches = [go({**vals, key: o.value}) for o in model.question(key).options if o.value != UNKNOWN]
            if len(set(branches)) > 1:
                relevant.add(key)
            result = frozenset().union(*branches)
        memo[key_] = result
        return result

    return go({k: v for k, v in values.items() if v != UNKNOWN}), relevant


def _phrase(model: Model, key: str, values: frozenset, level: str, sources: Mapping[str, Source]) -> str:
    """An answer as a condition: "om avtalet inte har sanktioner"."""
    q = model.question(key)
    opts = [o for o in q.options if o.value in values and o.value != UNKNOWN]
    texts = [_render(o.condition, level, sources) for o in opts if o.condition is not None]
    if len(texts) == len(opts) and texts:
        return " eller ".join(texts)
    labels = " eller ".join(o.label.lower() for o in opts)
    return f"om svaret på frågan ”{q.question.get(level)}” är {labels}"


def _conditions(model: Model, cond: Any, answers: Answers, level: str, sources: Mapping[str, Source]) -> list[tuple[list[str], str]]:
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
    return [(keys, "om " + " och ".join(f"”{model.question(k).question.get(level)}” besvaras" for k in keys))]


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " och " + phrases[-1]


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


VERDICT_CATEGORY = {"köp": "Köp", "stöd": "Stöd, inte köp"}


def _verdict(model: Model, form: Rule, category: str, conditions: list[str], alternatives: list[tuple[Rule, list[str]]],
             both: bool) -> str:
    """The verdict in one Swedish sentence."""
    if form.id == "oklart":
        if both:
            return "Oklart – svaren pekar både mot köp och mot stöd."
        if category in VERDICT_CATEGORY:
            return f"{VERDICT_CATEGORY[category]}, men formen går inte att avgöra."
        return "Oklart – svaren räcker inte för att avgöra formen, eller så pekar de åt olika håll."
    out = f"{VERDICT_CATEGORY.get(category, 'Oklart')}: {_lower_first(form.label)}"
    if conditions:
        out += ", " + _join(conditions)
    for alt, alt_conditions in alternatives:
        out += f"; alternativet är {_lower_first(alt.label)}" + (", " + _join(alt_conditions) if alt_conditions else "")
    return out + "."


def category_rule(model: Model, answers: Answers) -> str | None:
    """The first level when a category rule settles it (true whatever the unknown answers are)."""
    return next((c.id for c in model.categories if _eval(c.when, answers) is T), None)


def decide(answers: Answers | Mapping[str, Any], model: Model | None = None, periods: list[Period] | None = None,
           sources: Mapping[str, Source] | None = None, level: str = "standard") -> Outcome:
    """The verdict (category and form, with conditions and alternatives), reasons, red flags,
    reserved options, checks and references."""
    if model is None or periods is None or sources is None:
        kit = load()
        model, periods, sources = model or kit[0], periods if periods is not None else kit[1], sources or kit[2]
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
        alternatives = [(rule_of[f], [p for _, p in _conditions(model, rule_of[f].when, answers, level, sources)])
                        for f in concrete[1:]]
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
    reserved_possible = [(r, [p for _, p in _conditions(model, r.when, answers, level, sources)])
                         for r in model.reserved if form in r.forms and r.when is not None and _eval(r.when, answers) is U]
    flags = applying(model.red_flags)
    checks = applying(model.checks)
    for r in reserved + flags + checks + [r for r, _ in reserved_possible]:
        refs += r.references
    for alt, _ in alternatives:
        refs += alt.references
    if category in CATEGORIES and form == "oklart":
        refs += next((c.references for c in model.categories if c.id == category), ())
    depends_text = [f"{model.question(k).question.get(level)}" for k in depends if model.question(k)]
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
        references=[{"id": s, "short": sources[s].short, "reference": sources[s].reference, "url": sources[s].url}
                    for s in unique_refs if s in sources],
        thresholds=threshold,
        details={
            "reserved_options": [{"id": r.id, "label": r.label, "text": _render(r.text, level, sources)} for r in reserved],
            "reserved_possible": [{"id": r.id, "label": r.label, "text": _render(r.text, level, sources),
                                   "conditions": c} for r, c in reserved_possible],
            "red_flags": [{"id": r.id, "label": r.label, "text": _render(r.text, level, sources)} for r in flags],
            "depends_on": [{"key": k, "question": t} for k, t in zip(depends, depends_text)],
            "alternatives": [{"id": a.id, "label": a.label, "conditions": c} for a, c in alternatives],
        },
    )


def outcome_text(o: Outcome, model: Model) -> str:
    """The outcome as plain Swedish text for a terminal: the verdict first, then the conditions."""
    from samverkan.render import plain

    lines = [f"Förslag: {o.verdict}"]
    if o.conditions:
        lines += ["", "Förslaget förutsätter:"] + [f"  - {c}" for c in o.conditions]
    if o.alternatives:
        lines += ["", "Alternativ:"] + [f"  - {a['label']}" + (f", {_join(a['conditions'])}" if a["conditions"] else "")
                                        for a in o.details["alternatives"]]
    lines += ["", plain(o.summary)]
    if o.procedure:
        lines += ["", f"Förfarande: {model.procedures[o.procedure].label}", plain(o.procedure_text or "")]
    sections = [
        ("Därför", [plain(r) for r in o.reasons]),
        ("Det beror på", [d["question"] for d in o.details["depends_on"]]),
        ("Varningssignaler", [f"{r['label']}: {plain(r['text'])}" for r in o.details["red_flags"]]),
        ("Reserverad upphandling som kan vara möjlig", [f"{r['label']}: {plain(r['text'])}" for r in o.details["reserved_options"]]
         + [f"{r['label']}, {_join(r['conditions'])}: {plain(r['text'])}" for r in o.details.get("reserved_possible", [])]),
        ("Kontrollera också", [plain(c) for c in o.checks]),
        ("Källor", [f"{r['short']}: {r['reference']}" + (f" <{r['url']}>" if r.get("url") else "") for r in o.references]),
    ]
    for title, items in sections:
        if items:
            lines += ["", f"{title}:"] + [f"  - {i}" for i in items]
    lines += ["", o.disclaimer]
    return "\n".join(lines)


# -- the case bank -------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    situation: Text
    answers: dict[str, Any]
    form: str
    procedure: str | None
    reserved_options: tuple[str, ...]
    red_flags: tuple[str, ...]
    explanation: Text
    sources: tuple[str, ...]
    line: int | None = None
    category: str | None = None  # expected first level; None: not checked
    alternatives: tuple[str, ...] | None = None  # expected alternatives; None: not checked


def _cases_file(ctx: loader._Ctx, top: dict) -> dict[str, Case] | None:
    ctx.mapping(top, (), ["cases"], ["schema_version"])
    raw = ctx.list_of(top["cases"], ("cases",)) if "cases" in top else None
    out: dict[str, Case] = {}
    for i, c in enumerate(raw or []):
        p = ("cases", i)
        m = ctx.mapping(c, p, ["id", "title", "situation", "answers", "expected", "explanation"], ["sources"])
        if m is None:
            continue
        cid = ctx.opt(m, "id", p, ctx.ident)
        title = ctx.opt(m, "title", p, ctx.string, max_length=200)
        situation = ctx.opt(m, "situation", p, ctx.text)
        explanation = ctx.opt(m, "explanation", p, ctx.text)
        answers = ctx.opt(m, "answers", p, lambda v, pp: ctx.mapping(v, pp, [], list(v) if isinstance(v, dict) else []))
        e = ctx.opt(m, "expected", p, lambda v, pp: ctx.mapping(v, pp, ["form"], ["procedure", "reserved_options", "red_flags",
                                                                                  "category", "alternatives"]))
        sources = loader._source_ids(ctx, m, p)
        if e is None or cid is None or not (title and situation and explanation) or answers is None:
            continue
        pe = p + ("expected",)
        form = e.get("form")
        if form not in FORMS:
            ctx.problem(pe + ("form",), f"okänd form '{form}'. Tillåtna: {', '.join(FORMS)}")
            continue
        procedure = e.get("procedure")
        if procedure is not None and procedure not in PROCEDURES:
            ctx.problem(pe + ("procedure",), f"okänt förfarande '{procedure}'. Tillåtna: {', '.join(PROCEDURES)}")
            continue
        if (procedure is None) != (form != "upphandling"):
            ctx.problem(pe, "'procedure' ska anges när formen är upphandling, och bara då")
            continue
        lists = {}
        for key in ("reserved_options", "red_flags", "alternatives"):
            items = ctx.list_of(e[key], pe + (key,), min_len=0) if key in e else []
            lists[key] = tuple(str(x) for x in items or [])
        for i, f in enumerate(lists["alternatives"]):
            if f not in FORMS or f in ("oklart", form):
                ctx.problem(pe + ("alternatives", i), f"'{f}' kan inte vara ett alternativ till formen {form}")
        category = e.get("category")
        if category is not None and category not in CATEGORIES + ("oklart",):
            ctx.problem(pe + ("category",), f"okänd kategori '{category}'. Tillåtna: {', '.join(CATEGORIES + ('oklart',))}")
            continue
        out[cid] = Case(cid, title, situation, dict(answers), form, procedure, lists["reserved_options"],
                        lists["red_flags"], explanation, sources, ctx.doc.line(p), category,
                        lists["alternatives"] if "alternatives" in e else None)
    ctx.unique_ids([(c.get("id") if isinstance(c, dict) else None, ("cases", i, "id")) for i, c in enumerate(raw or [])], "fallet")
    return out if raw is not None else None


def case_result(case: Case, model: Model, periods: list[Period], sources: Mapping[str, Source],
                label: str = "") -> tuple[Outcome | None, list[str]]:
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
        diffs.append(f"väntade reserverade spår {sorted(case.reserved_options)}, reglerna ger {sorted(out.reserved_options)}")
    if set(out.red_flags) != set(case.red_flags):
        diffs.append(f"väntade varningsflaggor {sorted(case.red_flags)}, reglerna ger {sorted(out.red_flags)}")
    if case.category is not None and out.category != case.category:
        diffs.append(f"väntad kategori {case.category}, reglerna ger {out.category}")
    if case.alternatives is not None and set(out.alternatives) != set(case.alternatives):
        diffs.append(f"väntade alternativ {sorted(case.alternatives)}, reglerna ger {sorted(out.alternatives)}")
    return out, diffs


def _check_cases(kit: loader.Kit, root: Path) -> list[Problem]:
    label = kit.data_files["cases"]
    if "decision" not in kit.data or "thresholds" not in kit.data:
        return [Problem(label, None, "", "fallbanken kräver data/samverkansform.yaml och data/troskelvarden.yaml")]
    problems = []
    for case in kit.data["cases"].values():
        _, diffs = case_result(case, kit.data["decision"], kit.data["thresholds"], kit.sources, label)
        for d in diffs:
            problems.append(Problem(label, case.line, f"cases ({case.id})", d))
    return problems


def load(root: Path | None = None) -> tuple[Model, list[Period], dict[str, Source], dict[str, Case]]:
    """The model, the thresholds, the sources and the case bank (those of its cases that load).

    Problems in the model, the thresholds or the sources raise :class:`ContentError`.
    """
    from samverkan import paths

    root = root or paths.kit_root()
    files = [root / "data" / "samverkansform.yaml", root / "data" / "troskelvarden.yaml", root / "data" / "kallor.yaml"]
    # The case bank loads with the kit; its own problems (and cases that no longer give their
    # expected outcome) are reported by `samverkan check`, not here: the tool works without it.
    kit = loader.load_kit(root, files)
    if kit.problems:
        raise ContentError(kit.problems)
    for kind, f in (("decision", files[0]), ("thresholds", files[1])):
        if kind not in kit.data:
            raise ContentError([Problem(display_path(f, root), None, "", "filen saknas eller har fel innehåll")])
    return kit.data["decision"], kit.data["thresholds"], kit.sources, kit.data.get("cases", {})


loader.DATA_KINDS.update({"decision": _decision_file, "cases": _cases_file})
loader.KIT_CHECKS["cases"] = _check_cases
