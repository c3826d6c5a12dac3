"""Workshop plans: a YAML file that becomes a facilitator guide and the handouts.

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
from pathlib import Path
from typing import Any

from samverkan.errors import ContentError, Problem
from samverkan.schema import AUDIENCE_LABELS, AUDIENCES, LEVEL_LABELS, LEVELS

MAX_MINUTES = 8 * 60 * 3  # three full days
TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


@dataclass(frozen=True)
class AgendaItem:
    lesson: str | None
    title: str | None
    minutes: int | None  # None: the lesson's own time budget
    exercises: tuple[str, ...] | None  # None: all the lesson's exercises for the audience
    line: int | None = None
    index: int = 0  # position in the agenda, for error messages


@dataclass(frozen=True)
class Plan:
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
        seen: list[str] = []
        for item in self.agenda:
            if item.lesson and item.lesson not in seen:
                seen.append(item.lesson)
        return seen


def _one_or_list(ctx, m: dict, key: str, path: tuple, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:  # noqa: ANN001
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


def parse_plan(ctx, top: dict) -> Plan | None:  # noqa: ANN001 - loader._Ctx
    """Check the ``workshop:`` part of a file; problems go to ``ctx``. References are checked kit-wide later."""
    ctx.mapping(top, (), ["schema_version", "workshop"], [])
    path = ("workshop",)
    m = ctx.mapping(top["workshop"], path, ["title", "minutes", "agenda"],
                    ["date", "start", "audience", "level", "place", "server", "notes"])
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
            ctx.problem(path + ("start",), f"ska vara en tid som \"13:00\" (inom citattecken), men är {value!r}")
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
            im = ctx.mapping(value, p, ["lesson"], ["minutes", "exercises", "title"])
            lesson = ctx.opt(im, "lesson", p, ctx.ident)
            exercises = None
            if "exercises" in im:
                listed = ctx.list_of(im["exercises"], p + ("exercises",)) or []
                exercises = tuple(e for j, e in enumerate(listed) if ctx.ident(e, p + ("exercises", j)))
            items.append(AgendaItem(lesson, ctx.opt(im, "title", p, ctx.string, max_length=200),
                                    ctx.opt(im, "minutes", p, ctx.integer, 1, MAX_MINUTES), exercises,
                                    ctx.doc.line(p), i))
        else:
            im = ctx.mapping(value, p, ["title", "minutes"], [])
            items.append(AgendaItem(None, ctx.opt(im, "title", p, ctx.string, max_length=200),
                                    ctx.opt(im, "minutes", p, ctx.integer, 1, MAX_MINUTES), None, ctx.doc.line(p), i))
    if title is None or minutes is None:
        return None
    return Plan(ctx.label, title, date, start, minutes, audiences, levels, tuple(items), place, server, notes,
                ctx.doc.line(path + ("minutes",)))


def item_minutes(item: AgendaItem, kit) -> int:  # noqa: ANN001
    if item.minutes is not None:
        return item.minutes
    lesson = kit.lessons.get(item.lesson) if item.lesson else None
    return lesson.minutes if lesson else 0


def check_plan(plan: Plan, kit) -> list[Problem]:  # noqa: ANN001 - loader.Kit
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
            problems.append(Problem(plan.path, item.line, f"workshop.agenda[{item.index}].lesson", f"lektionen '{item.lesson}' finns inte.{tip}"))
            continue
        own = [e for s in lesson.sections for e in s.exercises]
        for eid in item.exercises or ():
            if eid not in own:
                hint = difflib.get_close_matches(eid, own, n=1)
                tip = f" Menade du '{hint[0]}'?" if hint else ""
                problems.append(Problem(plan.path, item.line, f"workshop.agenda[{item.index}].exercises",
                                        f"övningen '{eid}' finns inte i lektionen {item.lesson}.{tip} "
                                        f"Lektionens övningar: {', '.join(own)}."))
                continue
            ex = kit.exercises.get(eid)
            if ex is not None and not set(plan.audiences) <= set(ex.audience):
                written = " och ".join(AUDIENCE_LABELS[a] for a in AUDIENCES if a in ex.audience)
                problems.append(Problem(plan.path, item.line, f"workshop.agenda[{item.index}].exercises",
                                        f"övningen '{eid}' är skriven för {written}, men planens målgrupp är "
                                        f"{' och '.join(AUDIENCE_LABELS[a] for a in plan.audiences)}"))
    total = sum(item_minutes(i, kit) for i in plan.agenda)
    if total > plan.minutes:
        problems.append(Problem(plan.path, plan.minutes_line, "workshop.minutes",
                                f"agendan behöver {total} minuter, men passet har {plan.minutes} ({total - plan.minutes} "
                                "minuter för mycket). Korta en punkt med 'minutes:', stryk en punkt eller öka 'minutes'."))
    return problems


def load_plan(path: Path | str):  # noqa: ANN201 - (Plan, Kit)
    """The plan in ``path`` and the kit, or :class:`ContentError` with every problem in the plan and its lessons."""
    from samverkan import loader, paths

    path = Path(path)
    if not path.is_file():
        raise ContentError([Problem(str(path), None, "", "filen finns inte")])
    from samverkan.errors import display_path

    root = paths.kit_root()
    kit = loader.load_kit(root, [path])
    label = display_path(path, root)
    problems = list(kit.problems)
    if label not in kit.plans and not problems:
        problems = [Problem(label, None, "", "filen är ingen verkstadsplan (den ska ha 'workshop:' på översta nivån)")]
    if problems:
        raise ContentError(problems)
    plan = kit.plans[label]
    full = loader.load_kit(root)
    lesson_problems = [p for lesson in plan.lessons for p in full.problems_in(lesson)]
    lesson_problems += [p for p in full.problems if p.file.startswith("data/")]
    if lesson_problems:
        raise ContentError(lesson_problems)
    return plan, full


def agenda_rows(plan: Plan, kit) -> list[dict[str, Any]]:  # noqa: ANN001
    """Each agenda item with its start and end (clock time when the plan has a start), minutes and lesson."""
    rows, at = [], 0
    base = dt.datetime.combine(plan.date or dt.date.today(), plan.start) if plan.start else None
    for item in plan.agenda:
        minutes = item_minutes(item, kit)
        lesson = kit.lessons.get(item.lesson) if item.lesson else None
        rows.append({
            "item": item, "lesson": lesson, "minutes": minutes, "from": at, "to": at + minutes,
            "clock": (f"{(base + dt.timedelta(minutes=at)).strftime('%H:%M')}–"
                      f"{(base + dt.timedelta(minutes=at + minutes)).strftime('%H:%M')}") if base else None,
        })
        at += minutes
    return rows


def levels_label(levels: tuple[str, ...]) -> str:
    return " och ".join(LEVEL_LABELS[lv] for lv in levels)


WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")


def swedish_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def _shift_headings(html: str, by: int = 2) -> str:
    return re.sub(r"<(/?)h([1-6])", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + by)}", html)


def app_url(plan: Plan, lesson_id: str, audience: str, level: str) -> str:
    from urllib.parse import urlencode

    return f"{plan.server.rstrip('/')}/voila/render/{lesson_id}.ipynb?{urlencode({'audience': audience, 'level': level})}"


def guide_html(plan: Plan, kit, handouts: dict | None = None, built: dt.date | None = None) -> str:  # noqa: ANN001
    """The facilitator guide: agenda with clock times, app links, handouts and each lesson's facilitator notes.

    ``handouts`` maps (lesson, audience, level) to ``{"deltagare": file, "handledare": file}`` for the
    versions that built; missing ones are marked as not built.
    """
    from samverkan import paths
    from samverkan.build import page
    from samverkan.render import _markdown, escape, plain

    handouts = handouts or {}
    rows = agenda_rows(plan, kit)
    total = rows[-1]["to"] if rows else 0
    who = " och ".join(AUDIENCE_LABELS[a] for a in plan.audiences)
    level0 = plan.levels[0]
    meta = []
    if plan.date:
        meta.append(f"<strong>Datum:</strong> {swedish_date(plan.date)}")
    if plan.start:
        end = (dt.datetime.combine(dt.date.today(), plan.start) + dt.timedelta(minutes=plan.minutes)).time()
        meta.append(f"<strong>Tid:</strong> {plan.start.strftime('%H:%M')}–{end.strftime('%H:%M')}")
    if plan.place:
        meta.append(f"<strong>Plats:</strong> {escape(plan.place)}")
    meta.append(f"<strong>Målgrupp:</strong> {who}; {levels_label(plan.levels)} text")
    spare = plan.minutes - total
    meta.append(f"<strong>Tid i agendan:</strong> {total} av {plan.minutes} minuter"
                + (f" ({spare} minuter marginal)" if spare else " (ingen marginal)"))
    body = [f"<h1>Handledarguide: {escape(plan.title)}</h1>",
            '<ul class="sv-meta">' + "".join(f"<li>{m}</li>" for m in meta) + "</ul>"]
    if plan.notes:
        body.append(f'<p class="sv-notice">{escape(plan.notes)}</p>')
    server = escape(plan.server.rstrip("/"))
    body.append(
        "<h2>Före passet</h2><ol>"
        "<li>Kontrollera innehållet med <code>samverkan check</code>. Svaret ska vara ”Allt innehåll är giltigt”.</li>"
        "<li>Starta verkstaden med <code>make start</code> (för ett rum i nätverket: "
        "<code>make start HOST=0.0.0.0 ROOM=40</code>, med ROOM lika med antalet deltagare). Servern skriver "
        "deltagarnas adress, länken till handledarvyn och handledarnyckeln.</li>"
        f"<li>Öppna handledarvyn med länken som servern skrev ut, eller på <code>{server}/handledare</code> med "
        "handledarnyckeln, och skapa ett pass för "
        "varje lektion nedan: välj lektionen och nivån. Deltagarna ansluter med passets kod på "
        f"<code>{server}/delta</code>.</li>"
        "<li>Skriv ut eller mejla deltagarversionerna (länkarna i tabellen). Facit finns i handledarversionerna.</li>"
        "</ol>"
    )
    table = []
    for r in rows:
        item, lesson = r["item"], r["lesson"]
        when = r["clock"] or f"{r['from']}–{r['to']} min"
        if lesson is None:
            table.append(f"<tr><td>{when}</td><td>{r['minutes']}</td><td>{escape(item.title or '')}</td><td></td><td></td></tr>")
            continue
        title = escape(item.title or plain(lesson.title, level0))
        chosen = _chosen(item, lesson, kit, plan)
        ex_list = "<br>".join(escape(plain(kit.exercises[e].title, level0)) for e in chosen)
        links = []
        for a in plan.audiences:
            for lv in plan.levels:
                version = f"{AUDIENCE_LABELS[a]}, {LEVEL_LABELS[lv]}"
                files = handouts.get((lesson.id, a, lv))
                app = f'<a href="{escape(app_url(plan, lesson.id, a, lv))}">övningsappen</a>'
                if files:
                    links.append(f'{version}: {app}, <a href="{files["deltagare"]}">deltagarutskrift</a>, '
                                 f'<a href="{files["handledare"]}">facit</a>')
                else:
                    links.append(f"{version}: {app}, <em>utskrifterna kunde inte byggas</em>")
        table.append(f'<tr><td>{when}</td><td>{r["minutes"]}</td><td><a href="#{lesson.id}">{title}</a></td>'
                     f"<td>{ex_list}</td><td>{'<br>'.join(links)}</td></tr>")
    body.append('<h2>Agenda</h2><table><thead><tr><th scope="col">Klockan</th><th scope="col">Minuter</th>'
                '<th scope="col">Punkt</th><th scope="col">Övningar</th><th scope="col">Appar och utskrifter</th>'
                f'</tr></thead><tbody>{"".join(table)}</tbody>'
                f'<tfoot><tr><th scope="row" colspan="1">Summa</th><td>{total}</td>'
                f'<td colspan="3">av {plan.minutes} minuter</td></tr></tfoot></table>')
    for r in rows:
        lesson, item = r["lesson"], r["item"]
        if lesson is None:
            continue
        when = r["clock"] or f"{r['from']}–{r['to']} min"
        body.append(f'<section class="sv-lesson" id="{lesson.id}"><h2>{when}: {escape(plain(lesson.title, level0))} '
                    f"({r['minutes']} min)</h2>")
        if r["minutes"] != lesson.minutes:
            body.append(f'<p class="sv-notice">Agendan ger {r["minutes"]} minuter; lektionens tidsplan är '
                        f"{lesson.minutes} minuter. "
                        + ("Korta genomgången eller diskussionen." if r["minutes"] < lesson.minutes else
                           "Det ger tid över till diskussionen.") + "</p>")
        sections = "".join(f"<tr><td>{escape(plain(s.title, level0))}</td><td>{s.minutes}</td></tr>" for s in lesson.sections)
        if lesson.discussion_minutes:
            sections += f"<tr><td>Diskussion</td><td>{lesson.discussion_minutes}</td></tr>"
        body.append('<h3>Lektionens tidsplan</h3><table><thead><tr><th scope="col">Avsnitt</th>'
                    f'<th scope="col">Minuter</th></tr></thead><tbody>{sections}</tbody>'
                    f'<tfoot><tr><th scope="row">Summa</th><td>{lesson.minutes}</td></tr></tfoot></table>')
        chosen = _chosen(item, lesson, kit, plan)
        all_ex = [e for s in lesson.sections for e in s.exercises]
        skipped = [e for e in all_ex if e not in chosen]
        body.append("<h3>Övningar i passet</h3><ul>" + "".join(
            f"<li>{escape(plain(kit.exercises[e].title, level0))} (<code>{e}</code>)</li>" for e in chosen) + "</ul>")
        if skipped:
            body.append("<p>Inte med i planen: " + ", ".join(
                f"{escape(plain(kit.exercises[e].title, level0))} (<code>{e}</code>)" for e in skipped) + ".</p>")
        guide = paths.exercises_dir() / lesson.id / "handledare.md"
        if guide.exists():
            body.append('<div class="sv-guide"><h3>Handledarstöd</h3>'
                        f"{_shift_headings(_markdown()(guide.read_text(encoding='utf-8')))}</div>")
        body.append("</section>")
    built = built or dt.date.today()
    body.append(f'<p class="sv-meta">Byggd {built.isoformat()} från {escape(plan.path)}. '
                "Kitet är en utbildning, inte juridisk rådgivning.</p>")
    return page("sv", f"Handledarguide: {plan.title}", "\n".join(body))


def _chosen(item: AgendaItem, lesson, kit, plan: Plan) -> list[str]:  # noqa: ANN001
    all_ex = [e for s in lesson.sections for e in s.exercises]
    if item.exercises is not None:
        return [e for e in all_ex if e in item.exercises]
    return [e for e in all_ex if set(plan.audiences) & set(kit.exercises[e].audience)]


def build_kit(path: Path | str, out: Path | str | None = None, jobs: int | None = None, force: bool = False,
              progress: bool = True):  # noqa: ANN201 - (Path of the guide, build.Report)
    """Everything for one workshop: the participants' handouts and the facilitator guide."""
    from samverkan import build

    plan, kit = load_plan(path)
    out = Path(out) if out is not None else Path.cwd() / "bygge" / Path(path).stem
    report = build.build(plan.lessons, list(plan.audiences), list(plan.levels), out=out, jobs=jobs, force=force,
                         progress=progress, links=[("handledarguide.html", "Handledarguiden")])
    handouts = {(r.job.lesson, r.job.audience, r.job.level): r.job.files() for r in report.results if r.ok}
    guide = report.out / "handledarguide.html"
    guide.write_text(guide_html(plan, kit, handouts), encoding="utf-8")
    return guide, report
