"""Samverkansformväljaren's content: the model (questions, rules), answers and the case bank.

The decision itself is :mod:`samverkan.logic.decision`.

Everything a trainer or a lawyer may want to change lives in data files:

* ``data/samverkansform.yaml`` (``decision:``): the questions, the wording of every reason,
  the ordered form rules, the reserved-procurement tracks, the red flags and what to check next;
* ``data/troskelvarden.yaml``: the direct-award limits and thresholds by period;
* ``exercises/samverkansform/fall.yaml`` (``cases:``): the case bank, each case with its
  expected outcome. ``samverkan check`` runs every case and reports one that no longer gives
  its expected outcome.

How the rules are applied (three-valued logic, the two-level verdict and its guarantee) is
described in :mod:`samverkan.logic.decision`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samverkan.content.context import Context, source_ids
from samverkan.content.datafiles import as_date
from samverkan.content.schema import Text
from samverkan.content.yamlsource import YamlSyntaxError, format_path, parse_yaml
from samverkan.errors import ContentError, Problem, display_path

FORMS = ("bidrag", "iop", "upphandling", "lov", "oklart")
CATEGORIES = ("köp", "stöd")
PROCEDURES = ("direktupphandling", "annonserad", "oklart")
YES, NO, UNKNOWN = "yes", "no", "unknown"
# Swedish spellings a trainer may write in an answers file; YAML turns bare yes/no into booleans.
_ALIASES = {
    True: YES,
    False: NO,
    None: UNKNOWN,
    "ja": YES,
    "nej": NO,
    "vet inte": UNKNOWN,
    "vet-inte": UNKNOWN,
    "okänt": UNKNOWN,
    "yes": YES,
    "no": NO,
    "unknown": UNKNOWN,
}
QUESTION_KINDS = ("choice", "yesno", "number", "date")
DISCLAIMER = (
    "Samverkansformväljaren är ett utbildningsstöd, inte juridisk rådgivning. Bedöm alltid det "
    "enskilda fallet med stöd av er upphandlings- eller juristfunktion."
)


# -- the model ---------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One answer a choice or yes/no question offers: its value, label, reason and wording as a condition."""

    value: str
    label: str
    reason: Text | None = None
    condition: Text | None = None  # "om …": the answer as a condition a verdict can rest on


@dataclass(frozen=True)
class QuestionDef:
    """One question of the tool: its key, kind (choice, yesno, number, date), text, help and options."""

    key: str
    kind: str
    question: Text
    help: Text | None
    options: tuple[Option, ...] = ()

    def option(self, value: str) -> Option | None:
        """The option with ``value``, or None."""
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
    """The tool's model (``data/samverkansform.yaml``): questions, form rules, procedures, tracks, flags."""

    questions: tuple[QuestionDef, ...]
    forms: tuple[Rule, ...]  # ordered; the last is "oklart" with no condition
    procedures: dict[str, Rule]
    reserved: tuple[Rule, ...]
    red_flags: tuple[Rule, ...]
    checks: tuple[Rule, ...]
    categories: tuple[Rule, ...] = ()  # "köp" and "stöd": when the answers settle the first level
    preferred: tuple[str, ...] = ()  # the likelier form first, when two on the same side remain

    def question(self, key: str) -> QuestionDef | None:
        """The question with ``key``, or None."""
        return next((q for q in self.questions if q.key == key), None)

    def ask(self, key: str) -> QuestionDef:
        """The question with ``key``, which the model's checks guarantee exists (KeyError otherwise)."""
        q = self.question(key)
        if q is None:
            raise KeyError(key)
        return q

    def form(self, form_id: str) -> Rule:
        """The form rule with ``form_id`` (KeyError if there is none)."""
        rule = next((f for f in self.forms if f.id == form_id), None)
        if rule is None:
            raise KeyError(form_id)
        return rule


