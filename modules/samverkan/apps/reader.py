"""The lesson reader: a whole lesson in the browser, for an officer or an elected member studying alone.

One page at a time: the opening (why, questions, objectives, the time plan), each section with its
text, example, tables and charts and its exercises in place, the discussion, and the end (key points,
reflection questions, sources) with a summary of the reader's answers that can be saved as a
self-contained HTML file. Audience and level are chosen with visible controls and can be switched
while reading; answers given so far are kept across a switch. Self-study shows everything, so what is
marked fördjupning is included and marked.

``reader_app()`` builds it from the page address (``?lesson=03-principer&audience=…&level=…``);
without a valid lesson it lists the lessons to choose from.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

import ipywidgets as widgets

from samverkan.apps.lesson import LessonView, open_lesson
from samverkan.apps.params import query_params
from samverkan.content.schema import AUDIENCE_LABELS, AUDIENCES, LEVELS
from samverkan.errors import SamverkanError
from samverkan.render.markdown import Markup, escape, plain, render_markdown
from samverkan.render.page import page as render_page
from samverkan.widgets.base import FOCUS_CSS, STYLE, lean

LEVEL_NAMES = {"standard": "Standardtext", "lattlast": "Lättläst"}
READER_CSS = Markup(
    """<style>
.sv-reader { max-width: 46rem; }
.sv-reader .sv-reader-text { font-size: 1.0625rem; line-height: 1.55; overflow-wrap: anywhere; }
.sv-reader a { color: #0b4f8a; text-decoration: underline; }
.sv-reader .sv-reader-text table { border-collapse: collapse; margin: .6em 0; }
.sv-reader .sv-reader-text th, .sv-reader .sv-reader-text td { border: 1px solid #888; padding: .25em .5em;
  text-align: left; vertical-align: top; }
.sv-reader .widget-toggle-buttons .widget-toggle-button { min-height: 44px; width: auto; min-width: 9em; }
.sv-reader .jupyter-button { min-height: 44px; }
.sv-reader select { min-height: 44px; max-width: 100%; }
.sv-reader .sv-reader-nav { flex-wrap: wrap; gap: .5em; }
.sv-reader .sv-reader-text blockquote { margin: .8em 0; padding: .2em .8em; border-left: 4px solid #1f4e79;
  background: #f3f6f9; }
"""
    + FOCUS_CSS
    + "</style>"
)
SUMMARY_CSS = Markup(
    "body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5;color:#111}"
    "th,td{text-align:left;vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ccc}"
)


@dataclass
class Page:
    """One page of the reader: what it is (``intro``, ``section``, ``discussion``, ``end``) and its label."""

    kind: str
    label: str
    section_id: str | None = None


@dataclass
class ReaderAnswers:
    """The reader's answers so far: per exercise, item id → (value, correct), as the widgets report them."""

    given: dict[str, dict[str, tuple[Any, bool | None]]] = field(default_factory=dict)

    def record(self, event: Any) -> None:
        """Keep one :class:`~samverkan.widgets.base.AnswerEvent` (a later answer to an item replaces it)."""
        self.given.setdefault(event.exercise_id, {})[event.item_id] = (event.value, event.correct)

    def saved(self, exercise_id: str) -> dict[str, Any]:
        """The values to give a new widget of ``exercise_id`` (its ``restore()`` format)."""
        return {item: value for item, (value, _correct) in self.given.get(exercise_id, {}).items()}


class Progress(Protocol):
    """Where a reader's place and answers are kept behind a personal link (the workshop store provides one)."""

    token: str

    def load(self) -> dict[str, Any] | None:
        """The saved state (audience, level, position, answers), or None."""

    def save(self, state: dict[str, Any]) -> None:
        """Keep the state; may raise SamverkanError with a Swedish message."""


class Links(Protocol):
    """Makes personal links: a new random token, and the :class:`Progress` behind a token."""

    def new_token(self) -> str:
        """A new random token for a personal link."""

    def open(self, token: str, lesson_id: str) -> Progress:
        """The progress behind ``token`` for ``lesson_id``."""


class LessonReader(widgets.VBox):
    """A lesson to read and do page by page: ``.audience``, ``.level``, ``.sections``, ``.body``, navigation."""

    def __init__(
        self,
        lesson_id: str,
        audience: str = "tjansteperson",
        level: str = "standard",
        *,
        links: Links | None = None,
        progress: Progress | None = None,
    ):
        super().__init__()
        self.lesson_id = lesson_id
        self.answers = ReaderAnswers()
        self.links = links
        self.progress = progress
        saved = self._load()
        if saved:
            audience = str(saved["audience"]) if saved.get("audience") in AUDIENCES else audience
            level = str(saved["level"]) if saved.get("level") in LEVELS else level
        self.index: int = 0
        self._built: dict[tuple[str, str, str], Any] = {}
        self._page_cache: dict[tuple[int, str, str], list[Any]] = {}
        self.view: LessonView = open_lesson(lesson_id, audience=audience, level=level)
        lesson = self.view.lesson
        self.pages = [Page("intro", "Om lektionen")]
        for n, s in enumerate(lesson.sections, start=1):
            deeper = ", fördjupning" if s.further_study else ""
            self.pages.append(Page("section", f"{n}. {plain(s.title, 'standard')} ({s.minutes} min{deeper})", s.id))
        self.pages.append(Page("discussion", "Diskutera"))
        self.pages.append(Page("end", "Det viktigaste, källor och dina svar"))

        self.title = lean(widgets.HTML, self._heading())
        self.audience = widgets.ToggleButtons(
            options=[(AUDIENCE_LABELS[a].capitalize(), a) for a in AUDIENCES],
            value=audience,
            description="Målgrupp:",
            tooltips=[f"Visa lektionen för {AUDIENCE_LABELS[a]}" for a in AUDIENCES],
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.level = widgets.ToggleButtons(
            options=[(LEVEL_NAMES[lv], lv) for lv in LEVELS],
            value=level,
            description="Nivå:",
            tooltips=["Visa standardtexten", "Visa lättläst text"],
            style={"description_width": "initial", "button_width": "auto"},
        )
        self.sections = widgets.Dropdown(
            options=[(p.label, i) for i, p in enumerate(self.pages)],
            value=0,
            description="Avsnitt:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="100%"),
        )
        self.previous_button = widgets.Button(description="Föregående", icon="arrow-left", tooltip="Föregående del")
        self.next_button = widgets.Button(
            description="Nästa", icon="arrow-right", button_style="primary", tooltip="Nästa del"
        )
        self.position = widgets.HTML()
        self.body = widgets.VBox()
        self.link_box = widgets.VBox()
        self.link_button = widgets.Button(
            description="Skapa en personlig länk",
            icon="bookmark",
            tooltip="En länk som tar dig tillbaka hit med dina svar, utan namn",
            layout=widgets.Layout(width="auto"),
        )
        self.link_button.on_click(self._on_link)
        self.link_status = widgets.HTML()
        nav = widgets.HBox([self.previous_button, self.next_button, self.position])
        nav.add_class("sv-reader-nav")
        self.children = [self.title, self.audience, self.level, self.sections, self.body, nav, self.link_box]
        self.add_class("sv-reader")
        self.add_class("sv-exercise")  # the exercises' reflow styles apply to the whole reader

        self.previous_button.on_click(lambda _b: self.go(self.index - 1))
        self.next_button.on_click(lambda _b: self.go(self.index + 1))
        self.sections.observe(lambda change: self.go(change["new"]), names="value")
        self.audience.observe(self._on_version, names="value")
        self.level.observe(self._on_version, names="value")
        self._show_link()
        start = saved.get("position", 0) if saved else 0
        self.go(start if isinstance(start, int) else 0)

    def _heading(self) -> Markup:
        return READER_CSS + STYLE + Markup("<h1>{}</h1>").format(plain(self.view.lesson.title, self.view.level))

    # -- navigation -----------------------------------------------------------
    def go(self, index: int) -> None:
        """Show page ``index`` (clamped to the pages there are)."""
        index = max(0, min(index, len(self.pages) - 1))
        self.index = index
        if self.sections.value != index:
            self.sections.value = index  # calls go() again through the observer, with the same index
            return
        page = self.pages[index]
        key = (index, self.audience.value, self.level.value)
        if page.kind == "end":  # the summary follows the answers, so the end page is made anew
            self.body.children = self._page(page)
        else:
            if key not in self._page_cache:
                self._page_cache[key] = self._page(page)
            self.body.children = self._page_cache[key]
        self.position.value = f'<p class="sv-progress" role="status">Del {index + 1} av {len(self.pages)}</p>'
        self.previous_button.disabled = index == 0
        self.next_button.disabled = index == len(self.pages) - 1
        self._save()

    def _on_version(self, _change: Any) -> None:
        """Audience or level changed: the same page again in the new version, answers kept."""
        # The same lesson and kit in the new version (no second load of the kit).
        self.view = LessonView(self.view.lesson, self.view.kit, self.audience.value, self.level.value)
        self.title.value = (
            READER_CSS + STYLE + Markup("<h1>{}</h1>").format(plain(self.view.lesson.title, self.level.value))
        )
        self.go(self.index)

    # -- pages ----------------------------------------------------------------
    def _text(self, markdown: str) -> widgets.HTML:
        html = widgets.HTML(Markup('<div class="sv-reader-text">{}</div>').format(render_markdown(markdown)))
        return html

    def _page(self, page: Page) -> list[Any]:
        view = self.view
        if page.kind == "intro":
            return [self._text(view.intro_markdown())]
        if page.kind == "discussion":
            return [self._text(view.discussion_markdown())]
        if page.kind == "end":
            return [self._text(view.end_markdown()), self._summary_widget()]
        assert page.section_id is not None
        parts: list[Any] = [self._text(view.section_markdown(page.section_id))]
        parts += [self._block(b) for b in view.blocks(page.section_id)]
        for exercise_id in view.lesson.section(page.section_id).exercises:
            parts.append(self._exercise(exercise_id))
        if view.lesson.section(page.section_id).code:
            parts.append(
                widgets.HTML(
                    '<p class="sv-progress">Avsnittet har en kodövning. Den gör du i lektionens '
                    "anteckningsbok i JupyterLab (<code>make lab</code>).</p>"
                )
            )
        return parts

    def _block(self, block: Any) -> Any:
        """A table, chart or tool from the section's ``show:`` list, as a widget."""
        if isinstance(block, widgets.Widget):
            return block
        kind = type(block).__name__
        data = getattr(block, "data", "")
        html = render_markdown(data) if kind == "Markdown" else Markup(data)
        return widgets.HTML(Markup('<div class="sv-reader-text">{}</div>').format(html))

    def _exercise(self, exercise_id: str) -> Any:
        key = (exercise_id, self.audience.value, self.level.value)
        if key not in self._built:
            w = self.view.exercise(exercise_id, on_answer=self._on_answer)
            saved = self.answers.saved(exercise_id)
            if saved and w is not None and hasattr(w, "restore"):
                w.restore(saved)
            self._built[key] = w
        return self._built[key]

    # -- the personal link -----------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """What a personal link keeps: audience, level, the page, and the answers (no name, ever)."""
        return {
            "audience": self.audience.value,
            "level": self.level.value,
            "position": self.index,
            "answers": {
                ex: {item: [value, correct] for item, (value, correct) in items.items()}
                for ex, items in self.answers.given.items()
            },
        }

    def _load(self) -> dict[str, Any] | None:
        if self.progress is None:
            return None
        try:
            saved = self.progress.load()
        except SamverkanError:
            return None
        if not saved:
            return None
        raw = saved.get("answers")
        for ex, items in raw.items() if isinstance(raw, dict) else []:
            for item, pair in items.items() if isinstance(items, dict) else []:
                if isinstance(pair, list) and len(pair) == 2:
                    self.answers.given.setdefault(str(ex), {})[str(item)] = (pair[0], pair[1])
        return saved

    def _save(self) -> None:
        if self.progress is None:
            return
        try:
            self.progress.save(self.state())
        except SamverkanError as exc:
            self.link_status.value = Markup('<p role="alert">{}</p>').format(str(exc))

    def _on_answer(self, event: Any) -> None:
        self.answers.record(event)
        self._save()

    def _on_link(self, _button: Any = None) -> None:
        if self.links is None or self.progress is not None:
            return
        self.progress = self.links.open(self.links.new_token(), self.lesson_id)
        self._save()
        self._show_link()

    def _show_link(self) -> None:
        if self.progress is not None:
            href = f"?lesson={self.lesson_id}&p={self.progress.token}"
            self.link_box.children = [
                widgets.HTML(
                    Markup(
                        '<h2>Din personliga länk</h2><p><a href="{}">Fortsätt läsa här</a>. Spara länken som '
                        "bokmärke: den tar dig tillbaka till samma ställe med dina svar. Den är personlig, så "
                        "dela den inte. Inga namn sparas.</p>"
                    ).format(href)
                ),
                self.link_status,
            ]
        elif self.links is not None:
            self.link_box.children = [
                widgets.HTML(
                    "<h2>Fortsätta en annan gång?</h2><p>Skapa en personlig länk, så sparas din plats och dina "
                    "svar. Inga namn sparas.</p>"
                ),
                self.link_button,
            ]
        else:
            self.link_box.children = []

    # -- the summary ---------------------------------------------------------------
    def summary_html(self) -> Markup:
        """The reader's answers per exercise: how many items answered and, where graded, how many right."""
        rows = []
        for exercise_id in (e for s in self.view.lesson.sections for e in s.exercises):
            ex = self.view.kit.exercises.get(exercise_id)
            if ex is None or self.audience.value not in ex.audience:
                continue
            given = self.answers.given.get(exercise_id, {})
            graded = [c for _v, c in given.values() if c is not None]
            result = f"{sum(graded)} av {len(graded)} rätt" if graded else ("besvarad" if given else "inte besvarad")
            rows.append(Markup("<tr><td>{}</td><td>{}</td></tr>").format(plain(ex.title, self.level.value), result))
        return Markup(
            '<table><thead><tr><th scope="col">Övning</th><th scope="col">Ditt resultat</th></tr></thead>'
            "<tbody>{}</tbody></table>"
        ).format(Markup("").join(rows))

    def summary_document(self, today: dt.date | None = None) -> str:
        """A self-contained HTML page: the lesson, the date, the answers, the key points and the sources."""
        today = today or dt.date.today()
        view = self.view
        body = Markup("<h1>{}</h1><p>{}, {}. Sammanfattningen skapades {}.</p><h2>Dina svar</h2>{}{}").format(
            plain(view.lesson.title, self.level.value),
            AUDIENCE_LABELS[self.audience.value].capitalize(),
            LEVEL_NAMES[self.level.value].lower(),
            today.isoformat(),
            self.summary_html(),
            render_markdown(view.end_markdown()),
        )
        return render_page(f"Sammanfattning: {plain(view.lesson.title, 'standard')}", body, SUMMARY_CSS, main=False)

    def _summary_widget(self) -> widgets.VBox:
        doc = self.summary_document()
        href = "data:text/html;charset=utf-8;base64," + base64.b64encode(doc.encode("utf-8")).decode("ascii")
        link = widgets.HTML(
            f'<p><a download="sammanfattning-{escape(self.lesson_id)}.html" href="{href}">'
            "Spara sammanfattningen som HTML-fil</a></p>"
        )
        return widgets.VBox([widgets.HTML(Markup("<h2>Dina svar</h2>") + self.summary_html()), link])


def reader_app(query: str | None = None, links: Links | None = None) -> widgets.Widget:
    """The reader for the lesson, audience and level in the page address, or a list of lessons to choose.

    With ``links`` (the workshop server's store), the reader offers a personal link, and ``p=<token>`` in
    the address brings back the place and the answers saved behind it.
    """
    from samverkan.content.loader import load_kit

    params = query_params(query)
    lesson_id = params.get("lesson", "")
    audience = params.get("audience", "tjansteperson")
    level = params.get("level", "standard")
    audience = audience if audience in AUDIENCES else "tjansteperson"
    level = level if level in LEVELS else "standard"
    kit = load_kit()
    if lesson_id in kit.lessons:
        token = params.get("p", "")
        progress = links.open(token, lesson_id) if links is not None and token else None
        return LessonReader(lesson_id, audience=audience, level=level, links=links, progress=progress)
    items = Markup("").join(
        Markup('<li><a href="?lesson={}">{}</a> ({} min)</li>').format(
            lid, plain(lesson.title, "standard"), lesson.self_study_minutes
        )
        for lid, lesson in sorted(kit.lessons.items())
    )
    note = (
        Markup('<p role="alert">Lektionen {} finns inte. Välj en lektion nedan.</p>').format(lesson_id[:60])
        if lesson_id
        else Markup("")
    )
    return widgets.HTML(READER_CSS + Markup("<h1>Läs en lektion</h1>{}<ul>{}</ul>").format(note, items))
