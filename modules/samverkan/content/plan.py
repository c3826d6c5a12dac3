"""Workshop plans: the records and checks of a YAML file that becomes a facilitator guide and the handouts.

The agenda's times are :mod:`samverkan.logic.agenda`; the guide and the build are
:mod:`samverkan.build.guide`.

A plan names the workshop, its date, start time and length, the audience and
level, and an agenda of lessons (optionally a choice of their exercises) and
other items (welcome, break). ``samverkan check`` validates it like any
content file (every problem with file and line); ``samverkan kit PLAN``
builds the guide and the participants' handouts in one go::

    schema_version: 1
    workshop:
      title: Samverkan med civilsamhället
      date: 2027-02-10
      start: "13:00"
      minutes: 150
      audience: fortroendevald
      agenda:
        - title: Välkommen
          minutes: 10
        - lesson: 03-principer
          exercises: [roller-matchning, principer-scenario]
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from samverkan.content.context import Context
from samverkan.content.kit import Kit
from samverkan.content.schema import AUDIENCE_LABELS, AUDIENCES, LEVELS
from samverkan.errors import Problem

MAX_MINUTES = 8 * 60 * 3  # three full days
TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


@dataclass(frozen=True)
class AgendaItem:
    """One agenda item: a lesson (optionally some of its exercises) or another item such as a break."""

    lesson: str | None
    title: str | None
    minutes: int | None  # None: the lesson's own time budget
    exercises: tuple[str, ...] | None  # None: all the lesson's exercises for the audience
    line: int | None = None
    index: int = 0  # position in the agenda, for error messages


@dataclass(frozen=True)
class Plan:
    """A workshop plan: title, date, start, length, audiences, levels, agenda, place and server."""

    path: str
    title: str
    date: dt.date | None
    start: dt.time | None
    minutes: int
    audiences: tuple[str, ...]
    levels: tuple[str, ...]
    agenda: tuple[AgendaItem, ...]
    place: str | None = None
    server: str = "http://127.0.0.1:8866"
    notes: str | None = None
    minutes_line: int | None = None

    @property
    def lessons(self) -> list[str]:
        """The lessons on the agenda, each once, in order."""
        seen: list[str] = []
        for item in self.agenda:
            if item.lesson and item.lesson not in seen:
                seen.append(item.lesson)
        return seen


def _one_or_list(
    ctx: Context, m: dict, key: str, path: tuple, allowed: tuple[str, ...], default: tuple[str, ...]
) -> tuple[str, ...]:
    if key not in m:
        return default
    value = m[key]
    items = value if isinstance(value, list) else [value]
    out = []
    for i, v in enumerate(items):
        p = path + (key, i) if isinstance(value, list) else path + (key,)
        if v not in allowed:
            hint = difflib.get_close_matches(str(v), allowed, n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else ""
            ctx.problem(p, f"okänt värde '{v}'. Tillåtna: {', '.join(allowed)}.{tip}")
        elif v not in out:
            out.append(v)
    return tuple(out) or default


def parse_plan(ctx: Context, top: dict) -> Plan | None:
    """The plan in a file with ``workshop:``, or None when it has problems (reported on ``ctx``)."""
    """Check the ``workshop:`` part of a file; problems go to ``ctx``. References are checked kit-wide later."""
    ctx.mapping(top, (), ["schema_version", "workshop"], [])
    path = ("workshop",)
    m = ctx.mapping(
        top["workshop"],
        path,
        ["title", "minutes", "agenda"],
        ["date", "start", "audience", "level", "place", "server", "notes"],
    )
    if m is None:
        return None
    title = ctx.opt(m, "title", path, ctx.string, max_length=200)
    minutes = ctx.opt(m, "minutes", path, ctx.integer, 1, MAX_MINUTES)
    date = None
    if "date" in m:
        value = m["date"]
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            date = value
        else:
            hint = " (skriv datumet utan citattecken)" if isinstance(value, str) else ""
            ctx.problem(path + ("date",), f"ska vara ett datum som 2027-02-10, men är {value!r}{hint}")
    start = None
    if "start" in m:
        value = m["start"]
        if isinstance(value, int) and not isinstance(value, bool):  # YAML reads 13:00 unquoted as 780 (minutes)
            value = f"{value // 60}:{value % 60:02d}"
        match = TIME_RE.match(str(value).strip())
        if match:
            start = dt.time(int(match.group(1)), int(match.group(2)))
        else:
            ctx.problem(path + ("start",), f'ska vara en tid som "13:00" (inom citattecken), men är {value!r}')
    audiences = _one_or_list(ctx, m, "audience", path, AUDIENCES, AUDIENCES)
    levels = _one_or_list(ctx, m, "level", path, LEVELS, ("standard",))
    place = ctx.opt(m, "place", path, ctx.string, max_length=200)
    notes = ctx.opt(m, "notes", path, ctx.string)
    server = ctx.opt(m, "server", path, ctx.string, max_length=200) or "http://127.0.0.1:8866"
    if not re.match(r"^https?://[^\s/]+", server):
        ctx.problem(path + ("server",), f"ska vara en adress som http://127.0.0.1:8866, men är {server!r}")
    items = []
    raw = ctx.opt(m, "agenda", path, ctx.list_of) or []
    for i, value in enumerate(raw):
        p = path + ("agenda", i)
        if not isinstance(value, dict):
            ctx.problem(p, "varje punkt ska vara antingen 'lesson: <id>' eller 'title:' med 'minutes:'")
            continue
        if "lesson" in value:
            im = ctx.mapping(value, p, ["lesson"], ["minutes", "exercises", "title"]) or value
            lesson = ctx.opt(im, "lesson", p, ctx.ident)
            exercises = None
            if "exercises" in im:
                listed = ctx.list_of(im["exercises"], p + ("exercises",)) or []
                exercises = tuple(e for j, e in enumerate(listed) if ctx.ident(e, p + ("exercises", j)))
            items.append(
                AgendaItem(
                    lesson=lesson,
                    title=ctx.opt(im, "title", p, ctx.string, max_length=200),
                    minutes=ctx.opt(im, "minutes", p, ctx.integer, 1, MAX_MINUTES),
                    exercises=exercises,
                    line=ctx.doc.line(p),
                    index=i,
                )
            )
        else:
            im = ctx.mapping(value, p, ["title", "minutes"], []) or value
            items.append(
                AgendaItem(
                    lesson=None,
                    title=ctx.opt(im, "title", p, ctx.string, max_length=200),
                    minutes=ctx.opt(im, "minutes", p, ctx.integer, 1, MAX_MINUTES),
                    exercises=None,
                    line=ctx.doc.line(p),
                    index=i,
                )
            )
    if title is None or minutes is None:
        return None
    return Plan(
        path=ctx.label,
        title=title,
        date=date,
        start=start,
        minutes=minutes,
        audiences=audiences,
        levels=levels,
        agenda=tuple(items),
        place=place,
        server=server,
        notes=notes,
        minutes_line=ctx.doc.line(path + ("minutes",)),
    )


def item_minutes(item: AgendaItem, kit: Kit) -> int:
    """The item's minutes: its own, or its lesson's time plan."""
    if item.minutes is not None:
        return item.minutes
    lesson = kit.lessons.get(item.lesson) if item.lesson else None
    return lesson.minutes if lesson else 0


def check_plan(plan: Plan, kit: Kit) -> list[Problem]:
    """What only the whole kit can tell: lessons and exercises exist, fit the audience, and the time adds up."""
    problems = []
    for item in plan.agenda:
        if item.lesson is None:
            continue
        lesson = kit.lessons.get(item.lesson)
        if lesson is None:
            known = sorted(kit.lessons)
            hint = difflib.get_close_matches(item.lesson, known, n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else f" Lektioner: {', '.join(known)}."
            problems.append(
                Problem(
                    plan.path,
                    item.line,
                    f"workshop.agenda[{item.index}].lesson",
                    f"lektionen '{item.lesson}' finns inte.{tip}",
                )
            )
            continue
        own = [e for s in lesson.sections for e in s.exercises]
        for eid in item.exercises or ():
            if eid not in own:
                hint = difflib.get_close_matches(eid, own, n=1)
                tip = f" Menade du '{hint[0]}'?" if hint else ""
                problems.append(
                    Problem(
                        plan.path,
                        item.line,
                        f"workshop.agenda[{item.index}].exercises",
                        f"övningen '{eid}' finns inte i lektionen {item.lesson}.{tip} "
                        f"Lektionens övningar: {', '.join(own)}.",
                    )
                )
                continue
            ex = kit.exercises.get(eid)
            if ex is not None and not set(plan.audiences) <= set(ex.audience):
                written = " och ".join(AUDIENCE_LABELS[a] for a in AUDIENCES if a in ex.audience)
                problems.append(
                    Problem(
                        plan.path,
                        item.line,
                        f"workshop.agenda[{item.index}].exercises",
                        f"övningen '{eid}' är skriven för {written}, men planens målgrupp är "
                        f"{' och '.join(AUDIENCE_LABELS[a] for a in plan.audiences)}",
                    )
                )
    total = sum(item_minutes(i, kit) for i in plan.agenda)
    if total > plan.minutes:
        problems.append(
            Problem(
                plan.path,
                plan.minutes_line,
                "workshop.minutes",
                f"agendan behöver {total} minuter, men passet har {plan.minutes} ({total - plan.minutes} "
                "minuter för mycket). Korta en punkt med 'minutes:', stryk en punkt eller öka 'minutes'.",
            )
        )
    return problems