def _norm_value(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().casefold()
    return _ALIASES.get(value, value) if isinstance(value, (str, bool)) or value is None else value


def _condition(ctx: Context, value: Any, path: tuple, keys: dict[str, QuestionDef]) -> Any:
    """Normalise a condition: ("all", [...]) | ("any", [...]) | ("not", c) | ("is", key, frozenset)."""
    if not isinstance(value, dict) or not value:
        ctx.problem(path, "ett villkor ska vara en samling fält, till exempel {sanctions: yes} eller {all: [...]}")
        return None
    parts: list[Any] = []
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


def _rule(
    ctx: Context,
    value: Any,
    path: tuple,
    keys: dict[str, QuestionDef],
    *,
    id_key: str = "id",
    condition: bool = True,
    forms: bool = False,
    category: bool = False,
) -> Rule | None:
    required = [id_key, "label"] + (["when"] if condition else [])
    optional = ["text", "references"] + (["forms"] if forms else []) + (["category"] if category else [])
    m = ctx.mapping(value, path, required, optional)
    if m is None:
        return None
    rid = ctx.opt(m, id_key, path, ctx.ident)
    label = ctx.opt(m, "label", path, ctx.string, max_length=200)
    text = ctx.optional_text(m, "text", path)
    when = _condition(ctx, m["when"], path + ("when",), keys) if condition and "when" in m else None
    refs = source_ids(ctx, m, path, key="references")
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
    return Rule(id=rid, label=label, text=text, when=when, forms=applies, references=tuple(refs), category=cat)


def _question(ctx: Context, value: Any, path: tuple) -> QuestionDef | None:
    m = ctx.mapping(
        value,
        path,
        ["key", "kind", "question"],
        ["help", "options", "if_yes", "if_no", "condition_yes", "condition_no"],
    )
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
        options = [
            Option(
                value=YES,
                label="Ja",
                reason=ctx.optional_text(m, "if_yes", path),
                condition=ctx.optional_text(m, "condition_yes", path),
            ),
            Option(
                value=NO,
                label="Nej",
                reason=ctx.optional_text(m, "if_no", path),
                condition=ctx.optional_text(m, "condition_no", path),
            ),
        ]
    elif kind == "choice":
        for i, o in enumerate(ctx.opt(m, "options", path, ctx.list_of, min_len=2) or []):
            p = path + ("options", i)
            om = ctx.mapping(o, p, ["value", "label"], ["reason", "condition"])
            if om is None:
                continue
            val, label = ctx.opt(om, "value", p, ctx.ident), ctx.opt(om, "label", p, ctx.string, max_length=200)
            if val and label:
                options.append(
                    Option(
                        value=val,
                        label=label,
                        reason=ctx.optional_text(om, "reason", p),
                        condition=ctx.optional_text(om, "condition", p),
                    )
                )
    if kind in ("yesno", "choice"):
        options.append(Option(value=UNKNOWN, label="Vet inte"))
    if key is None or question is None:
        return None
    return QuestionDef(key=key, kind=kind, question=question, help=help_, options=tuple(options))


def _decision_file(ctx: Context, top: dict) -> Model | None:
    ctx.mapping(top, (), ["decision"], ["schema_version"])
    m = ctx.mapping(
        top.get("decision"),
        ("decision",),
        ["questions", "forms", "procedures", "reserved", "red_flags", "checks"],
        ["categories", "preferred"],
    )
    if m is None:
        return None
    d = ("decision",)
    questions = [
        q
        for i, raw_q in enumerate(ctx.opt(m, "questions", d, ctx.list_of) or [])
        if (q := _question(ctx, raw_q, d + ("questions", i)))
    ]
    keys = {q.key: q for q in questions}
    ctx.unique_ids([(q.key, d + ("questions", i, "key")) for i, q in enumerate(questions)], "frågan")

    def rules(name: str, **kw: Any) -> list[Rule]:
        return [
            r
            for i, raw_r in enumerate(ctx.opt(m, name, d, ctx.list_of) or [])
            if (r := _rule(ctx, raw_r, d + (name, i), keys, **kw))
        ]

    # Every form but the last needs a condition; the last is the fallback "oklart".
    raw_forms: list[Any] = m["forms"] if isinstance(m.get("forms"), list) else []
    forms = []
    for i, v in enumerate(raw_forms):
        last = i == len(raw_forms) - 1
        r = _rule(ctx, v, d + ("forms", i), keys, id_key="form", condition=not last, category=True)
        if r is None:
            continue
        if r.id not in FORMS:
            ctx.problem(d + ("forms", i, "form"), f"okänd form '{r.id}'. Tillåtna: {', '.join(FORMS)}")
        if last and r.id != "oklart":
            ctx.problem(
                d + ("forms", i), "den sista formen ska vara 'oklart', utan villkor: den gäller när ingen regel avgör"
            )
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
            categories.append(
                Rule(
                    id=cm["category"],
                    label=label,
                    text=ctx.optional_text(cm, "text", p),
                    when=when,
                    references=tuple(source_ids(ctx, cm, p, key="references")),
                    category=cm["category"],
                )
            )
    preferred = tuple(ctx.list_of(m["preferred"], d + ("preferred",)) or []) if "preferred" in m else ()
    for i, f in enumerate(preferred):
        if f not in FORMS or f == "oklart":
            ctx.problem(
                d + ("preferred", i), f"okänd form '{f}'. Tillåtna: {', '.join(x for x in FORMS if x != 'oklart')}"
            )
    procedures = {r.id: r for r in rules("procedures", condition=False)}
    for pid in PROCEDURES:
        if "procedures" in m and pid not in procedures:
            ctx.problem(d + ("procedures",), f"förfarandet '{pid}' saknas")
    model = Model(
        questions=tuple(questions),
        forms=tuple(forms),
        procedures=procedures,
        reserved=tuple(rules("reserved", forms=True)),
        red_flags=tuple(rules("red_flags", forms=True)),
        checks=tuple(rules("checks", condition=False, forms=True)),
        categories=tuple(categories),
        preferred=preferred,
    )
    for needed in ("value_sek", "date"):
        if needed not in keys:
            ctx.problem(d + ("questions",), f"frågan '{needed}' saknas; förfarandet räknas ut från den")
    return model


# -- answers -----------------------------------------------------------------


@dataclass
class Answers:
    """The answers given so far, by question key."""

    values: dict[str, Any]  # key -> "yes"/"no"/"unknown"/choice value, number or date

    def get(self, key: str) -> Any:
        """The answer to ``key``; :data:`UNKNOWN` when it has none."""
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
        return Answers(values={}), problems
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
    return Answers(values=out), problems


def load_answers(path: Path | str, model: Model) -> Answers:
    """Read an answers file; a broken file raises :class:`ContentError` naming file, line and key."""
    path = Path(path)
    label = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([Problem(label, None, "", "filen finns inte")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = (
            "filen är inte sparad som UTF-8" if isinstance(exc, UnicodeDecodeError) else f"filen kan inte läsas ({exc})"
        )
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


# -- the case bank -------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One case of the case bank: the situation, its answers and the outcome it is expected to give."""

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


def _cases_file(ctx: Context, top: dict) -> dict[str, Case] | None:
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
        e = ctx.opt(
            m,
            "expected",
            p,
            lambda v, pp: ctx.mapping(
                v, pp, ["form"], ["procedure", "reserved_options", "red_flags", "category", "alternatives"]
            ),
        )
        sources = source_ids(ctx, m, p)
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
            ctx.problem(
                pe + ("category",), f"okänd kategori '{category}'. Tillåtna: {', '.join(CATEGORIES + ('oklart',))}"
            )
            continue
        out[cid] = Case(
            id=cid,
            title=title,
            situation=situation,
            answers=dict(answers),
            form=form,
            procedure=procedure,
            reserved_options=lists["reserved_options"],
            red_flags=lists["red_flags"],
            explanation=explanation,
            sources=sources,
            line=ctx.doc.line(p),
            category=category,
            alternatives=lists["alternatives"] if "alternatives" in e else None,
        )
    ctx.unique_ids(
        [(c.get("id") if isinstance(c, dict) else None, ("cases", i, "id")) for i, c in enumerate(raw or [])], "fallet"
    )
    return out if raw is not None else None


PARSERS = {"decision": _decision_file, "cases": _cases_file}
