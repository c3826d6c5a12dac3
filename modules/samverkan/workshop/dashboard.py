"""The facilitator's dashboard (``voila_apps/handledarvy.ipynb``), behind the facilitator key.

* Log in with the key printed by ``samverkan serve`` (in the address as
  ``?nyckel=…`` or typed into the form). A wrong key shows nothing else.
* Create a session (name, lesson, level) and show its join code large enough
  for a projector; open or close it; download the answers as CSV.
* Per question: how many answered, the share right, a chart with its text
  alternative, and the free-text answers as escaped text. The view checks the
  store every second and redraws only the questions whose counts changed, so
  an answer shows within about two seconds.

The refresh is an asyncio task on the kernel's own loop (widgets updated from
a background thread break in ipykernel 7).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from typing import Any
from urllib.parse import quote

import ipywidgets as widgets

from samverkan.apps.params import query_params
from samverkan.errors import SamverkanError
from samverkan.render.markdown import escape, plain
from samverkan.widgets.base import FOCUS_CSS, PlaceholderDropdown
from samverkan.workshop.store import MAX_PARTICIPANTS, Session, Store, StoreError

log = logging.getLogger("samverkan.workshop")

REFRESH_SECONDS = 1.0
NO_SESSION = "Inga pass än"
STYLE = (
    """<style>
