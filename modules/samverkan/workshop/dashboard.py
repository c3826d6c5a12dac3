"""The facilitator's dashboard (``voila_apps/handledarvy.ipynb``), behind the facilitator key.

* Log in with the key printed by ``samverkan serve`` (in the address as
  ``?nyckel=…`` or typed into the form). A wrong key shows nothing else.
* Pick a session: its name, state and join code, then the overview first (joined,
  participants who answered, answers, changed answers, and per exercise how many
  of the joined have answered, as text and a bar), then the answers per exercise,
  each behind its own "Visa svaren" button (only the first is shown at first, so
  a lesson stays a short page), then the session's details and the conclusions.
* Per question: how many answered, the share right at the first attempt, a chart
  with its text alternative and a table, and the free-text answers as escaped text;
  a scenario's steps under it, with how many reached each ending. Every figure
  counts each participant's first answer.
* Open or close the session, download the answers as CSV, change the places, switch
  between handledarstyrt and i egen takt, open the presenter page (storbildsvyn).
* Create a session (name, lesson, level, mode, audience, where and when), or the
  sessions of a plan (``exercises/planer/*.yaml``).

The view checks the store every second and redraws only what changed: the
overview's figures, and in the exercises that are shown the questions whose counts
changed (a hidden exercise is drawn when it is shown). The show/hide state lives in
a widget (a ToggleButton), not in an HTML ``<details>``, which would snap shut on
every redraw.

The refresh is an asyncio task on the kernel's own loop (widgets updated from
a background thread break in ipykernel 7).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ipywidgets as widgets

from samverkan.apps.params import query_params
from samverkan.content.schema import AUDIENCE_LABELS
from samverkan.errors import ContentError, SamverkanError
from samverkan.render.markdown import escape, plain
from samverkan.widgets.base import FOCUS_CSS, PlaceholderDropdown
from samverkan.workshop.room import session_exercises
from samverkan.workshop.store import MAX_PARTICIPANTS, Details, Session, Store, StoreError
from samverkan.workshop.summary import Endings, ItemSummary

log = logging.getLogger("samverkan.workshop")

REFRESH_SECONDS = 1.0
NO_SESSION = "Inga pass än"
NO_PLAN = "Inga planer hittades"
MODE_LABELS = {"ledd": "Handledarstyrt", "egen_takt": "I egen takt"}
AUDIENCE_CHOICES = [("Alla", None), ("Förtroendevalda", "fortroendevald"), ("Tjänstepersoner", "tjansteperson")]
FIRST_ANSWER_NOTE = (
    "Siffrorna räknar varje deltagares första svar på varje fråga, så andelen rätt är rätt vid första "
    "försöket. Ett ändrat svar räknas inte om."
)
STYLE = (
    """<style>
