"""``samverkan report KOD``: a session's answers as one self-contained HTML file (and, if asked, a PDF).

papermill runs ``rapport.ipynb`` (next to this module) with the database and
the session code as parameters; every cell displays HTML built by
:class:`ReportData`. The HTML outputs are then joined into one page with its
own styles and the charts embedded as data, so the file opens offline, can be
mailed, and loads nothing from the network. ``--pdf`` prints that page to an
A4 PDF with Debian's chromium, headless.

The report is written for a committee (nämnd): a summary paragraph to paste,
the facilitator's conclusions, who took part, the figures (always each
participant's *first* answer, "rätt vid första försöket"; changed answers are
kept in the store and the CSV but not counted), where the scenarios ended, and
every question's answers.

Organisation, place, date and conclusions come from the session's details
(:meth:`Store.details`) unless the command line gives them (:class:`ReportOptions`);
:func:`build_report` hands them to the notebook as its ``options`` parameter (JSON).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from samverkan.build.kernels import ipc_kernel_manager
from samverkan.errors import ParameterError, SamverkanError
from samverkan.logic.agenda import MONTHS
from samverkan.render.markdown import escape, plain
from samverkan.render.page import page as render_page
from samverkan.workshop.store import MAX_CONCLUSIONS_CHARS, Store
from samverkan.workshop.summary import (
    Endings,
    ItemSummary,
    discussion_points,
    item_html,
    scenario_endings,
    summarise,
)

NOTEBOOK = Path(__file__).with_name("rapport.ipynb")
MAX_TEXT_CHARS = 120  # organisation and place, as the store keeps them
PDF_TIMEOUT = 120  # seconds chromium may take to print the report
PROGRESS = {  # papermill's tqdm bar, in Swedish
    "desc": "Skriver rapporten",
    "unit": "cell",
    "bar_format": "{desc}: {percentage:3.0f} %|{bar}| {n_fmt} av {total_fmt} celler [{elapsed}]",
}
# How an ending's rating reads after a number: (one, several).
RATING_PHRASES = {
    "bra": ("bra utfall", "bra utfall"),
    "delvis": ("delvis bra utfall", "delvis bra utfall"),
    "svag": ("svagt utfall", "svaga utfall"),
    "": ("utfall utan bedömning", "utfall utan bedömning"),
}

CSS = """
body { font-family: "Liberation Sans", "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1a1a1a;
       max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; line-height: 1.5; font-size: 1.0625rem; }
