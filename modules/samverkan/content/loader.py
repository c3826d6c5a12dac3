"""Validate content files into typed records, with Swedish messages.

Kinds of file, told apart by their top-level key:

* ``exercises:`` an exercise file (quiz, matching, scenario, free_text);
* ``lesson:``    a lesson's frame and texts (``exercises/<id>/lektion.yaml``);
* ``sources:``   the sources registry (``data/kallor.yaml``);
* ``workshop:``  a workshop plan (:mod:`samverkan.content.plan`);
* the data files of :data:`DATA_KINDS` (glossary, figures, thresholds, the
  Samverkansformväljaren's model and case bank, the timing figures).

Every problem is collected, not just the first, and each names the file,
the line and the field. A broken file never stops the others from loading:
:func:`load_kit` returns what loaded plus the list of problems.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samverkan.content import datafiles, paths, samverkansform, timing_data
from samverkan.content.context import MAX_FILE_BYTES, TYPE_NAMES, Context, per_audience, source_ids, texts, type_name
from samverkan.content.kit import Kit, in_folder
from samverkan.content.plan import Plan, check_plan, parse_plan
from samverkan.content.schema import (
    BLOCKS,
    FIGURE_PREFIX,
    RATINGS,
    SUPPORTED_SCHEMA_VERSIONS,
    Category,
    Choice,
    Exercise,
    ExerciseFile,
    FreeText,
    Lesson,
    Matching,
    MatchItem,
    Question,
    Quiz,
    Scenario,
    ScenarioChoice,
    Section,
    Source,
    Step,
)
from samverkan.content.yamlsource import YamlSyntaxError, format_path, parse_yaml
from samverkan.errors import ContentError, Problem, display_path

__all__ = [
    "DATA_KINDS",
    "PARSERS",
    "Kit",
    "Loaded",
    "content_files",
    "in_folder",
    "load_decision",
    "load_exercise_file",
    "load_file",
    "load_kit",
    "load_plan",
]

# -- exercise files ------------------------------------------------------

_COMMON = ["id", "kind", "title", "audience"]


def _choice(ctx: Context, value: Any, path: tuple) -> Choice | None:
    m = ctx.mapping(value, path, ["text"], ["correct", "feedback"])
    if m is None:
        return None
    text = ctx.opt(m, "text", path, ctx.text)
    correct = ctx.boolean(m["correct"], path + ("correct",)) if "correct" in m else False
    feedback = ctx.optional_text(m, "feedback", path)
    if text is None or correct is None:
        return None
    return Choice(text=text, correct=correct, feedback=feedback)


def _question(ctx: Context, value: Any, path: tuple) -> Question | None:
    m = ctx.mapping(value, path, ["id", "kind", "prompt", "choices"], ["explanation", "audience", "further_study"])
    if m is None:
        return None
    qid = ctx.opt(m, "id", path, ctx.ident)
    kind = m.get("kind")
    if "kind" in m and kind not in ("single_choice", "multiple_choice"):
        ctx.problem(path + ("kind",), f"okänd frågetyp '{kind}'. Tillåtna: single_choice, multiple_choice")
        kind = None
    prompt = ctx.opt(m, "prompt", path, ctx.text)
    choices: list[Choice] = []
    raw = ctx.opt(m, "choices", path, ctx.list_of, min_len=2)
    if raw is not None:
        for i, c in enumerate(raw):
            choice = _choice(ctx, c, path + ("choices", i))
            if choice is not None:
                choices.append(choice)
        if len(choices) == len(raw):
            n_correct = sum(c.correct for c in choices)
            if n_correct == 0:
                ctx.problem(path + ("choices",), "minst ett svar måste ha correct: true")
            elif kind == "single_choice" and n_correct > 1:
                ctx.problem(
                    path + ("choices",),
                    f"en single_choice-fråga ska ha exakt ett rätt svar, men {n_correct} har "
                    "correct: true (använd kind: multiple_choice för flera rätt)",
                )
    explanation = ctx.optional_text(m, "explanation", path)
    audience = ctx.audience(m, path)
    if qid is None or kind is None or prompt is None or raw is None or len(choices) != len(raw):
        return None
    return Question(
        id=qid,
        kind=kind,
        prompt=prompt,
        choices=tuple(choices),
        explanation=explanation,
        audience=audience,
        line=ctx.doc.line(path),
        further_study=ctx.flag(m, "further_study", path),
    )


def _quiz(ctx: Context, m: dict, path: tuple, ident: str | None) -> Quiz | None:
    ctx.mapping(m, path, ["id", "kind", "title", "questions"], ["audience", "intro", "legal", "further_study"])
    title = ctx.opt(m, "title", path, ctx.text)
    intro = ctx.optional_text(m, "intro", path)
    raw = ctx.opt(m, "questions", path, ctx.list_of)
    questions = []
    if raw is not None:
        for i, q in enumerate(raw):
            question = _question(ctx, q, path + ("questions", i))
            if question is not None:
                questions.append(question)
    audience = ctx.audience(m, path)
    further = ctx.flag(m, "further_study", path)
    if questions and not further and all(q.further_study for q in questions):
        ctx.problem(
            path + ("questions",),
            "alla frågor är märkta further_study, så verkstaden skulle visa en tom quiz; låt minst en fråga "
            "vara utan further_study, eller märk hela övningen med further_study: true",
        )
    if ident is None or title is None or raw is None or len(questions) != len(raw):
        return None
    return Quiz(
        id=ident,
        title=title,
        questions=tuple(questions),
        intro=intro,
        audience=audience,
        legal=ctx.flag(m, "legal", path),
        line=ctx.doc.line(path),
        further_study=ctx.flag(m, "further_study", path),
    )


def _matching(ctx: Context, m: dict, path: tuple, ident: str | None) -> Matching | None:
    ctx.mapping(
        m, path, ["id", "kind", "title", "prompt", "categories", "items"], ["audience", "legal", "further_study"]
    )
    title = ctx.opt(m, "title", path, ctx.text)
    prompt = ctx.opt(m, "prompt", path, ctx.text)
    categories: list[Category] = []
    raw_c = ctx.opt(m, "categories", path, ctx.list_of, min_len=2)
    for i, c in enumerate(raw_c or []):
        p = path + ("categories", i)
        cm = ctx.mapping(c, p, ["id", "label"], [])
        if cm is None:
            continue
        cid = ctx.opt(cm, "id", p, ctx.ident)
        label = ctx.opt(cm, "label", p, ctx.text)
        if cid and label:
            categories.append(Category(id=cid, label=label))
    ctx.unique_ids([(c.id, path + ("categories", i, "id")) for i, c in enumerate(categories)], "kategorin")
    known = {c.id for c in categories}
    items: list[MatchItem] = []
    raw_i = ctx.opt(m, "items", path, ctx.list_of, min_len=2)
    for i, it in enumerate(raw_i or []):
        p = path + ("items", i)
        im = ctx.mapping(it, p, ["text", "category"], ["id", "feedback"])
        if im is None:
            continue
        iid = ctx.ident(im["id"], p + ("id",)) if "id" in im else (f"{ident}-{i + 1}" if ident else None)
        text = ctx.opt(im, "text", p, ctx.text)
        category = im.get("category")
        if "category" in im and raw_c is not None and category not in known:
            hint = difflib.get_close_matches(str(category), sorted(known), n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else f" Kategorier: {', '.join(sorted(known))}."
            ctx.problem(p + ("category",), f"kategorin '{category}' finns inte i categories.{tip}")
            category = None
        feedback = ctx.optional_text(im, "feedback", p)
        if iid and text and category:
            items.append(MatchItem(id=iid, text=text, category=category, feedback=feedback))
    ctx.unique_ids([(it.id, path + ("items", i)) for i, it in enumerate(items)], "påståendet")
    audience = ctx.audience(m, path)
    complete = raw_c is not None and raw_i is not None and len(categories) == len(raw_c) and len(items) == len(raw_i)
    if ident is None or title is None or prompt is None or not complete:
        return None
    return Matching(
        id=ident,
        title=title,
        prompt=prompt,
        categories=tuple(categories),
        items=tuple(items),
        audience=audience,
        legal=ctx.flag(m, "legal", path),
        line=ctx.doc.line(path),
        further_study=ctx.flag(m, "further_study", path),
    )


def _scenario(ctx: Context, m: dict, path: tuple, ident: str | None) -> Scenario | None:
    ctx.mapping(m, path, ["id", "kind", "title", "start", "steps"], ["audience", "intro", "legal", "further_study"])
    title = ctx.opt(m, "title", path, ctx.text)
    intro = ctx.optional_text(m, "intro", path)
    start = ctx.opt(m, "start", path, ctx.ident)
    raw = ctx.opt(m, "steps", path, ctx.list_of, min_len=2)
    steps: list[Step] = []
    next_refs: list[tuple[str, tuple]] = []
    for i, s in enumerate(raw or []):
        p = path + ("steps", i)
        sm = ctx.mapping(s, p, ["id"], ["situation", "choices", "outcome", "explanation", "rating"])
        if sm is None:
            continue
        sid = ctx.opt(sm, "id", p, ctx.ident)
        if "outcome" in sm:
            for key in ("situation", "choices"):
                if key in sm:
                    ctx.problem(p + (key,), f"ett slutsteg (med outcome) kan inte ha '{key}'; dela upp i två steg")
            outcome = ctx.text(sm["outcome"], p + ("outcome",))
            explanation = ctx.opt(sm, "explanation", p, ctx.text)
            if "explanation" not in sm:
                ctx.problem(p, "ett slutsteg (med outcome) måste ha 'explanation' som förklarar utfallet")
            rating = sm.get("rating")
            if rating is not None and rating not in RATINGS:
                ctx.problem(p + ("rating",), f"okänt betyg '{rating}'. Tillåtna: {', '.join(RATINGS)}")
                rating = None
            if sid and outcome and explanation:
                steps.append(Step(id=sid, outcome=outcome, explanation=explanation, rating=rating))
            continue
        for key in ("explanation", "rating"):
            if key in sm:
                ctx.problem(p + (key,), f"'{key}' hör bara till slutsteg (steg med outcome)")
        if "situation" not in sm or "choices" not in sm:
            ctx.problem(p, "ett steg måste ha antingen 'situation' och 'choices', eller 'outcome' (slutsteg)")
            continue
        situation = ctx.text(sm["situation"], p + ("situation",))
        raw_choices = ctx.list_of(sm["choices"], p + ("choices",))
        choices: list[ScenarioChoice] = []
        for j, c in enumerate(raw_choices or []):
            cp = p + ("choices", j)
            cm = ctx.mapping(c, cp, ["text", "consequence", "next"], [])
            if cm is None:
                continue
            text = ctx.opt(cm, "text", cp, ctx.text)
            consequence = ctx.opt(cm, "consequence", cp, ctx.text)
            nxt = ctx.opt(cm, "next", cp, ctx.ident)
            if nxt:
                next_refs.append((nxt, cp + ("next",)))
            if text and consequence and nxt:
                choices.append(ScenarioChoice(text=text, consequence=consequence, next=nxt))
        if sid and situation and raw_choices is not None and len(choices) == len(raw_choices):
            steps.append(Step(id=sid, situation=situation, choices=tuple(choices)))
    ctx.unique_ids(
        [(s.get("id") if isinstance(s, dict) else None, path + ("steps", i, "id")) for i, s in enumerate(raw or [])],
        "steget",
    )
    declared = {s.get("id") for s in (raw or []) if isinstance(s, dict)}
    for nxt, p in next_refs:
        if nxt not in declared:
            hint = difflib.get_close_matches(nxt, sorted(x for x in declared if isinstance(x, str)), n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else ""
            ctx.problem(p, f"next pekar på steget '{nxt}', som inte finns.{tip}")
    if start and raw is not None and start not in declared:
        ctx.problem(path + ("start",), f"start pekar på steget '{start}', som inte finns")
    audience = ctx.audience(m, path)
    complete = raw is not None and len(steps) == len(raw)
    if complete and start in declared and not any(s.is_outcome for s in steps):
        ctx.problem(path + ("steps",), "scenariot har inget slutsteg (ett steg med outcome)")
        complete = False
    if complete and start in declared and all(n in declared for n, _ in next_refs):
        _check_graph(ctx, path, start, steps, raw)
    if ident is None or title is None or start is None or not complete or _has_problems_under(ctx, path):
        return None
    return Scenario(
        id=ident,
        title=title,
        start=start,
        steps=tuple(steps),
        intro=intro,
        audience=audience,
        legal=ctx.flag(m, "legal", path),
        line=ctx.doc.line(path),
        further_study=ctx.flag(m, "further_study", path),
    )


def _has_problems_under(ctx: Context, path: tuple) -> bool:
    prefix = format_path(path)
    return any(
        p.field == prefix or p.field.startswith(prefix + ".") or p.field.startswith(prefix + "[") for p in ctx.problems
    )


def _check_graph(ctx: Context, path: tuple, start: str, steps: list[Step], raw: list) -> None:
    by_id = {s.id: s for s in steps}
    index = {s.get("id"): i for i, s in enumerate(raw) if isinstance(s, dict)}
    reachable, todo = set(), [start]
    while todo:
        sid = todo.pop()
        if sid in reachable:
            continue
        reachable.add(sid)
        todo.extend(c.next for c in by_id[sid].choices)
    for s in steps:
        if s.id not in reachable:
            ctx.problem(
                path + ("steps", index[s.id]), f"steget '{s.id}' nås aldrig från start; inget val har next: {s.id}"
            )
    # From every reachable step, some ending must be reachable (no closed loops).
    ends = {s.id for s in steps if s.is_outcome}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for s in steps:
            if s.id not in can_end and any(c.next in can_end for c in s.choices):
                can_end.add(s.id)
                changed = True
    for s in steps:
        if s.id in reachable and s.id not in can_end:
            ctx.problem(
                path + ("steps", index[s.id]),
                f"från steget '{s.id}' går det inte att nå något slutsteg (valen bildar en slinga)",
            )


def _free_text(ctx: Context, m: dict, path: tuple, ident: str | None) -> FreeText | None:
    ctx.mapping(m, path, ["id", "kind", "title", "prompt"], ["audience", "guidance", "max_length", "further_study"])
    title = ctx.opt(m, "title", path, ctx.text)
    prompt = ctx.opt(m, "prompt", path, ctx.text)
    guidance = ctx.optional_text(m, "guidance", path)
    max_length = ctx.integer(m["max_length"], path + ("max_length",), 10, 2000) if "max_length" in m else 1000
    audience = ctx.audience(m, path)
    if ident is None or title is None or prompt is None or max_length is None:
        return None
    return FreeText(
        id=ident,
        title=title,
        prompt=prompt,
        guidance=guidance,
        max_length=max_length,
        audience=audience,
        line=ctx.doc.line(path),
        further_study=ctx.flag(m, "further_study", path),
    )


# One parser per exercise kind (EXERCISE_KINDS in schema.py).
PARSERS: dict[str, Callable[[Context, dict, tuple, str | None], Exercise | None]] = {
    "quiz": _quiz,
    "matching": _matching,
    "scenario": _scenario,
    "free_text": _free_text,
}


def _exercise(ctx: Context, value: Any, path: tuple) -> Exercise | None:
    if not isinstance(value, dict):
        ctx.problem(path, f"en övning ska vara {TYPE_NAMES[dict]}, men är {type_name(value)}")
        return None
    ident = ctx.opt(value, "id", path, ctx.ident)
    if "kind" not in value:
        ctx.problem(path, f"fältet 'kind' saknas. Tillåtna: {', '.join(PARSERS)}")
        return None
    kind = value["kind"]
    builder = PARSERS.get(kind) if isinstance(kind, str) else None
    if builder is None:
        hint = difflib.get_close_matches(str(kind), list(PARSERS), n=1)
        tip = f" Menade du '{hint[0]}'?" if hint else ""
        ctx.problem(path + ("kind",), f"okänd övningstyp '{kind}'. Tillåtna: {', '.join(PARSERS)}.{tip}")
        return None
    if "id" not in value:
        ctx.problem(path, "fältet 'id' saknas")
    return builder(ctx, value, path, ident)


def _exercise_file(ctx: Context, top: dict) -> ExerciseFile | None:
    ctx.mapping(top, (), ["exercises"], ["schema_version"])
    raw = ctx.list_of(top["exercises"], ("exercises",)) if "exercises" in top else None
    exercises = []
    for i, e in enumerate(raw or []):
        ex = _exercise(ctx, e, ("exercises", i))
        if ex is not None:
            exercises.append(ex)
    ids: list[tuple[str | None, tuple]] = []
    for i, e in enumerate(raw or []):
        if isinstance(e, dict):
            ids.append((e.get("id") if isinstance(e.get("id"), str) else None, ("exercises", i, "id")))
            for j, q in enumerate(e.get("questions") or [] if isinstance(e.get("questions"), list) else []):
                if isinstance(q, dict) and isinstance(q.get("id"), str):
                    ids.append((q["id"], ("exercises", i, "questions", j, "id")))
    ctx.unique_ids(ids, "id")
    return ExerciseFile(path=ctx.label, schema_version=top.get("schema_version", 1), exercises=tuple(exercises))


# -- lessons ---------------------------------------------------------------


def _blocks(ctx: Context, m: dict, path: tuple) -> tuple[str, ...]:
    """``show:``: named generated blocks; figures are checked against data/figurer.yaml later."""
    out = []
    for i, b in enumerate((ctx.list_of(m["show"], path + ("show",)) or []) if "show" in m else []):
        p = path + ("show", i)
        if not isinstance(b, str):
            ctx.problem(p, f"ska vara ett namn, men är {type_name(b)}")
        elif b.startswith(FIGURE_PREFIX):
            if ctx.ident(b[len(FIGURE_PREFIX) :], p):
                ctx.figure_refs.append((b[len(FIGURE_PREFIX) :], p))
                out.append(b)
        elif b in BLOCKS:
            out.append(b)
        else:
            hint = difflib.get_close_matches(b, list(BLOCKS), n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else ""
            known = ", ".join(list(BLOCKS) + [FIGURE_PREFIX + "<id>"])
            ctx.problem(p, f"okänt block '{b}'. Tillåtna: {known}.{tip}")
    return tuple(out)


def _code(ctx: Context, m: dict, path: tuple) -> str | None:
    """``code:``: Python for an editable cell; a syntax error is reported at its own line."""
    if "code" not in m:
        return None
    code = ctx.string(m["code"], path + ("code",), max_length=4000)
    if code is None:
        return None
    try:
        ast.parse(code)
    except SyntaxError as exc:
        ctx.problem(path + ("code",), f"Python-koden har ett syntaxfel på kodens rad {exc.lineno}: {exc.msg}")
        return None
    return code


def _lesson_file(ctx: Context, top: dict, folder_id: str | None) -> Lesson | None:
    ctx.mapping(top, (), ["lesson"], ["schema_version"])
    path = ("lesson",)
    m = ctx.mapping(
        top.get("lesson"),
        path,
        [
            "id",
            "title",
            "why",
            "questions",
            "objectives",
            "sections",
            "discussion",
            "discussion_minutes",
            "key_points",
            "reflection",
            "sources",
        ],
        [],
    )
    if m is None:
        return None
    lid = ctx.opt(m, "id", path, ctx.ident)
    if lid and folder_id and lid != folder_id:
        ctx.problem(path + ("id",), f"lektionens id '{lid}' måste vara samma som mappens namn '{folder_id}'")
    title = ctx.opt(m, "title", path, ctx.text)
    why = ctx.opt(m, "why", path, ctx.text)
    questions = texts(ctx, m, "questions", path)
    objectives = texts(ctx, m, "objectives", path)
    key_points = texts(ctx, m, "key_points", path)
    reflection = texts(ctx, m, "reflection", path)
    discussion = per_audience(ctx, m["discussion"], path + ("discussion",), True) if "discussion" in m else {}
    discussion_minutes = ctx.opt(m, "discussion_minutes", path, ctx.integer, 0, 240)
    sections = []
    raw = ctx.opt(m, "sections", path, ctx.list_of)
    for i, s in enumerate(raw or []):
        p = path + ("sections", i)
        sm = ctx.mapping(
            s,
            p,
            ["id", "title", "minutes", "body"],
            ["examples", "exercises", "sources", "show", "code", "further_study"],
        )
        if sm is None:
            continue
        sid = ctx.opt(sm, "id", p, ctx.ident)
        stitle = ctx.opt(sm, "title", p, ctx.text)
        minutes = ctx.opt(sm, "minutes", p, ctx.integer, 1, 240)
        body = ctx.opt(sm, "body", p, ctx.text)
        examples = per_audience(ctx, sm["examples"], p + ("examples",), False) if "examples" in sm else {}
        ex_ids = []
        for j, e in enumerate((ctx.list_of(sm["exercises"], p + ("exercises",)) or []) if "exercises" in sm else []):
            eid = ctx.ident(e, p + ("exercises", j))
            if eid:
                ex_ids.append(eid)
                ctx.exercise_refs.append((eid, p + ("exercises", j)))
        srcs = source_ids(ctx, sm, p)
        show = _blocks(ctx, sm, p)
        code = _code(ctx, sm, p)
        if sid and stitle and minutes and body:
            sections.append(
                Section(
                    id=sid,
                    title=stitle,
                    minutes=minutes,
                    body=body,
                    examples=examples,
                    exercises=tuple(ex_ids),
                    sources=srcs,
                    show=show,
                    code=code,
                    further_study=ctx.flag(sm, "further_study", p),
                )
            )
    ctx.unique_ids(
        [(s.get("id") if isinstance(s, dict) else None, path + ("sections", i, "id")) for i, s in enumerate(raw or [])],
        "avsnittet",
    )
    sources = source_ids(ctx, m, path)
    if ctx.problems:
        return None
    return Lesson(
        id=lid,
        title=title,
        why=why,
        questions=questions,
        objectives=objectives,
        sections=tuple(sections),
        discussion=discussion,
        discussion_minutes=discussion_minutes,
        key_points=key_points,
        reflection=reflection,
        sources=sources,
        path=ctx.label,
    )


# -- sources registry ----------------------------------------------------


def _sources_file(ctx: Context, top: dict) -> dict[str, Source]:
    ctx.mapping(top, (), ["sources"], ["schema_version"])
    raw = ctx.list_of(top["sources"], ("sources",)) if "sources" in top else None
    out: dict[str, Source] = {}
    for i, s in enumerate(raw or []):
        p = ("sources", i)
        sm = ctx.mapping(s, p, ["id", "title", "reference", "short"], ["year", "url", "note"])
        if sm is None:
            continue
        sid = ctx.opt(sm, "id", p, ctx.ident)
        title = ctx.opt(sm, "title", p, ctx.string)
        year = ctx.opt(sm, "year", p, ctx.integer, 1800, 2100)
        reference = ctx.opt(sm, "reference", p, ctx.string)
        short = ctx.opt(sm, "short", p, ctx.string, max_length=80)
        url = ctx.opt(sm, "url", p, ctx.string)
        if url and not url.startswith(("https://", "http://")):
            ctx.problem(p + ("url",), "en länk ska börja med https:// eller http://")
        note = ctx.opt(sm, "note", p, ctx.string)
        if sid and title and reference and short and (year is not None or "year" not in sm):
            out[sid] = Source(id=sid, title=title, year=year, reference=reference, short=short, url=url, note=note)
    ctx.unique_ids(
        [(s.get("id") if isinstance(s, dict) else None, ("sources", i, "id")) for i, s in enumerate(raw or [])],
        "källan",
    )
    return out


# -- files and the whole kit -----------------------------------------------


@dataclass
class Loaded:
    """What one file gave: one of the three, plus references to check kit-wide."""

    label: str
    exercise_file: ExerciseFile | None = None
    lesson: Lesson | None = None
    sources: dict[str, Source] | None = None
    citations: list[tuple[str, int | None, str]] = field(default_factory=list)
    exercise_refs: list[tuple[str, int | None, str]] = field(default_factory=list)
    figure_refs: list[tuple[str, int | None, str]] = field(default_factory=list)
    ids: list[tuple[str, int | None, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False  # the file could not be read, decoded or parsed as YAML
    data: tuple[str, Any] | None = None  # (kind, value) for the data files of DATA_KINDS
    plan: Plan | None = None  # a workshop plan, from a file with 'workshop:'
    readable: list[tuple[int | None, str, str, str]] = field(default_factory=list)  # (line, field, text, what)


def load_file(path: Path | str, *, root: Path | None = None) -> Loaded:
    """Validate one content file. Problems are returned, never raised."""
    path = Path(path)
    label = display_path(path, root)
    result = Loaded(label)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.problems.append(Problem(label, None, "", f"filen kan inte läsas ({exc.strerror or exc})"))
        result.unreadable = True
        return result
    if len(raw) > MAX_FILE_BYTES:
        result.problems.append(Problem(label, None, "", f"filen är för stor ({len(raw)} byte, högst {MAX_FILE_BYTES})"))
        result.unreadable = True
        return result
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        result.problems.append(
            Problem(label, line, "", "filen är inte sparad som UTF-8; spara om den med teckenkodning UTF-8")
        )
        result.unreadable = True
        return result
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        result.problems.append(Problem(label, exc.line, "", str(exc)))
        result.unreadable = True
        return result
    ctx = Context(label, doc)
    for dup_path, line in doc.duplicate_keys:
        ctx.problems.append(
            Problem(
                label,
                line,
                format_path(dup_path),
                f"nyckeln '{dup_path[-1]}' står två gånger; den senare skulle tyst ersätta den första",
            )
        )
    top = doc.data
    if not isinstance(top, dict):
        ctx.problem((), "filen ska börja med 'schema_version: 1' och sedan 'exercises:', 'lesson:' eller 'sources:'")
        result.problems = ctx.problems
        return result
    if "schema_version" not in top:
        ctx.problem((), "fältet 'schema_version' saknas (skriv schema_version: 1 överst i filen)")
    elif top["schema_version"] not in SUPPORTED_SCHEMA_VERSIONS or isinstance(top["schema_version"], bool):
        ctx.problem(
            ("schema_version",),
            f"schema_version {top['schema_version']!r} stöds inte; kitet läser version "
            f"{', '.join(map(str, SUPPORTED_SCHEMA_VERSIONS))}",
        )
    if "exercises" in top:
        result.exercise_file = _exercise_file(ctx, top)
        if result.exercise_file:
            for ex in result.exercise_file.exercises:
                result.ids.append((ex.id, ex.line, "övningen"))
                for q in getattr(ex, "questions", ()):
                    result.ids.append((q.id, q.line, "frågan"))
    elif "lesson" in top:
        folder = path.parent.name if path.name == "lektion.yaml" else None
        result.lesson = _lesson_file(ctx, top, folder)
    elif "sources" in top:
        result.sources = _sources_file(ctx, top)
    elif "workshop" in top:
        result.plan = parse_plan(ctx, top)
    elif kind := next((k for k in DATA_KINDS if k in top), None):
        value = DATA_KINDS[kind](ctx, top)
        if value is not None and not ctx.problems:
            result.data = (kind, value)
    else:
        keys = ", ".join(str(k) for k in top) or "inga"
        known = ", ".join(f"'{k}:'" for k in ["exercises", "lesson", "sources", "workshop", *DATA_KINDS])
        ctx.problem((), f"okänd filtyp: filen ska ha ett av {known} på översta nivån (hittade: {keys})")
    result.citations = [(sid, doc.line(p), format_path(p)) for sid, p in ctx.citations]
    result.exercise_refs = [(eid, doc.line(p), format_path(p)) for eid, p in ctx.exercise_refs]
    result.figure_refs = [(fid, doc.line(p), format_path(p)) for fid, p in ctx.figure_refs]
    result.readable = [(doc.line(p), format_path(p), text, what) for p, text, what in ctx.readable]
    result.problems = ctx.problems
    return result


def content_files(root: Path) -> list[Path]:
    """The content files of a kit: every YAML file in data/ and under exercises/."""
    files = []
    data = root / "data"
    if data.is_dir():
        files.extend(sorted(p for p in data.glob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
    exercises = root / "exercises"
    if exercises.is_dir():
        files.extend(sorted(p for p in exercises.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
    return files


def load_kit(root: Path | None = None, files: Iterable[Path] | None = None, *, all_problems: bool = False) -> Kit:
    """Load all content; broken files are reported, the rest still load.

    With ``files``, only their problems are reported (all of them with ``all_problems``), but
    references (sources, exercise ids) are still resolved against the whole kit at ``root``; a
    file outside the kit is loaded with it.
    """
    root = Path(root) if root is not None else paths.kit_root()
    selected = [Path(f) for f in files] if files is not None else None
    all_files = content_files(root)
    if selected is not None:
        for f in selected:
            if f.resolve() not in {a.resolve() for a in all_files}:
                all_files.append(f)
    kit = Kit()
    loaded = [load_file(f, root=root) for f in all_files]
    # Files that could not be read or parsed at all: their problems come first, and a reference
    # elsewhere that fails may be a follow-on of them.
    unreadable = [res.label for res in loaded if res.unreadable]
    kit.unreadable = unreadable
    id_owner: dict[str, tuple[str, int | None]] = {}
    for f, res in zip(all_files, loaded):
        kit.files.append(res.label)
        kit.problems.extend(res.problems)
        kit.readable.extend((res.label, *r) for r in res.readable)
        if res.sources is not None:
            kit.sources.update(res.sources)
        if res.lesson is not None:
            kit.lessons[res.lesson.id] = res.lesson
        if res.plan is not None:
            kit.plans[res.label] = res.plan
        if res.data is not None:
            kind, value = res.data
            if kind in kit.data_files:
                kit.problems.append(
                    Problem(
                        res.label,
                        None,
                        "",
                        f"det finns redan en fil med '{kind}:' ({kit.data_files[kind]}); kitet läser bara en",
                    )
                )
            else:
                kit.data[kind], kit.data_files[kind] = value, res.label
        for ident, line, _what in res.ids:
            if ident in id_owner and id_owner[ident][0] != res.label:
                other, other_line = id_owner[ident]
                kit.problems.append(
                    Problem(
                        res.label,
                        line,
                        "id",
                        f"id '{ident}' används redan i {other}, rad {other_line}; varje id måste "
                        "vara unikt i hela kitet",
                    )
                )
                kit.problems.append(
                    Problem(
                        other,
                        other_line,
                        "id",
                        f"id '{ident}' används också i {res.label}, rad {line}; varje id måste vara unikt i hela kitet",
                    )
                )
            id_owner.setdefault(ident, (res.label, line))
        if res.exercise_file is not None:
            folder = f.parent.name if f.parent.parent.name == "exercises" else None
            for ex in res.exercise_file.exercises:
                if ex.id in kit.exercises:
                    continue
                kit.exercises[ex.id] = ex
                if folder:
                    kit.exercise_folder[ex.id] = folder
    has_registry = (root / "data" / "kallor.yaml").exists()
    for res in loaded:
        for sid, line, fld in res.citations:
            kit.citations.setdefault(sid, set()).add(res.label)
            if has_registry and sid not in kit.sources:
                hint = difflib.get_close_matches(sid, sorted(kit.sources), n=1)
                tip = f" Menade du '{hint[0]}'?" if hint else ""
                kit.problems.append(
                    Problem(res.label, line, fld, f"källan '{sid}' finns inte i data/kallor.yaml.{tip}")
                )
        for eid, line, fld in res.exercise_refs:
            if eid not in id_owner:
                kit.problems.append(Problem(res.label, line, fld, f"övningen '{eid}' finns inte i någon övningsfil"))
        figures = kit.data.get("figures", {})
        for fid, line, fld in res.figure_refs:
            if fid not in figures:
                hint = difflib.get_close_matches(fid, sorted(figures), n=1)
                tip = f" Menade du '{FIGURE_PREFIX}{hint[0]}'?" if hint else ""
                kit.problems.append(
                    Problem(res.label, line, fld, f"figuren '{fid}' finns inte i data/figurer.yaml.{tip}")
                )
    for kind, check in KIT_CHECKS.items():
        if kind in kit.data:
            kit.problems.extend(check(kit, root))
    if kit.plans:
        for workshop_plan in kit.plans.values():
            kit.problems.extend(check_plan(workshop_plan, kit))
    if selected is not None and not all_problems:
        wanted = {display_path(f, root) for f in selected}
        kit.problems = [p for p in kit.problems if p.file in wanted]
    note_follow_ons(kit)
    return sort_problems(kit)


# Data files beyond exercises, lessons and sources: top-level key -> parser(ctx, top) giving the
# file's value or None. Each parser lives with its records in a module of this package.
DATA_KINDS: dict[str, Callable[[Context, dict], Any]] = {
    **datafiles.PARSERS,
    **samverkansform.PARSERS,
    **timing_data.PARSERS,
}
# Kit-wide content checks per kind, run after everything loaded: (kit, root) -> problems.
KIT_CHECKS: dict[str, Callable[[Kit, Path], list[Problem]]] = {**datafiles.CHECKS}


def note_follow_ons(kit: Kit) -> None:
    """Add to each follow-on problem (a missing exercise, source or figure) which unreadable file may explain
    it. Done once, by :func:`load_kit`."""
    unreadable = kit.unreadable
    if not unreadable:
        return
    names = ", ".join(unreadable)
    note = f" (kanske för att {names} inte kunde läsas; rätta {'den' if len(unreadable) == 1 else 'dem'} först)"
    kit.problems = [
        Problem(p.file, p.line, p.field, p.message + note, p.severity)
        if p.file not in unreadable and p.message.startswith(FOLLOW_ON)
        else p
        for p in kit.problems
    ]


def sort_problems(kit: Kit) -> Kit:
    """Sort the kit's problems: files that could not be read or parsed first, then by file, line and field."""
    first = set(kit.unreadable)
    kit.problems.sort(key=lambda p: (p.file not in first, p.file, p.line or 0, p.field))
    return kit