.sv-code { font-size: 2.4em; font-weight: bold; letter-spacing: .12em; margin: .1em 0; color: #1f4e79; }
.sv-item { border-top: 1px solid #bbb; padding-top: .4em; margin-top: .6em; }
.sv-free li { margin: .3em 0; }
.sv-progress { color: #333; }
.sv-dashboard table { border-collapse: collapse; margin: .4em 0; }
.sv-dashboard th, .sv-dashboard td { border: 1px solid #bbb; padding: .25em .5em; text-align: left;
  vertical-align: top; }
.sv-dashboard thead th { background: #eef2f7; }
.sv-overview td.sv-num { white-space: nowrap; }
.sv-bar { display: inline-block; width: 8em; height: .9em; border: 1px solid #1f4e79; background: #fff;
  vertical-align: middle; margin-right: .5em; }
.sv-bar > span { display: block; height: 100%; background: #1f4e79; }
.sv-panel { border-top: 2px solid #1f4e79; margin-top: .8em; padding-top: .2em; }
.sv-panel h4 { margin: .3em 0 .1em 0; font-size: 1.15em; }
.sv-panel h5 { margin: .8em 0 .2em 0; font-size: 1.05em; }
.sv-panel p { margin: .2em 0; }
.sv-endings td:nth-child(2) { max-width: 40em; }
.sv-dashboard p.sv-presenter { margin: 0 0 0 .6em; }
.sv-dashboard a { color: #0b4f8a; text-decoration: underline; }
.sv-dashboard .jupyter-widgets.widget-textarea textarea { font-size: 1em; }
"""
    + FOCUS_CSS
    + "</style>"
)


def dashboard_app(query: dict[str, str] | None = None) -> widgets.Widget:
    """The facilitator's view: the key check, then the dashboard (a notice when not run by serve)."""
    url = os.environ.get("SAMVERKAN_DB")
    if not url:
        return widgets.HTML(
            "<h2>Verkstadsläget är inte igång</h2><p>Handledarvyn används när verkstaden "
            "är startad med <code>samverkan serve</code>.</p>"
        )
    try:
        return Login(Store(url, create=False), query_params() if query is None else query).widget
    except SamverkanError as exc:
        return widgets.HTML(f'<p role="alert">{escape(str(exc))}</p>')


class Login:
    """The key check; the dashboard is only built after it passes."""

    def __init__(self, store: Store, query: dict[str, str]):
        self.store = store
        self.key = widgets.Password(
            description="Handledarnyckel:", style={"description_width": "initial"}, placeholder="som servern skrev ut"
        )
        self.button = widgets.Button(description="Logga in", button_style="primary", tooltip="Öppna handledarvyn")
        self.message = widgets.HTML()
        self.button.on_click(self._on_login)
        self.widget = widgets.VBox([widgets.HTML(STYLE), self.message, self.key, self.button])
        given = query.get("nyckel")
        if given:
            if store.check_key(given):
                self._open()
            else:
                self.message.value = (
                    '<p role="alert"><strong>Fel handledarnyckel.</strong> Skriv nyckeln som '
                    "servern skrev ut när den startade.</p>"
                )

    def _on_login(self, _w: Any = None) -> None:
        try:
            ok = self.store.check_key(self.key.value)
        except Exception:
            log.exception("key check failed")
            ok = False
        if not ok:
            time.sleep(0.5)  # slows guessing; the key has 60 bits anyway
            self.message.value = '<p role="alert"><strong>Fel handledarnyckel.</strong> Försök igen.</p>'
            return
        self._open()

    def _open(self) -> None:
        self.key.value = ""
        self.widget.children = [widgets.HTML(STYLE), Dashboard(self.store).widget]


# -- the overview ------------------------------------------------------------
@dataclass
class Progress:
    """One exercise of the session in the overview: its items, how many answered it, how many are done."""

    number: int  # 1, 2, … in the session's order
    exercise_id: str
    title: str
    kind: str
    items: list[ItemSummary]
    answered: int = 0  # participants with at least one (first) answer in the exercise
    done: int = 0  # of them, those who answered every item (a scenario: whose first choices reached an ending)
    endings: Endings | None = None  # a scenario's endings

    @property
    def graded(self) -> tuple[int, int] | None:
        """(right at the first attempt, answered), summed over the items with a right answer; None without any."""
        graded = [it for it in self.items if it.right is not None]
        if not graded:
            return None
        return sum(it.right or 0 for it in graded), sum(it.answered for it in graded)


def exercise_progress(
    kit: Any,
    session: Session,
    details: Details,
    items: list[ItemSummary],
    rows: list[dict],
    endings: dict[str, Endings],
) -> list[Progress]:
    """Per exercise of the session, in order: how many participants answered it and how many are done.

    ``items`` from :func:`summarise`, ``rows`` the first answers (:meth:`Store.answers`), ``endings`` the
    scenarios' endings by exercise id (:func:`scenario_endings`). Answers to items the session does not
    have (another audience's questions, a removed question) are not counted."""
    ids = session_exercises(kit, session, details)
    by_exercise: dict[str, list[ItemSummary]] = {e: [] for e in ids}
    for it in items:
        by_exercise.setdefault(it.exercise_id, []).append(it)
    keys = {it.key for it in items}
    who: dict[str, dict[int, set[str]]] = {}
    for row in rows:
        if (row["exercise_id"], row["item_id"]) in keys:
            who.setdefault(row["exercise_id"], {}).setdefault(row["participant"], set()).add(row["item_id"])
    out = []
    for number, exercise_id in enumerate(ids, start=1):
        ex = kit.exercises[exercise_id]
        its = by_exercise.get(exercise_id, [])
        people = who.get(exercise_id, {})
        p = Progress(number, exercise_id, plain(ex.title, session.level), ex.kind, its, len(people))
        if exercise_id in endings:
            p.endings = endings[exercise_id]
            p.done = p.endings.finished
        else:
            p.done = sum(1 for answered in people.values() if len(answered) >= len(its))
        out.append(p)
    return out


def bar_html(part: int, whole: int) -> str:
    """A small bar for ``part`` of ``whole``, hidden from screen readers (the text beside it says the same)."""
    share = round(100 * part / whole) if whole else 0
    share = max(0, min(100, share))
    return f'<span class="sv-bar" aria-hidden="true"><span style="width:{share}%"></span></span>'


def overview_html(progress: list[Progress], joined: int) -> str:
    """Per exercise: how many of the joined have answered (text and a bar), how many are done, the share right."""
    if not progress:
        return "<p>Passet har inga övningar.</p>"
    rows = []
    for p in progress:
        graded = p.graded
        if graded is None:
            right = "–"
        elif not graded[1]:
            right = "inga svar än"
        else:
            right = f"{graded[0]} av {graded[1]} svar ({round(100 * graded[0] / graded[1])} %)"
        rows.append(
            f'<tr><th scope="row">{p.number}. {escape(p.title)}</th>'
            f'<td class="sv-num">{bar_html(p.answered, joined)}{p.answered} av {joined}</td>'
            f'<td class="sv-num">{p.done}</td><td class="sv-num">{right}</td></tr>'
        )
    return (
        '<table class="sv-overview"><thead><tr><th scope="col">Övning</th>'
        '<th scope="col">Har svarat (av dem som har gått med)</th><th scope="col">Klara</th>'
        f'<th scope="col">Rätt vid första försöket</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f"<p>Klara: har svarat på alla frågor i övningen (i ett scenario: har nått ett slut). {FIRST_ANSWER_NOTE}</p>"
    )


ITEM_HEADINGS = {"quiz": "Fråga {n} av {total}", "scenario": "Steg {n} av {total}"}
SINGLE_HEADINGS = {"matching": "Rätt placerat per påstående", "free_text": "Deltagarnas svar"}


class ExercisePanel:
    """One exercise on the dashboard: a heading with its progress, a button that shows or hides its answers,
    and the answers (a scenario's endings first, then its steps). The answers are drawn only while shown,
    and then only the items whose counts changed since they were last drawn."""

    def __init__(self, number: int, total: int, title: str, shown: bool, guard: Any):
        self.number = number
        self.total = total
        self.title = title
        self.progress: Progress | None = None
        self.joined = 0
        self.head = widgets.HTML()
        self.toggle = widgets.ToggleButton(
            value=shown,
            tooltip="Visa eller dölj övningens frågor och svar",
            layout=widgets.Layout(width="auto", align_self="flex-start"),
        )
        self.body = widgets.VBox()
        self.endings = widgets.HTML()
        self.empty = widgets.HTML("<p>Övningen har inga frågor för passets målgrupp.</p>")
        self.endings_signature: tuple | None = None
        self.item_widgets: dict[tuple[str, str], widgets.HTML] = {}
        self.item_signatures: dict[tuple[str, str], tuple] = {}
        self.toggle.observe(guard(self._on_toggle), names="value")
        self.widget = widgets.VBox([self.head, self.toggle, self.body])
        self.widget.add_class("sv-panel")
        self._label()
        self._head()

    @property
    def shown(self) -> bool:
        """Whether the answers are shown."""
        return bool(self.toggle.value)

    def _label(self) -> None:
        verb = "Dölj" if self.shown else "Visa"
        self.toggle.description = f"{verb} svaren på övning {self.number}"

    def _head(self) -> None:
        p = self.progress
        counts = f"{p.answered} av {self.joined} har svarat · {p.done} klara" if p is not None else "Inga svar än"
        value = (
            f'<h4>Övning {self.number} av {self.total}: {escape(self.title)}</h4><p class="sv-progress">{counts}</p>'
        )
        if self.head.value != value:
            self.head.value = value

    def _on_toggle(self, _change: Any = None) -> None:
        self._label()
        if self.shown:
            self.draw()
        else:
            self.body.children = ()

    def update(self, progress: Progress, joined: int) -> None:
        """New counts: the heading always, the answers if they are shown."""
        self.progress = progress
        self.joined = joined
        self._head()
        if self.shown:
            self.draw()

    def draw(self) -> None:
        """Draw the answers (only the items whose counts changed since they were last drawn)."""
        from samverkan.workshop.summary import endings_html, item_html

        p = self.progress
        if p is None:
            return
        children: list[widgets.Widget] = []
        if p.endings is not None:
            e = p.endings
            sig = (e.started, e.unfinished, tuple(x.count for x in e.endings))
            if sig != self.endings_signature:
                self.endings_signature = sig
                self.endings.value = endings_html(e, heading_level=5)
            children.append(self.endings)
        if not p.items:
            children.append(self.empty)
        for n, it in enumerate(p.items, start=1):
            w = self.item_widgets.get(it.key)
            if w is None:
                w = self.item_widgets[it.key] = widgets.HTML()
                w.add_class("sv-item")
            sig = it.signature()
            if self.item_signatures.get(it.key) != sig:
                self.item_signatures[it.key] = sig
                template = ITEM_HEADINGS.get(p.kind)
                heading = template.format(n=n, total=len(p.items)) if template else SINGLE_HEADINGS.get(p.kind)
                w.value = item_html(it, heading_level=5, heading=heading)
            children.append(w)
        if [id(w) for w in children] != [id(w) for w in self.body.children]:
            self.body.children = children


# -- the dashboard -------------------------------------------------------------
def _text(description: str, placeholder: str = "", width: str = "22em") -> widgets.Text:
    return widgets.Text(
        description=description,
        placeholder=placeholder,
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width, max_width="100%"),
    )


def _button(description: str, tooltip: str, primary: bool = False) -> widgets.Button:
    return widgets.Button(
        description=description,
        tooltip=tooltip,
        button_style="primary" if primary else "",
        layout=widgets.Layout(width="auto", align_self="flex-start"),
    )


WRAP = widgets.Layout(flex_flow="row wrap", align_items="center")


class Dashboard:
    """The facilitator's dashboard: pick a session and see its overview and answers; open/close, places,
    mode, CSV, details and conclusions; create sessions, one by one or from a plan."""

    def __init__(self, store: Store):
        from samverkan.content import loader, paths

        self.store = store
        self.root = paths.kit_root()
        self.kit = loader.load_kit(self.root)
        self.public = os.environ.get("SAMVERKAN_PUBLIC_URL", "/")
        self.session: Session | None = None
        self.details = Details()
        self.signature: tuple | None = None
        self.panels: dict[str, ExercisePanel] = {}
        self.panel_key: tuple | None = None
        self.task: asyncio.Task | None = None

        # -- the session shown
        self.picker = PlaceholderDropdown(
            description="Visa pass:", style={"description_width": "initial"}, layout=widgets.Layout(width="36em")
        )
        self.picker.observe(self._guard(self._on_pick), names="value")
        self.status = widgets.HTML()
        self.join_info = widgets.HTML()
        self.info = widgets.HTML()
        self.stats = widgets.HTML()
        self.overview = widgets.HTML()
        self.toggle_button = _button("Stäng passet", "Stäng eller öppna passet för svar")
        self.toggle_button.on_click(self._guard(self._on_toggle))
        self.mode_button = _button("Byt till i egen takt", "Byt mellan handledarstyrt och i egen takt")
        self.mode_button.on_click(self._guard(self._on_mode))
        self.csv_button = _button("Exportera CSV", "Skapa en CSV-fil med alla svar")
        self.csv_button.on_click(self._guard(self._on_csv))
        self.csv_link = widgets.HTML()
        self.presenter_link = widgets.HTML(
            f'<p class="sv-presenter"><a href="{escape(self.public)}handledare/storbild" target="_blank" '
            'rel="noopener">Öppna storbildsvyn (för projektorn)</a> – öppnas i en ny flik</p>'
        )
        self.cap = widgets.BoundedIntText(
            value=1,
            min=1,
            max=MAX_PARTICIPANTS,
            description="Platser i passet:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="16em"),
        )
        self.cap_button = _button("Spara antalet platser", "Så många kan gå med i passet (förvalt: rummets storlek)")
        self.cap_button.on_click(self._guard(self._on_cap))
        self.remove_button = _button(
            "Ta bort deltagare utan svar",
            "Tar bort dem som har gått med men inte svarat på något, till exempel anslutningar från ett skript",
        )
        self.remove_button.on_click(self._guard(self._on_remove_silent))
        self.panels_box = widgets.VBox()
        self.edit_organisation = _text("Organisation:", "valfritt")
        self.edit_place = _text("Plats:", "valfritt")
        self.edit_held_on = _text("Datum:", "ÅÅÅÅ-MM-DD, valfritt", width="16em")
        self.details_button = _button("Spara organisation, plats och datum", "Spara passets uppgifter")
        self.details_button.on_click(self._guard(self._on_save_details, "details_status"))
        self.conclusions = widgets.Textarea(
            description="Slutsatser:",
            placeholder="Vad kom gruppen fram till? Vad tar ni med er?",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="48em", max_width="100%", height="10em"),
        )
        self.conclusions_button = _button("Spara slutsatserna", "Spara slutsatserna med passet, för rapporten")
        self.conclusions_button.on_click(self._guard(self._on_save_conclusions, "details_status"))
        self.details_status = widgets.HTML()
        self.session_box = widgets.VBox()

        # -- a new session
        lessons = [
            (f"{plain(lesson.title, 'standard')} ({lid})", lid) for lid, lesson in sorted(self.kit.lessons.items())
        ]
        self.name = _text("Passets namn:", "till exempel Regionkonferensen, pass 2", width="32em")
        self.lesson = widgets.Dropdown(options=lessons, description="Lektion:", style={"description_width": "initial"})
        self.level = widgets.Dropdown(
            options=[("Standardtext", "standard"), ("Lättläst", "lattlast")],
            description="Nivå:",
            style={"description_width": "initial"},
        )
        self.mode = widgets.Dropdown(
            options=[(MODE_LABELS["ledd"], "ledd"), (MODE_LABELS["egen_takt"], "egen_takt")],
            value="egen_takt",
            description="Läge:",
            style={"description_width": "initial"},
        )
        self.audience = widgets.Dropdown(
            options=[(label, value or "") for label, value in AUDIENCE_CHOICES],
            description="Målgrupp:",
            style={"description_width": "initial"},
        )
        self.organisation = _text("Organisation:", "valfritt")
        self.place = _text("Plats:", "valfritt")
        self.held_on = _text("Datum:", "ÅÅÅÅ-MM-DD, valfritt", width="16em")
        self.create_button = _button("Skapa pass", "Skapa ett nytt pass med en kod för deltagarna", primary=True)
        self.create_button.on_click(self._guard(self._on_create, "create_status"))
        self.create_status = widgets.HTML()
        plans = self._plans()
        self.plan = widgets.Dropdown(
            options=plans or [(NO_PLAN, "")],
            description="Plan:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="50em", max_width="100%"),
        )
        self.plan_button = _button(
            "Skapa planens pass", "Skapa ett pass för varje lektion i planen", primary=bool(plans)
        )
        self.plan_button.disabled = not plans
        self.plan_button.on_click(self._guard(self._on_plan, "plan_status"))
        self.plan_status = widgets.HTML()

        self.widget = widgets.VBox(
            [
                widgets.HTML("<h2>Pass</h2>"),
                self.picker,
                self.session_box,
                widgets.HTML("<h2>Nytt pass</h2>"),
                self.name,
                widgets.HBox([self.lesson, self.level], layout=WRAP),
                widgets.HBox([self.mode, self.audience], layout=WRAP),
                widgets.HTML(
                    "<p>Handledarstyrt: du släpper övningarna en i taget i storbildsvyn. "
                    "I egen takt: deltagarna går igenom övningarna själva.</p>"
                ),
                widgets.HBox([self.organisation, self.place, self.held_on], layout=WRAP),
                self.create_button,
                self.create_status,
                widgets.HTML(
                    "<h3>Pass från en plan</h3><p>Ett pass för varje lektion i en verkstadsplan "
                    "(<code>exercises/planer/</code>), med planens övningar, målgrupp, plats och datum. "
                    "Passen blir handledarstyrda.</p>"
                ),
                widgets.HBox([self.plan, self.plan_button], layout=WRAP),
                self.plan_status,
            ]
        )
        self.widget.add_class("sv-dashboard")
        self._load_sessions()
        try:
            # In a kernel both the cell and a button's callback run on the kernel's event loop.
            self.task = asyncio.get_running_loop().create_task(self._loop())
        except RuntimeError:  # no running loop (plain Python, tests): refresh() by hand
            self.task = None

    # -- helpers ----------------------------------------------------------
    def _guard(self, func, status: str = "status"):  # noqa: ANN001
        """``func`` as a callback whose errors become a Swedish message in the status widget named ``status``."""

        def wrapper(*args: Any) -> None:
            out: widgets.HTML = getattr(self, status)
            try:
                out.value = ""
                func(*args)
            except SamverkanError as exc:
                out.value = f'<p role="alert" style="white-space:pre-wrap">{escape(str(exc))}</p>'
            except Exception:
                log.exception("dashboard callback failed")
                out.value = '<p role="alert">Något gick fel. Försök igen.</p>'

        return wrapper

    def _plans(self) -> list[tuple[str, str]]:
        """The plans under ``exercises/planer/`` as (label, path), the plan's title in the label when it loads."""
        folder = self.root / "exercises" / "planer"
        out = []
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            plan = self.kit.plans.get(f"exercises/planer/{path.name}")
            out.append((f"{plan.title} ({path.name})" if plan is not None else path.name, str(path)))
        return out

    def _load_sessions(self, select: int | None = None) -> None:
        sessions = self.store.sessions()
        options = [(s.label, s.id) for s in sessions]
        current = select if select is not None else (self.session.id if self.session else None)
        if options:
            self.picker.options = options
            self.picker.value = current if current in [o[1] for o in options] else options[0][1]
        else:
            self.picker.options = [(NO_SESSION, None)]  # shown in the list instead of an empty box
            self.picker.index = 0
            self.session_box.children = [widgets.HTML("<p>Inga pass än. Skapa ett under Nytt pass nedan.</p>")]

    def _exercise_titles(self) -> list[str]:
        if self.session is None:
            return []
        return [
            plain(self.kit.exercises[e].title, self.session.level)
            for e in session_exercises(self.kit, self.session, self.details)
        ]

    # -- callbacks: the session shown ------------------------------------------
    def _on_pick(self, change: Any = None) -> None:
        if self.picker.value is None:
            return
        self.session = self.store.session(self.picker.value)
        self.details = self.store.details(self.session.id)
        self.signature = None
        self.csv_link.value = ""
        self.details_status.value = ""
        self.edit_organisation.value = self.details.organisation
        self.edit_place.value = self.details.place
        self.edit_held_on.value = self.details.held_on
        self.conclusions.value = self.details.conclusions
        self._build_panels()
        self._show_session()
        self.refresh(force=True)

    def _on_toggle(self, _b: Any = None) -> None:
        if self.session is None:
            return
        self.session = self.store.set_open(self.session.code, not self.session.is_open)
        self._load_sessions(select=self.session.id)
        self._show_session()
        word = "öppet" if self.session.is_open else "stängt"
        self.status.value = f'<p role="status">Passet {escape(self.session.code)} är {word}.</p>'

    def _on_mode(self, _b: Any = None) -> None:
        if self.session is None:
            return
        mode = "egen_takt" if self.details.led else "ledd"
        self.details = self.store.set_room(self.session.code, mode=mode)
        self._show_details()
        how = (
            "du släpper övningarna en i taget i storbildsvyn"
            if self.details.led
            else "deltagarna går igenom övningarna själva"
        )
        self.status.value = (
            f'<p role="status">Passet {escape(self.session.code)} är nu '
            f"{MODE_LABELS[self.details.mode].lower()}: {how}.</p>"
        )

    def _on_cap(self, _b: Any = None) -> None:
        if self.session is None:
            return
        self.store.set_cap(self.session.code, int(self.cap.value))
        self.status.value = (
            f'<p role="status">Passet {escape(self.session.code)} har nu plats för {int(self.cap.value)} deltagare.</p>'
        )

    def _on_remove_silent(self, _b: Any = None) -> None:
        if self.session is None:
            return
        removed = self.store.remove_silent(self.session.code)
        self.refresh(force=True)
        self.status.value = (
            f'<p role="status">{removed} deltagare utan svar togs bort. Den som ändå var med '
            "och inte hade svarat än får gå med igen från sin sida.</p>"
        )

    def _on_csv(self, _b: Any = None) -> None:
        from samverkan.workshop.summary import export_csv

        if self.session is None:
            return
        text = "\ufeff" + export_csv(self.store, self.session, self.kit)
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        name = f"svar-{self.session.code}.csv"
        self.csv_link.value = (
            f'<p><a download="{name}" href="data:text/csv;charset=utf-8;base64,{data}">'
            f"Ladda ner {name}</a> (semikolonseparerad, öppnas i Excel)</p>"
        )

    def _on_save_details(self, _b: Any = None) -> None:
        if self.session is None:
            return
        self.details = self.store.set_details(
            self.session.code,
            organisation=self.edit_organisation.value,
            place=self.edit_place.value,
            held_on=self.edit_held_on.value,
        )
        self.edit_organisation.value = self.details.organisation
        self.edit_place.value = self.details.place
        self.edit_held_on.value = self.details.held_on
        self._show_details()
        self.details_status.value = '<p role="status">Organisation, plats och datum är sparade.</p>'

    def _on_save_conclusions(self, _b: Any = None) -> None:
        if self.session is None:
            return
        self.details = self.store.set_details(self.session.code, conclusions=self.conclusions.value)
        at = time.strftime("%H:%M")
        self.details_status.value = f'<p role="status">Slutsatserna är sparade (klockan {at}).</p>'

    # -- callbacks: new sessions ----------------------------------------------
    def _on_create(self, _b: Any = None) -> None:
        session = self.store.create_session(
            self.name.value,
            self.lesson.value,
            self.level.value,
            audience=self.audience.value or None,
            mode=self.mode.value,
            organisation=self.organisation.value,
            place=self.place.value,
            held_on=self.held_on.value,
        )
        self.name.value = ""
        self._load_sessions(select=session.id)
        self.create_status.value = (
            f'<p role="status">Passet {escape(session.code)} ({escape(session.name)}) är skapat och öppet. '
            "Det visas under Pass ovan.</p>"
        )

    def _on_plan(self, _b: Any = None) -> None:
        from samverkan.workshop.plans import create_plan_sessions

        if not self.plan.value:
            return
        try:
            sessions = create_plan_sessions(self.store, Path(self.plan.value))
        except ContentError as exc:
            self.plan_status.value = (
                '<div role="alert"><p>Planen har fel, så inga pass skapades:</p>'
                f'<p style="white-space:pre-wrap">{escape(str(exc))}</p></div>'
            )
            return
        if not sessions:
            self.plan_status.value = '<p role="status">Planen har inga lektioner, så inga pass skapades.</p>'
            return
        self._load_sessions(select=sessions[0].id)
        names = "".join(f"<li>{escape(s.code)} – {escape(s.name)}</li>" for s in sessions)
        self.plan_status.value = (
            f'<div role="status"><p>{len(sessions)} pass skapades från planen, öppna och handledarstyrda:</p>'
            f"<ul>{names}</ul><p>Det första visas under Pass ovan.</p></div>"
        )

    # -- view -------------------------------------------------------------
    def _panel_key(self) -> tuple:
        if self.session is None:
            return ()
        return (self.session.id, tuple(session_exercises(self.kit, self.session, self.details)), self.details.audience)

    def _build_panels(self) -> None:
        """One panel per exercise of the session; only one shows its answers at first: the exercise released
        in the led mode, else the first."""
        s = self.session
        if s is None:
            return
        ids = session_exercises(self.kit, s, self.details)
        current = self.details.current
        first = current if self.details.led and current in ids else (ids[0] if ids else None)
        self.panels = {
            e: ExercisePanel(n, len(ids), plain(self.kit.exercises[e].title, s.level), e == first, self._guard)
            for n, e in enumerate(ids, start=1)
        }
        self.panel_key = self._panel_key()
        self.panels_box.children = [p.widget for p in self.panels.values()]

    def _show_details(self) -> None:
        """The session's name, state, mode, audience and code at the top; its exercises, where and when below
        (and the labels of the buttons that change them)."""
        s = self.session
        if s is None:
            return
        d = self.details
        link = f"{self.public}delta?kod={quote(s.code)}"
        lesson = self.kit.lessons.get(s.lesson)
        title = plain(lesson.title, "standard") if lesson else s.lesson
        state = "<strong>Öppet</strong> för svar" if s.is_open else "<strong>Stängt</strong>: nya svar sparas inte"
        mode = f"<strong>{MODE_LABELS[d.mode]}</strong>"
        if d.led:
            current = self.kit.exercises.get(d.current) if d.current else None
            released = plain(current.title, s.level) if current is not None else "ingen än"
            mode += f" (släppt just nu: {escape(released)})"
        audience = AUDIENCE_LABELS.get(d.audience or "", "alla")
        self.join_info.value = (
            f"<h2>{escape(s.name)}</h2>"
            f"<p>{escape(title)} · {'lättläst' if s.level == 'lattlast' else 'standardtext'} · {state} · "
            f"{mode} · målgrupp: {audience}</p>"
            f"<p>Deltagarna går till <strong>{escape(self.public)}</strong> och skriver koden</p>"
            # aria-label is not allowed on a <p>; a screen reader reads the hidden line, sign by sign.
            f'<p class="sv-code" aria-hidden="true">{escape(s.code)}</p>'
            f'<p class="sv-sr">Koden är {" ".join(escape(s.code))}.</p>'
            f'<p>Direktlänk: <a href="{escape(link)}">{escape(link)}</a></p>'
        )
        chosen = "valda för passet" if d.exercises else "lektionens verkstadsväg"
        titles = ", ".join(f"{n}. {escape(t)}" for n, t in enumerate(self._exercise_titles(), start=1))
        self.info.value = (
            f"<p><strong>Läge:</strong> {MODE_LABELS[d.mode].lower()} · <strong>Målgrupp:</strong> {audience} · "
            f"<strong>Övningar</strong> ({chosen}): {titles or 'inga'}</p>"
        )
        self.toggle_button.description = "Stäng passet" if s.is_open else "Öppna passet igen"
        self.mode_button.description = "Byt till i egen takt" if d.led else "Byt till handledarstyrt"

    def _show_session(self) -> None:
        s = self.session
        if s is None:
            return
        self._show_details()
        self.cap.value = self.store.cap(s.id)
        self.session_box.children = [
            self.join_info,
            self.stats,
            self.overview,
            widgets.HBox([self.toggle_button, self.mode_button, self.csv_button, self.presenter_link], layout=WRAP),
            self.csv_link,
            widgets.HBox([self.cap, self.cap_button, self.remove_button], layout=WRAP),
            self.status,
            widgets.HTML(
                "<h3>Svaren per övning</h3><p>Visa en övnings frågor och svar med knappen under dess rubrik.</p>"
            ),
            self.panels_box,
            widgets.HTML(
                "<h3>Passets uppgifter och slutsatser</h3><p>Organisation, plats och datum kommer med i "
                "rapporten, liksom dina slutsatser från passet.</p>"
            ),
            self.info,
            widgets.HBox([self.edit_organisation, self.edit_place, self.edit_held_on], layout=WRAP),
            self.details_button,
            self.conclusions,
            self.conclusions_button,
            self.details_status,
        ]

    def refresh(self, force: bool = False) -> bool:
        """Redraw what changed since the last look; returns True when anything did."""
        from samverkan.workshop.summary import scenario_endings, summarise

        s = self.session
        if s is None:
            return False
        stats = self.store.stats(s.id)
        details = self.store.details(s.id)
        changed = False
        if details != self.details:  # the presenter page (or another dashboard) changed the mode or the room
            self.details = details
            self._show_details()
            changed = True
            if self._panel_key() != self.panel_key:
                self._build_panels()
                force = True
        if not force and stats.signature == self.signature:
            return changed
        self.signature = stats.signature
        last = stats.last_answer.astimezone().strftime("%H:%M:%S") if stats.last_answer else "–"
        rows = self.store.answers(s.id)
        items = summarise(self.kit, s, rows, details)
        endings = {e.exercise_id: e for e in scenario_endings(self.kit, s, rows, details)}
        progress = exercise_progress(self.kit, s, details, items, rows, endings)
        for p in progress:
            panel = self.panels.get(p.exercise_id)
            if panel is not None:
                panel.update(p, stats.participants)
        overview = overview_html(progress, stats.participants)
        if overview != self.overview.value:
            self.overview.value = overview
        # The counts last, so that when they change the figures above them are already drawn.
        self.stats.value = (
            "<h3>Översikt</h3>"
            f'<p class="sv-progress" role="status" aria-live="polite">'
            f'<span class="sv-participants">{stats.participants}</span> har gått med · '
            f'<span class="sv-answered">{stats.answered}</span> har svarat · '
            f'<span class="sv-answers">{stats.answers}</span> svar · '
            f'<span class="sv-revisions">{stats.revisions}</span> ändrade svar · senaste svar {last}</p>'
        )
        return True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                self.refresh()
            except StoreError:
                pass
            except Exception:
                log.exception("dashboard refresh failed")