h1 { font-size: 1.9rem; line-height: 1.25; border-bottom: 4px solid #1f4e79; padding-bottom: .2em; }
h2 { font-size: 1.4rem; margin-top: 2em; } h3 { font-size: 1.2rem; margin-top: 1.6em; }
h4 { font-size: 1.05rem; margin: 1.2em 0 .3em; }
h1, h2, h3, h4, p, li, dd, td, th { overflow-wrap: break-word; }
table { border-collapse: collapse; margin: .5em 0; max-width: 100%; }
th, td { border: 1px solid #999; padding: .25em .6em; text-align: left; vertical-align: top; }
td.sv-num, th.sv-num { text-align: right; white-space: nowrap; } td.sv-rating { white-space: nowrap; }
caption { text-align: left; font-weight: bold; padding: .2em 0; }
.sv-facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .8em 0; }
.sv-facts dt { font-weight: bold; } .sv-facts dd { margin: 0; }
.sv-summary, .sv-conclusions, .sv-missing { margin: 1.2em 0; padding: .2em 1em .5em; }
.sv-summary { background: #eef3f8; border-left: 5px solid #1f4e79; }
.sv-conclusions { border-left: 5px solid #1b5e20; }
.sv-missing { border: 2px dashed #8a4b00; background: #fff6e5; }
.sv-summary h2, .sv-conclusions h2, .sv-missing h2 { margin-top: .5em; }
.sv-summary p { margin: .4em 0; }
.sv-item { border-top: 1px solid #bbb; margin-top: 1em; }
.sv-progress { color: #333; } .sv-note { color: #333; font-size: .95rem; }
img { max-width: 100%; height: auto; }
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
@media print {
  html { font-size: 10.5pt; }
  body { max-width: none; margin: 0; padding: 0; color: #000; }
  h1 { font-size: 20pt; } h2 { font-size: 15pt; margin-top: 1.4em; } h3 { font-size: 12.5pt; }
  h1, h2, h3, h4, caption, .sv-item p { break-after: avoid; page-break-after: avoid; }
  p, li { orphans: 3; widows: 3; } .sv-item p { break-inside: avoid; page-break-inside: avoid; }
  img, table, .sv-summary, .sv-conclusions, .sv-missing, .sv-facts, .sv-figures, .sv-ending {
    break-inside: avoid; page-break-inside: avoid; }
  img { display: block; }
  .sv-questions { break-before: page; page-break-before: always; }
  .sv-item details { display: none; }  /* the same figures as the chart's bar labels */
  .sv-summary, .sv-missing { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


@dataclass(frozen=True)
class ReportOptions:
    """What the command line says over the session's stored details; None: use the stored value."""

    organisation: str | None = None
    place: str | None = None
    held_on: str | None = None  # YYYY-MM-DD
    conclusions: str | None = None

    def to_json(self) -> str:
        """The options as JSON (the report notebook's ``options`` parameter)."""
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> ReportOptions:
        """Options from :meth:`to_json`'s text; no options for no text or text that is not such JSON."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(**{f.name: _text_or_none(data.get(f.name)) for f in dataclasses.fields(cls)})


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def report_options(
    organisation: str | None = None,
    place: str | None = None,
    held_on: str | None = None,
    conclusions_file: str | os.PathLike | None = None,
) -> ReportOptions:
    """The command line's options checked (a Swedish :class:`ParameterError` naming the option if one is
    wrong), with the conclusions read from ``conclusions_file``."""
    return ReportOptions(
        organisation=_checked_text("--organisation", organisation),
        place=_checked_text("--plats", place),
        held_on=checked_date("--datum", held_on),
        conclusions=read_conclusions(conclusions_file) if conclusions_file is not None else None,
    )


def _checked_text(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > MAX_TEXT_CHARS:
        raise ParameterError(f"{option}: högst {MAX_TEXT_CHARS} tecken (fick {len(text)}).")
    return text


def checked_date(option: str, value: str | None) -> str | None:
    """``value`` as YYYY-MM-DD, or a Swedish :class:`ParameterError`; None stays None, "" means no date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return ""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ParameterError(
            f"{option}: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-02-10 (fick ”{text[:40]}”)."
        ) from None


def read_conclusions(path: str | os.PathLike) -> str:
    """The facilitator's conclusions from a UTF-8 text file; a Swedish :class:`ParameterError` naming the
    file when it is missing, unreadable, not UTF-8, empty or longer than the store allows."""
    path = Path(path)
    name = f"--slutsatser: filen {path}"
    try:
        if path.is_dir():
            raise ParameterError(f"{name} är en mapp; ange en textfil.")
        size = path.stat().st_size
        if size > 4 * MAX_CONCLUSIONS_CHARS:  # refuse a huge file before reading it
            raise ParameterError(f"{name} är för lång: slutsatserna får vara högst {MAX_CONCLUSIONS_CHARS} tecken.")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParameterError(f"{name} finns inte.") from None
    except OSError as exc:
        raise ParameterError(f"{name} kunde inte läsas ({exc.strerror or exc}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterError(f"{name} är inte sparad som UTF-8; spara den som UTF-8 och försök igen.") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ParameterError(f"{name} är tom.")
    if len(text) > MAX_CONCLUSIONS_CHARS:
        raise ParameterError(
            f"{name} är för lång: {len(text)} tecken, slutsatserna får vara högst {MAX_CONCLUSIONS_CHARS}."
        )
    return text


def swedish_date(iso: str) -> str:
    """'2027-02-10' → '10 februari 2027'; text that is not such a date stays as it is."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"  # the agenda's month names


def paragraphs(text: str) -> str:
    """Plain text as escaped HTML paragraphs: a blank line starts a paragraph, a line break stays one."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
    return "".join("<p>" + "<br>".join(str(escape(line.strip())) for line in b.split("\n")) + "</p>" for b in blocks)


def _short(text: str, limit: int = 70) -> str:
    """The text's start, cut at a word with "…" when longer than ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,.;:–-") + "…"


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %"


def _and(words: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " och " + words[-1]


class ReportData:
    """What the report notebook shows, one method per part."""

    def __init__(self, db: str, session: str, kit: Any | None = None, options: ReportOptions | str | None = None):
        if kit is None:
            from samverkan.content import loader, paths

            kit = loader.load_kit(paths.kit_root())
        if not isinstance(options, ReportOptions):  # the notebook's parameter: build_report's options as JSON
            options = ReportOptions.from_json(options or None)
        self.store = Store(db or None, create=False)
        self.session = self.store.session_by_code(session)
        self.kit = kit
        self.details = self.store.details(self.session.id)
        self.organisation = _pick(options.organisation, self.details.organisation)
        self.place = _pick(options.place, self.details.place)
        self.held_on = _pick(options.held_on, self.details.held_on)
        self.conclusions = _pick(options.conclusions, self.details.conclusions)
        self.rows = self.store.answers(self.session.id)  # first answers: what the statistics count
        self.items = summarise(self.kit, self.session, self.rows, self.details)
        self.endings: list[Endings] = scenario_endings(self.kit, self.session, self.rows, self.details)
        self.stats = self.store.stats(self.session.id)
        self.lesson = self.kit.lessons.get(self.session.lesson)
        keys = {it.key for it in self.items}
        self.elsewhere = sum(1 for r in self.rows if (r["exercise_id"], r["item_id"]) not in keys)

    def _show(self, html: str) -> None:
        from IPython.display import HTML, display

        display(HTML(html))

    # -- figures --------------------------------------------------------------
    @property
    def lesson_title(self) -> str:
        """The lesson's title, or its id when the kit no longer has it."""
        return plain(self.lesson.title, "standard") if self.lesson else self.session.lesson

    def graded(self) -> tuple[int, int]:
        """(right at the first attempt, answered) over every answered item that has a right answer."""
        graded = [it for it in self.items if it.share_right is not None and it.answered]
        return sum(it.right or 0 for it in graded), sum(it.answered for it in graded)

    def hardest(self) -> list[ItemSummary]:
        """The questions fewest got right at the first attempt (at least two answers each)."""
        return discussion_points(self.items)

    def summary_text(self) -> list[str]:
        """The summary as plain-text paragraphs a secretary can paste: only figures from the data."""
        s, st = self.session, self.stats
        when = f" den {swedish_date(self.held_on)}" if self.held_on else ""
        where = f" i {self.place}" if self.place else ""
        lesson = f"lektionen ”{self.lesson_title}”" + (" (lättläst text)" if s.level == "lattlast" else "")
        if self.details.audience:
            from samverkan.content.schema import AUDIENCE_LABELS

            lesson += f" för {AUDIENCE_LABELS.get(self.details.audience, self.details.audience)}"
        if self.organisation:
            first = f"{self.organisation} höll passet ”{s.name}” (kod {s.code}){when}{where} med {lesson}."
        elif when or where:
            first = f"Passet ”{s.name}” (kod {s.code}) hölls{when}{where} med {lesson}."
        else:
            first = f"Passet ”{s.name}” (kod {s.code}) gick igenom {lesson}."
        if not self.held_on and not self.place:
            first += " Datum och plats är inte angivna."
        elif not self.held_on:
            first += " Datumet är inte angivet."
        elif not self.place:
            first += " Platsen är inte angiven."
        if self.lesson is None:
            first += " Lektionen finns inte längre i materialet."

        if not st.participants:
            people = "Ingen deltagare gick med."
        elif not st.answers:
            people = f"{st.participants} deltagare gick med, men ingen svarade på någon fråga."
        else:
            people = (
                f"{st.participants} deltagare gick med och {st.answered} av dem svarade på minst en fråga; "
                f"sammanlagt {st.answers} svar."
            )
        right, answered = self.graded()
        if answered:
            people += (
                f" Av svaren på frågor med rätt svar var {_percent(right, answered)} rätt vid första försöket "
                f"({right} av {answered})."
            )
        elif st.answers:
            people += " Inga frågor med rätt svar besvarades."
        hard = self.hardest()
        if hard:
            named = [f"”{_short(it.prompt)}” ({it.right} av {it.answered} rätt vid första försöket)" for it in hard]
            people += f" Svårast var {_and(named)}."
        out = [first, people]

        scenes = []
        for e in self.endings:
            if not e.started:
                continue
            counts: dict[str, int] = {}
            for ending in e.endings:
                if ending.count:
                    rating = ending.rating if ending.rating in RATING_PHRASES else ""
                    counts[rating or ""] = counts.get(rating or "", 0) + ending.count
            text = f"I scenariot ”{e.title}” kom {e.finished} av {e.started} deltagare fram till ett slut"
            if counts:
                text += ": " + _and(
                    [f"{n} {RATING_PHRASES[r][0 if n == 1 else 1]}" for r in RATING_PHRASES if (n := counts.get(r, 0))]
                )
            scenes.append(text + ".")
        if scenes:
            out.append(" ".join(scenes))
        return out

    # -- parts ----------------------------------------------------------------
    def header(self) -> str:
        """Show and return the heading, the session's facts, the summary to paste and the conclusions."""
        s = self.session
        created = s.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        lesson = escape(self.lesson_title) + (
            Markup(" <em>(finns inte längre i materialet)</em>") if self.lesson is None else ""
        )
        facts = [
            ("Organisation", escape(self.organisation) if self.organisation else "inte angiven"),
            ("Plats", escape(self.place) if self.place else "inte angiven"),
            ("Datum", escape(swedish_date(self.held_on)) if self.held_on else "inte angivet"),
            ("Lektion", lesson),
            ("Textnivå", "lättläst" if s.level == "lattlast" else "standard"),
            ("Kod", escape(s.code)),
            ("Passet skapades", created),
            ("Rapporten skrevs", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        ]
        dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        summary = "".join(f"<p>{escape(p)}</p>" for p in self.summary_text())
        html = (
            f"<h1>Rapport: {escape(s.name)}</h1>"
            f'<dl class="sv-facts">{dl}</dl>'
            f'<section class="sv-summary" aria-labelledby="sv-sammanfattning"><h2 id="sv-sammanfattning">'
            f"Sammanfattning</h2>{summary}</section>"
            f"{self.conclusions_html()}"
            '<p class="sv-note">Svaren är anonyma: deltagarna har nummer i den ordning de gick med, '
            "och bord om de valde ett. Utbildning, inte juridisk rådgivning.</p>"
        )
        self._show(html)
        return html

    def conclusions_html(self) -> str:
        """The facilitator's conclusions as paragraphs, or a visible note that none were written."""
        head = '<h2 id="sv-slutsatser">Slutsatser</h2>'
        if self.conclusions.strip():
            return (
                f'<section class="sv-conclusions" aria-labelledby="sv-slutsatser">{head}'
                f'<p class="sv-note">Handledarens slutsatser från passet:</p>{paragraphs(self.conclusions)}</section>'
            )
        return (
            f'<section class="sv-missing" aria-labelledby="sv-slutsatser">{head}'
            "<p><strong>Inga slutsatser är skrivna för det här passet.</strong> Handledaren kan skriva dem "
            "på handledarsidan, eller i en textfil som anges med <code>samverkan report KOD --slutsatser FIL</code>, "
            "och skriva rapporten igen.</p></section>"
        )

    def overview(self) -> str:
        """Show and return who took part and how many answers, the share right at the first attempt, tables."""
        st = self.stats
        right, answered = self.graded()
        share = (
            f"{_percent(right, answered)} rätt vid första försöket ({right} av {answered} svar)"
            if answered
            else "inga svar"
        )
        changed = (
            "Inga svar ändrades i passet."
            if not st.revisions
            else f"I passet gjordes {'1 ändrat svar' if st.revisions == 1 else f'{st.revisions} ändrade svar'}."
        )
        groups = sorted(
            self.store.iter_groups(self.session.id), key=lambda g: (g[0] is None, _group_no(g[0]), g[0] or "")
        )
        rows = "".join(
            f'<tr><th scope="row">{escape(g or "Inget bord")}</th><td class="sv-num">{n}</td></tr>' for g, n in groups
        )
        elsewhere = (
            f"<li>{self.elsewhere} av svaren gäller frågor som inte ingår i passets övningar (till exempel "
            "borttagna frågor); de räknas inte i rapporten men finns i CSV-exporten.</li>"
            if self.elsewhere
            else ""
        )
        html = (
            "<h2>Deltagande och svar</h2>"
            f'<ul class="sv-figures"><li>{st.participants} deltagare gick med i passet.</li>'
            f"<li>{st.answered} av dem svarade på minst en fråga.</li>"
            f"<li>{st.answers} svar sammanlagt (ett per deltagare och fråga).</li>"
            f"<li>Frågor med rätt svar: {share}.</li>{elsewhere}</ul>"
            '<p class="sv-note">All statistik i rapporten räknar varje deltagares första svar på varje fråga: '
            "rätt vid första försöket. Deltagarna kunde ändra sina svar efteråt; ändringarna sparas och finns "
            f"i CSV-exporten men räknas inte här. {changed}</p>"
            + (
                f'<table><caption>Deltagare per bord</caption><thead><tr><th scope="col">Bord</th>'
                f'<th scope="col" class="sv-num">Deltagare</th></tr></thead><tbody>{rows}</tbody></table>'
                if rows
                else ""
            )
        )
        self._show(html)
        return html

    def discussion(self) -> str:
        """Show and return what to discuss: the hardest questions, where the scenarios ended, the prompts."""
        hard = self.hardest()
        parts = ["<h2>Att samtala om</h2>"]
        if hard:
            parts.append("<p>Frågorna där färst svarade rätt vid första försöket:</p><ol>")
            for it in hard:
                parts.append(
                    f"<li><strong>{escape(it.prompt)}</strong> ({escape(it.title)}): "
                    f"{it.right} av {it.answered} rätt vid första försöket "
                    f"({round(100 * (it.share_right or 0))} %).</li>"
                )
            parts.append("</ol>")
        else:
            parts.append("<p>För få svar för att peka ut svåra frågor (minst två svar per fråga behövs).</p>")
        prompts = {
            audience: text
            for audience, text in (self.lesson.discussion.items() if self.lesson is not None else ())
            if not self.details.audience or audience == self.details.audience  # the session's audience only
        }
        if prompts:
            from samverkan.content.schema import AUDIENCE_LABELS

            parts.append("<p>Lektionens samtalsfrågor:</p><ul>")
            for audience, text in prompts.items():
                parts.append(
                    f"<li><strong>För {escape(AUDIENCE_LABELS.get(audience, audience))}:</strong> "
                    f"{escape(plain(text, self.session.level))}</li>"
                )
            parts.append("</ul>")
        parts.append(self.endings_html())
        html = "".join(parts)
        self._show(html)
        return html

    def endings_html(self) -> str:
        """Each scenario's endings with their rating and count, and how many did not finish."""
        if not self.endings:
            return ""
        parts = [
            "<h2>Var scenarierna slutade</h2>"
            '<p class="sv-note">Räknat på deltagarnas första val i varje steg av scenariot.</p>'
        ]
        for e in self.endings:
            parts.append(f'<section class="sv-ending"><h3>{escape(e.title)}</h3>')
            if not e.started:
                parts.append("<p>Ingen deltagare gjorde något val i scenariot.</p></section>")
                continue
            parts.append(
                f"<p>{e.started} deltagare gjorde minst ett val; {e.finished} kom fram till ett slut "
                f"och {e.unfinished} avslutade inte.</p>"
            )
            rows = "".join(
                f'<tr><td>{escape(x.text)}</td><td class="sv-rating">{escape(x.rating_label)}</td>'
                f'<td class="sv-num">{x.count}</td></tr>'
                for x in e.endings
            )
            rows += f'<tr><td>Kom inte fram till något slut</td><td>–</td><td class="sv-num">{e.unfinished}</td></tr>'
            parts.append(
                f"<table><caption>Hur många som nådde varje slut: {escape(e.title)}</caption><thead><tr>"
                '<th scope="col">Slut</th><th scope="col">Bedömning</th><th scope="col" class="sv-num">Deltagare</th>'
                f"</tr></thead><tbody>{rows}</tbody></table></section>"
            )
        return "".join(parts)

    def questions(self) -> str:
        """Show and return every item's answers, exercise by exercise, each item with a heading of its own."""
        parts = [
            '<h2 class="sv-questions">Svaren fråga för fråga</h2>'
            '<p class="sv-note">Siffrorna gäller deltagarnas första svar på varje fråga; ändrade svar räknas '
            "inte.</p>"
        ]
        for exercise_id, its in _by_exercise(self.items):
            parts.append(f"<h3>{escape(its[0].title)}</h3>")
            for n, it in enumerate(its, start=1):
                shown = dataclasses.replace(it, title=_item_heading(it, n, len(its)))
                parts.append(
                    f'<section class="sv-item" data-exercise="{escape(exercise_id)}">'
                    f"{_first_attempt(item_html(shown, heading_level=4))}</section>"
                )
        if not self.items:
            parts.append("<p>Passet har inga övningar att visa.</p>")
        html = "".join(parts)
        self._show(html)
        return html


def _pick(given: str | None, stored: str) -> str:
    return (stored or "") if given is None else given


def _by_exercise(items: list[ItemSummary]) -> Iterator[tuple[str, list[ItemSummary]]]:
    """The items grouped by exercise, in order."""
    groups: dict[str, list[ItemSummary]] = {}
    for it in items:
        groups.setdefault(it.exercise_id, []).append(it)
    yield from groups.items()


def _item_heading(it: ItemSummary, n: int, total: int) -> str:
    """An item's own heading within its exercise: "Steg 2 av 3: <situation start>", "Fråga 1 av 5: …"."""
    if it.kind == "scenario":
        return f"Steg {n} av {total}: {_short(it.prompt, 60)}"
    if it.kind in ("single_choice", "multiple_choice"):
        return f"Fråga {n} av {total}: {_short(it.prompt, 60)}"
    if it.kind == "matching":
        return "Matchning"
    return "Fritextsvar"


def _first_attempt(html: str) -> str:
    """An item's count line saying "rätt vid första försöket" (what it counts) for item_html's "helt rätt";
    only the count line, never an answer's text."""
    return re.sub(r'(<p class="sv-progress">[^<]*?) helt rätt \(', r"\1 rätt vid första försöket (", html, count=1)


def _group_no(group: str | None) -> int:
    """The table's number for sorting ("Bord 12" → 12); 0 for no table or a name without a number."""
    words = (group or "").split()
    try:
        return int(words[-1]) if words else 0
    except ValueError:
        return 0


def chromium() -> str:
    """The chromium program's path; a Swedish :class:`SamverkanError` when it is not installed."""
    found = shutil.which("chromium")
    if not found:
        raise SamverkanError(
            "--pdf behöver webbläsaren Chromium, men programmet chromium finns inte på den här datorn. "
            "Installera det (i Debian och Ubuntu: sudo apt install chromium) eller skriv ut HTML-rapporten "
            "från en webbläsare."
        )
    return found


def write_pdf(html: Path, pdf: Path, program: str | None = None) -> Path:
    """Print the report's HTML file to an A4 PDF with chromium, headless and offline; returns ``pdf``."""
    program = program or chromium()
    pdf = Path(pdf).resolve()
    if pdf.is_dir():
        raise ParameterError(f"--pdf: {pdf} är en mapp; ange ett filnamn, till exempel {pdf / 'rapport.pdf'}.")
    with tempfile.TemporaryDirectory(prefix="samverkan-pdf-") as profile:
        partial = Path(profile) / "rapport.pdf"
        cmd = [
            program,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-pdf-header-footer",
            f"--print-to-pdf={partial}",
            Path(html).resolve().as_uri(),
        ]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise SamverkanError(f"Chromium blev inte klar med PDF-filen på {PDF_TIMEOUT} sekunder.") from None
        except OSError as exc:
            raise SamverkanError(f"Chromium kunde inte startas ({exc.strerror or exc}).") from None
        if not partial.is_file() or partial.read_bytes()[:5] != b"%PDF-":
            tail = " ".join((run.stderr or "").split())[-300:]
            raise SamverkanError(f"Chromium kunde inte skriva PDF-filen (kod {run.returncode}). {tail}".rstrip())
        try:
            shutil.move(str(partial), pdf)
        except OSError as exc:
            raise SamverkanError(f"--pdf: {pdf} kunde inte skrivas ({exc.strerror or exc}).") from None
    return pdf


def build_report(
    session: str,
    db: str | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    options: ReportOptions | None = None,
    pdf: str | Path | None = None,
) -> Path:
    """Run the report notebook over the stored answers and write one HTML file (and a PDF when ``pdf``
    is given); returns the HTML file's path."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    program = chromium() if pdf is not None else None  # say it before a kernel starts
    if pdf is not None and Path(pdf).is_dir():
        raise ParameterError(f"--pdf: {pdf} är en mapp; ange ett filnamn, till exempel {Path(pdf) / 'rapport.pdf'}.")
    store = Store(db, create=False)
    found = store.session_by_code(session)  # a clear error before papermill starts a kernel
    out = Path(out) if out else Path.cwd() / f"rapport-{found.code}.html"
    if out.is_dir():
        raise ParameterError(
            f"--out: {out} är en mapp; ange ett filnamn, till exempel {out / ('rapport-' + found.code + '.html')}."
        )
    with tempfile.TemporaryDirectory(prefix="samverkan-rapport-") as tmp:
        executed = Path(tmp) / "rapport.ipynb"
        try:
            nb = pm.execute_notebook(
                str(NOTEBOOK),
                str(executed),
                parameters={"db": store.url, "session": found.code, "options": (options or ReportOptions()).to_json()},
                progress_bar=dict(PROGRESS) if progress else False,
                kernel_name="python3",
                cwd=tmp,
                kernel_manager_class=ipc_kernel_manager(),
                iopub_timeout=60,
            )
        except PapermillExecutionError as exc:
            raise SamverkanError(f"Rapporten kunde inte skapas: {exc.ename}: {exc.evalue}") from None
    store.close()
    out.write_text(report_html(nb, f"Rapport {found.code}: {found.name}"), encoding="utf-8")
    if pdf is not None:
        write_pdf(out, Path(pdf), program)
    return out


def report_html(nb: Any, title: str) -> str:
    """The HTML outputs of an executed notebook as one page."""
    body = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                body.append(html if isinstance(html, str) else "".join(html))
    return render_page(title, Markup("\n".join(body)), Markup(CSS))