# Messages of problems that a file which failed to parse can cause in other files.
FOLLOW_ON = ("övningen '", "källan '", "figuren '")


def load_exercise_file(path: Path | str) -> ExerciseFile:
    """Load one exercise file or raise :class:`ContentError` with all its problems."""
    res = load_file(path)
    if res.problems:
        raise ContentError(res.problems)
    if res.exercise_file is None:
        raise ContentError([Problem(res.label, None, "", "filen är ingen övningsfil (saknar 'exercises:')")])
    return res.exercise_file


def load_decision(
    root: Path | None = None,
) -> tuple[samverkansform.Model, list[datafiles.Period], dict[str, Source], dict[str, samverkansform.Case]]:
    """The model, the thresholds, the sources and the case bank (those of its cases that load).

    Problems in the model, the thresholds or the sources raise :class:`ContentError`.
    """
    root = root or paths.kit_root()
    files = [root / "data" / "samverkansform.yaml", root / "data" / "troskelvarden.yaml", root / "data" / "kallor.yaml"]
    # The case bank loads with the kit; its own problems (and cases that no longer give their
    # expected outcome) are reported by `samverkan check`, not here: the tool works without it.
    kit = load_kit(root, files)
    if kit.problems:
        raise ContentError(kit.problems)
    for kind, f in (("decision", files[0]), ("thresholds", files[1])):
        if kind not in kit.data:
            raise ContentError([Problem(display_path(f, root), None, "", "filen saknas eller har fel innehåll")])
    return kit.data["decision"], kit.data["thresholds"], kit.sources, kit.data.get("cases", {})


def load_plan(path: Path | str) -> tuple[Plan, Kit]:
    """The plan in ``path`` and the kit, or :class:`ContentError` with every problem in the plan and its lessons."""
    path = Path(path)
    if not path.is_file():
        raise ContentError([Problem(str(path), None, "", "filen finns inte")])
    root = paths.kit_root()
    kit = load_kit(root, [path], all_problems=True)  # the whole kit, once, with the plan in it
    label = display_path(path, root)
    problems = [p for p in kit.problems if p.file == label]
    if label not in kit.plans and not problems:
        problems = [Problem(label, None, "", "filen är ingen verkstadsplan (den ska ha 'workshop:' på översta nivån)")]
    if problems:
        raise ContentError(problems)
    plan = kit.plans[label]
    lesson_problems = [p for lesson in plan.lessons for p in kit.problems_in(lesson)]
    lesson_problems += [p for p in kit.problems if p.file.startswith("data/")]
    if lesson_problems:
        raise ContentError(lesson_problems)
    return plan, kit