.sv-code { font-size: 3.2em; font-weight: bold; letter-spacing: .12em; margin: .1em 0; color: #1f4e79; }
.sv-item { border-top: 1px solid #bbb; padding-top: .4em; margin-top: .6em; }
.sv-free li { margin: .3em 0; }
.sv-progress { color: #333; }
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


class Dashboard:
    """The facilitator's dashboard: create and pick sessions, open/close, places, live charts, CSV export."""

    def __init__(self, store: Store):
        from samverkan.content import loader, paths

        self.store = store
        root = paths.kit_root()
        self.kit = loader.load_kit(root)
        self.public = os.environ.get("SAMVERKAN_PUBLIC_URL", "/")
        self.session: Session | None = None
        self.signature: tuple | None = None
        self.item_widgets: dict[tuple[str, str], widgets.HTML] = {}
        self.item_signatures: dict[tuple[str, str], tuple] = {}
        self.task: asyncio.Task | None = None

        lessons = [
            (f"{plain(lesson.title, 'standard')} ({lid})", lid) for lid, lesson in sorted(self.kit.lessons.items())
        ]
        self.name = widgets.Text(
            description="Passets namn:",
            placeholder="till exempel Regionkonferensen, pass 2",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="32em"),
        )
        self.lesson = widgets.Dropdown(options=lessons, description="Lektion:", style={"description_width": "initial"})
        self.level = widgets.Dropdown(
            options=[("Standardtext", "standard"), ("Lättläst", "lattlast")],
            description="Nivå:",
            style={"description_width": "initial"},
        )
        self.create_button = widgets.Button(
            description="Skapa pass", button_style="primary", tooltip="Skapa ett nytt pass med en kod för deltagarna"
        )
        self.create_button.on_click(self._guard(self._on_create))
        self.picker = PlaceholderDropdown(
            description="Visa pass:", style={"description_width": "initial"}, layout=widgets.Layout(width="36em")
        )
        self.picker.observe(self._guard(self._on_pick), names="value")
        self.toggle_button = widgets.Button(description="Stäng passet", tooltip="Stäng eller öppna passet för svar")
        self.toggle_button.on_click(self._guard(self._on_toggle))
        self.csv_button = widgets.Button(description="Exportera CSV", tooltip="Skapa en CSV-fil med alla svar")
        self.csv_button.on_click(self._guard(self._on_csv))
        self.csv_link = widgets.HTML()
        self.cap = widgets.BoundedIntText(
            value=1,
            min=1,
            max=MAX_PARTICIPANTS,
            description="Platser i passet:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="16em"),
        )
        self.cap_button = widgets.Button(
            description="Spara antalet platser",
            layout=widgets.Layout(width="auto"),
            tooltip="Så många kan gå med i passet (förvalt: rummets storlek)",
        )
        self.cap_button.on_click(self._guard(self._on_cap))
        self.remove_button = widgets.Button(
            description="Ta bort deltagare utan svar",
            layout=widgets.Layout(width="auto"),
            tooltip="Tar bort dem som har gått med men inte svarat på något, till exempel anslutningar från ett skript",
        )
        self.remove_button.on_click(self._guard(self._on_remove_silent))
        self.status = widgets.HTML()
        self.join_info = widgets.HTML()
        self.stats = widgets.HTML()
        self.items = widgets.VBox()
        self.session_box = widgets.VBox()
        self.widget = widgets.VBox(
            [
                widgets.HTML("<h2>Nytt pass</h2>"),
                self.name,
                widgets.HBox([self.lesson, self.level]),
                self.create_button,
                widgets.HTML("<h2>Pass</h2>"),
                self.picker,
                self.status,
                self.session_box,
            ]
        )
        self._load_sessions()
        try:
            # In a kernel both the cell and a button's callback run on the kernel's event loop.
            self.task = asyncio.get_running_loop().create_task(self._loop())
        except RuntimeError:  # no running loop (plain Python, tests): refresh() by hand
            self.task = None

    # -- helpers ----------------------------------------------------------
    def _guard(self, func):  # noqa: ANN001
        def wrapper(*args: Any) -> None:
            try:
                self.status.value = ""
                func(*args)
            except SamverkanError as exc:
                self.status.value = f'<p role="alert">{escape(str(exc))}</p>'
            except Exception:
                log.exception("dashboard callback failed")
                self.status.value = '<p role="alert">Något gick fel. Försök igen.</p>'

        return wrapper

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
            self.session_box.children = [widgets.HTML("<p>Inga pass än. Skapa ett ovan.</p>")]

    # -- callbacks ----------------------------------------------------------
    def _on_create(self, _b: Any = None) -> None:
        session = self.store.create_session(self.name.value, self.lesson.value, self.level.value)
        self.name.value = ""
        self._load_sessions(select=session.id)
        self.status.value = f'<p role="status">Passet {escape(session.code)} är skapat och öppet.</p>'

    def _on_pick(self, change: Any = None) -> None:
        if self.picker.value is None:
            return
        self.session = self.store.session(self.picker.value)
        self.item_widgets = {}
        self.item_signatures = {}
        self.signature = None
        self.csv_link.value = ""
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

    # -- view -------------------------------------------------------------
    def _show_session(self) -> None:
        s = self.session
        if s is None:
            return
        link = f"{self.public}delta?kod={quote(s.code)}"
        lesson = self.kit.lessons.get(s.lesson)
        title = plain(lesson.title, "standard") if lesson else s.lesson
        state = "<strong>Öppet</strong> för svar" if s.is_open else "<strong>Stängt</strong>: nya svar sparas inte"
        self.join_info.value = (
            f"<h2>{escape(s.name)}</h2>"
            f"<p>{escape(title)} · {'lättläst' if s.level == 'lattlast' else 'standardtext'} · {state}</p>"
            f"<p>Deltagarna går till <strong>{escape(self.public)}</strong> och skriver koden</p>"
            # aria-label is not allowed on a <p>; a screen reader reads the hidden line, sign by sign.
            f'<p class="sv-code" aria-hidden="true">{escape(s.code)}</p>'
            f'<p class="sv-sr">Koden är {" ".join(escape(s.code))}.</p>'
            f'<p>Direktlänk: <a href="{escape(link)}">{escape(link)}</a></p>'
        )
        self.toggle_button.description = "Stäng passet" if s.is_open else "Öppna passet igen"
        self.cap.value = self.store.cap(s.id)
        self.session_box.children = [
            self.join_info,
            self.stats,
            widgets.HBox([self.toggle_button, self.csv_button]),
            self.csv_link,
            widgets.HBox([self.cap, self.cap_button, self.remove_button]),
            widgets.HTML("<h2>Svaren</h2>"),
            self.items,
        ]

    def refresh(self, force: bool = False) -> bool:
        """Redraw what changed since the last look; returns True when anything did."""
        from samverkan.workshop.summary import item_html, summarise

        s = self.session
        if s is None:
            return False
        stats = self.store.stats(s.id)
        if not force and stats.signature == self.signature:
            return False
        self.signature = stats.signature
        last = stats.last_answer.astimezone().strftime("%H:%M:%S") if stats.last_answer else "–"
        items = summarise(self.kit, s, self.store.answers(s.id))
        children = []
        for it in items:
            w = self.item_widgets.get(it.key)
            if w is None:
                w = self.item_widgets[it.key] = widgets.HTML()
                w.add_class("sv-item")
            sig = it.signature()
            if self.item_signatures.get(it.key) != sig:
                self.item_signatures[it.key] = sig
                w.value = item_html(it)
            children.append(w)
        if [id(w) for w in children] != [id(w) for w in self.items.children]:
            self.items.children = children  # a new session (even of the same lesson) has new item widgets
        # The counts last, so that when they change the charts above them are already drawn.
        self.stats.value = (
            f'<p class="sv-progress" role="status" aria-live="polite">'
            f'<span class="sv-participants">{stats.participants}</span> deltagare · '
            f'<span class="sv-answers">{stats.answers}</span> svar · senaste svar {last}</p>'
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
