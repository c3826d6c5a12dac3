"""A workshop's facilitator guide and handouts, built from its plan (``samverkan kit PLAN``)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from samverkan.build.address import participant_url
from samverkan.content.loader import load_plan
from samverkan.content.plan import AgendaItem, Plan
from samverkan.content.schema import AUDIENCE_LABELS, LEVEL_LABELS
from samverkan.logic.agenda import agenda_rows, app_url, levels_label, swedish_date


def _shift_headings(html: str, by: int = 2) -> str:
    return re.sub(r"<(/?)h([1-6])", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + by)}", html)


def guide_html(plan: Plan, kit, handouts: dict | None = None, built: dt.date | None = None) -> str:  # noqa: ANN001
    """The facilitator guide: agenda with clock times, app links, handouts and each lesson's facilitator notes.

    ``handouts`` maps (lesson, audience, level) to ``{"deltagare": file, "handledare": file}`` for the
    versions that built; missing ones are marked as not built.
    """
    from samverkan.build.handouts import page
    from samverkan.content import paths
    from samverkan.render.markdown import escape, plain, render_markdown

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
    meta.append(
        f"<strong>Tid i agendan:</strong> {total} av {plan.minutes} minuter"
        + (f" ({spare} minuter marginal)" if spare else " (ingen marginal)")
    )
    body = [
        f"<h1>Handledarguide: {escape(plan.title)}</h1>",
        '<ul class="sv-meta">' + "".join(f"<li>{m}</li>" for m in meta) + "</ul>",
    ]
    if plan.notes:
        body.append(f'<p class="sv-notice">{escape(plan.notes)}</p>')
    server = escape(plan.server.rstrip("/"))
    public, why = participant_url(plan.server)
    where = escape(public.rstrip("/"))
    body.append(
        "<h2>Före passet</h2><ol>"
        "<li>Kontrollera innehållet med <code>samverkan check</code>. Svaret ska vara ”Allt innehåll är giltigt”.</li>"
        "<li>Starta verkstaden med <code>make start</code> (för ett rum i nätverket: "
        "<code>make start HOST=0.0.0.0 ROOM=40</code>, med ROOM lika med antalet deltagare). Servern skriver "
        "deltagarnas adress, länken till handledarvyn och handledarnyckeln.</li>"
        f"<li>Öppna handledarvyn med länken som servern skrev ut, eller på <code>{server}/handledare</code> med "
        "handledarnyckeln. Under ”Pass från en plan” skapar du alla passen i den här planen på en gång, med "
        "planens målgrupp, nivå och övningar; eller skapa ett pass i taget.</li>"
        f"<li>Visa storbilden på projektorn: <code>{server}/handledare/storbild</code>. Den visar koden, "
        "adressen och en QR-kod, och du släpper övningarna en i taget med Nästa.</li>"
        f"<li>Deltagarna går till <code>{where}</code> i telefonen och skriver passets kod, eller skannar "
        f"QR-koden (adressen är {escape(why)} när kitet byggdes; storbilden visar den som gäller när "
        "servern kör).</li>"
        "<li>Skriv ut eller mejla deltagarversionerna (länkarna i tabellen). Facit finns i handledarversionerna.</li>"
        "</ol>"
    )
    table = []
    for r in rows:
        item, lesson = r["item"], r["lesson"]
        when = r["clock"] or f"{r['from']}–{r['to']} min"
        if lesson is None:
            table.append(
                f"<tr><td>{when}</td><td>{r['minutes']}</td><td>{escape(item.title or '')}</td><td></td><td></td></tr>"
            )
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
                    links.append(
                        f'{version}: {app}, <a href="{files["deltagare"]}">deltagarutskrift</a>, '
                        f'<a href="{files["handledare"]}">facit</a>'
                    )
                else:
                    links.append(f"{version}: {app}, <em>utskrifterna kunde inte byggas</em>")
        table.append(
            f'<tr><td>{when}</td><td>{r["minutes"]}</td><td><a href="#{lesson.id}">{title}</a></td>'
            f"<td>{ex_list}</td><td>{'<br>'.join(links)}</td></tr>"
        )
    body.append(
        '<h2>Agenda</h2><table><thead><tr><th scope="col">Klockan</th><th scope="col">Minuter</th>'
        '<th scope="col">Punkt</th><th scope="col">Övningar</th><th scope="col">Appar och utskrifter</th>'
        f"</tr></thead><tbody>{''.join(table)}</tbody>"
        f'<tfoot><tr><th scope="row" colspan="1">Summa</th><td>{total}</td>'
        f'<td colspan="3">av {plan.minutes} minuter</td></tr></tfoot></table>'
    )
    for r in rows:
        lesson, item = r["lesson"], r["item"]
        if lesson is None:
            continue
        when = r["clock"] or f"{r['from']}–{r['to']} min"
        body.append(
            f'<section class="sv-lesson" id="{lesson.id}"><h2>{when}: {escape(plain(lesson.title, level0))} '
            f"({r['minutes']} min)</h2>"
        )
        if r["minutes"] != lesson.minutes:
            body.append(
                f'<p class="sv-notice">Agendan ger {r["minutes"]} minuter; lektionens tidsplan är '
                f"{lesson.minutes} minuter. "
                + (
                    "Korta genomgången eller diskussionen."
                    if r["minutes"] < lesson.minutes
                    else "Det ger tid över till diskussionen."
                )
                + "</p>"
            )
        sections = "".join(
            f"<tr><td>{escape(plain(s.title, level0))}</td><td>{s.minutes}</td></tr>" for s in lesson.sections
        )
        if lesson.discussion_minutes:
            sections += f"<tr><td>Diskussion</td><td>{lesson.discussion_minutes}</td></tr>"
        body.append(
            '<h3>Lektionens tidsplan</h3><table><thead><tr><th scope="col">Avsnitt</th>'
            f'<th scope="col">Minuter</th></tr></thead><tbody>{sections}</tbody>'
            f'<tfoot><tr><th scope="row">Summa</th><td>{lesson.minutes}</td></tr></tfoot></table>'
        )
        chosen = _chosen(item, lesson, kit, plan)
        all_ex = [e for s in lesson.sections for e in s.exercises]
        skipped = [e for e in all_ex if e not in chosen]
        body.append(
            "<h3>Övningar i passet</h3><ul>"
            + "".join(f"<li>{escape(plain(kit.exercises[e].title, level0))} (<code>{e}</code>)</li>" for e in chosen)
            + "</ul>"
        )
        if skipped:
            body.append(
                "<p>Inte med i planen: "
                + ", ".join(f"{escape(plain(kit.exercises[e].title, level0))} (<code>{e}</code>)" for e in skipped)
                + ".</p>"
            )
        guide = paths.exercises_dir() / lesson.id / "handledare.md"
        if guide.exists():
            body.append(
                '<div class="sv-guide"><h3>Handledarstöd</h3>'
                f"{_shift_headings(render_markdown(guide.read_text(encoding='utf-8')))}</div>"
            )
        body.append("</section>")
    built = built or dt.date.today()
    body.append(
        f'<p class="sv-meta">Byggd {built.isoformat()} från {escape(plan.path)}. '
        "Kitet är en utbildning, inte juridisk rådgivning.</p>"
    )
    return page("sv", f"Handledarguide: {plan.title}", "\n".join(body))


def _chosen(item: AgendaItem, lesson, kit, plan: Plan) -> list[str]:  # noqa: ANN001
    all_ex = [e for s in lesson.sections for e in s.exercises]
    if item.exercises is not None:
        return [e for e in all_ex if e in item.exercises]
    return [e for e in all_ex if set(plan.audiences) & set(kit.exercises[e].audience)]


def participant_address(path: Path | str) -> tuple[str, str]:
    """(the address participants use, why) for the plan in ``path``: see :func:`participant_url`."""
    plan, _kit = load_plan(path)
    return participant_url(plan.server)


def build_kit(
    path: Path | str, out: Path | str | None = None, jobs: int | None = None, force: bool = False, progress: bool = True
) -> tuple[Path, Any]:
    """Everything for one workshop: the participants' handouts and the facilitator guide."""
    from samverkan.build import handouts as build

    plan, kit = load_plan(path)
    out = Path(out) if out is not None else Path.cwd() / "bygge" / Path(path).stem
    report = build.build(
        plan.lessons,
        list(plan.audiences),
        list(plan.levels),
        out=out,
        jobs=jobs,
        force=force,
        progress=progress,
        links=[("handledarguide.html", "Handledarguiden")],
    )
    handouts = {(r.job.lesson, r.job.audience, r.job.level): r.job.files() for r in report.results if r.ok}
    guide = report.out / "handledarguide.html"
    guide.write_text(guide_html(plan, kit, handouts), encoding="utf-8")
    return guide, report
