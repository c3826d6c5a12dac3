"""The participant app (``voila_apps/deltagare.ipynb``).

The page address carries the session code and the participant's random token
(``?kod=K7WQ2M&p=…``); the server's join page puts them there. A Voila kernel
dies when the page is reloaded, so everything a participant has answered
lives in the store, and a new kernel fills the exercises in again.

Kept lean on purpose: no pandas, no matplotlib (a room of 150 runs 150 of
these kernels). :func:`prepare` does the slow part (imports, loading the
exercises, opening the database) while the kernel is preheated, before anyone
asks for the page; :func:`app` then waits for the request and builds the page.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import ipywidgets as widgets

from samverkan.apps.params import query_params
from samverkan.errors import SamverkanError
from samverkan.render.markdown import escape
from samverkan.widgets import inbound as _inbound  # importing the widgets package also installs the inbound guard
from samverkan.widgets.base import lean
from samverkan.workshop import pages
from samverkan.workshop.room import Follower, session_exercises
from samverkan.workshop.store import Participant, Store, StoreError

log = logging.getLogger("samverkan.workshop")

_STATE: dict[str, Any] = {}

NOT_RUNNING = (
    "<h2>Verkstadsläget är inte igång</h2><p>Den här appen används när någon leder ett pass med "
    "<code>samverkan serve</code>. För att öva på egen hand: öppna en lektion i stället.</p>"
)


def prepare() -> None:
    """Load the exercises and open the store; runs while the kernel is preheated.

    The kit comes from the server's cache when it has one (:mod:`samverkan.content.cache`), else from YAML.
    """
    from samverkan.content import cache, paths

    if "kit" not in _STATE:
        root = paths.kit_root()
        files = (
            sorted(root.glob("exercises/*/ovningar.yaml"))
            + sorted(root.glob("exercises/*/lektion.yaml"))
            + [root / "data" / "kallor.yaml"]
        )
        _STATE["kit"] = cache.load_kit(root, files)
        from samverkan.render.markdown import to_html

        to_html("**Förberedd** | [länk](#)")  # imports mistune and builds its parser now, not at arrival
    if os.environ.get("VOILA_PREHEAT") == "True":
        import websockets.sync.client  # noqa: F401 - wait_for_request() needs it; pay for it now

    url = os.environ.get("SAMVERKAN_DB")
    if url and "store" not in _STATE:
        store = Store(url, create=False)
        with store.engine.connect():
            pass  # open the first connection now, not when the participant arrives
        _STATE["store"] = store


def wait_for_request(attempt_timeout: float = 30.0) -> str:
    """The page's query string. A preheated kernel blocks here until a participant asks for the page.

    The same protocol as ``voila.utils.wait_for_request``, without importing Voila
    (which costs 0.8 s and 30 MB in every participant kernel), and without its way
    of hanging for ever: each wait lasts at most ``attempt_timeout`` seconds, and a
    socket that is closed or refused is opened again (the server keeps a request
    that arrives in between and hands it over on the next connection). The kernel
    waits as long as it stays in the pool; once a page has taken it, the request
    comes on the next connection at the latest.
    """
    if os.environ.get("VOILA_PREHEAT", "False") == "True":
        import json

        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect  # imported by prepare() already, while preheating

        host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
        port = os.environ.get("VOILA_APP_PORT", "8866")
        base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
        protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
        url = f"{protocol}://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
        info = None
        pause = 0.1
        while info is None:
            try:
                with connect(url, open_timeout=10, max_size=2**20) as ws:
                    while info is None:
                        try:
                            info = json.loads(ws.recv(timeout=attempt_timeout))
                            info = info if isinstance(info, dict) else None
                        except TimeoutError:
                            ws.ping()  # still there? (a dead socket raises and is opened again)
                pause = 0.1
            except (OSError, WebSocketException, ValueError):
                time.sleep(pause)
                pause = min(pause * 2, 2.0)
        for key, value in info.items():
            if isinstance(value, str):
                os.environ[key] = value
    return os.environ.get("QUERY_STRING", "")


def app(query: str | None = None) -> widgets.Widget:
    """The participant's page: join form, or the session's exercises with saved answers filled in."""
    try:
        if query is None:
            query = wait_for_request()
        prepare()
        return _app(query_params(query))
    except SamverkanError as exc:
        return widgets.HTML(pages.join_form(_base_url(), message=str(exc)))
    except Exception:
        log.exception("participant app failed")
        return widgets.HTML('<p role="alert">Sidan kunde inte visas just nu. Ladda om sidan om en stund.</p>')


def _base_url() -> str:
    return os.environ.get("VOILA_BASE_URL", "/") or "/"


def _app(params: dict[str, str]) -> widgets.Widget:
    store: Store | None = _STATE.get("store")
    if store is None:
        return widgets.HTML(NOT_RUNNING)
    token = params.get("p")
    if not token:
        return widgets.HTML(pages.join_form(_base_url(), code=params.get("kod", "")[:12]))
    participant = store.participant(token)
    return ParticipantView(store, participant, _STATE["kit"]).widget


class ParticipantView:
    """One participant's exercises, one at a time, each answer written to the store as it is given.

    Only the exercise on screen is built (a lesson has about 220 widgets in
    all; a phone renders one exercise quicker, and a room of 150 arriving at
    once costs the server a quarter of the work). Saved answers are filled in
    when an exercise is first shown. ``Övning:`` chooses any exercise; the
    buttons step through them in order.
    """

    def __init__(self, store: Store, participant: Participant, kit: Any):
        self.store = store
        self.participant = participant
        self.kit = kit
        session = participant.session
        lesson = kit.lessons.get(session.lesson)
        if lesson is None:
            raise StoreError(f"Passets lektion {session.lesson} finns inte i kitet. Säg till den som leder passet.")
        saved = store.progress(participant.token)
        self.saved: dict[str, dict[str, Any]] = {}
        for (exercise_id, item_id), value in saved.items():
            self.saved.setdefault(exercise_id, {})[item_id] = value
        self.details = store.details(session.id)
        # The session's own choice (from a plan or the facilitator), else the lesson's workshop path
        # (fördjupning is for self-study). Ids the kit no longer has are left out.
        self.ids = session_exercises(kit, session, self.details)
        self.audience = self.details.audience  # None: a mixed room, every question
        self.built: dict[str, Any] = {}
        self.led = False
        self.room: dict[str, Any] = {}
        self._warned_for: tuple[int, int] | None = None
        self.note = (
            "Ditt svar är sparat anonymt och visas för den som leder passet, utan namn."
            if session.is_open
            else "Passet är stängt; nya svar sparas inte."
        )
        where = f" · {escape(participant.group)}" if participant.group else ""
        level = " · lättläst" if session.level == "lattlast" else ""
        parts = [
            '<p class="sv-progress">Samverkansverkstaden · kod '
            f"<strong>{escape(session.code)}</strong>{where}{level}</p>",
            f"<h2>{escape(session.name)}</h2>",
            "<p>Du är anonym: svaren sparas utan namn. Skriv inga namn eller personuppgifter i svaren.</p>",
        ]
        if saved:
            parts.append(f'<p role="status">Välkommen tillbaka! Dina {len(saved)} sparade svar är ifyllda.</p>')
        if not session.is_open:
            parts.append(
                '<p role="alert"><strong>Passet är stängt.</strong> Du kan läsa frågorna, men nya svar sparas inte.</p>'
            )
        self.header = lean(widgets.HTML, "".join(parts))
        from samverkan.render.markdown import plain

        titles = [
            (f"{n}. {plain(kit.exercises[e].title, session.level)}" + (" ✓" if e in self.saved else ""), n - 1)
            for n, e in enumerate(self.ids, start=1)
        ]
        self.picker = lean(
            widgets.Dropdown,
            options=titles,
            description="Övning:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto", max_width="100%"),  # its own: hidden in the led mode
        )
        self.prev_button = lean(widgets.Button, description="Föregående övning", tooltip="Gå till föregående övning")
        self.next_button = lean(
            widgets.Button, description="Nästa övning", button_style="info", tooltip="Gå till nästa övning"
        )
        self.position = lean(widgets.HTML)
        self.notice = lean(widgets.HTML)  # refused client updates to the picker and buttons show here
        self.room_line = lean(widgets.HTML)  # the led mode: waiting, result shown, countdown
        self.body = lean(widgets.VBox)
        self.waiting = lean(
            widgets.HTML,
            '<div class="sv-waiting"><p><strong>Vänta här.</strong> Den som leder passet visar övningarna en '
            "i taget. Nästa övning kommer upp här av sig själv, du behöver inte ladda om sidan.</p></div>",
        )
        self.prev_button.on_click(lambda _b: self._step(-1))
        self.next_button.on_click(lambda _b: self._step(+1))
        self.nav = lean(widgets.HBox, [self.prev_button, self.next_button], layout=widgets.Layout())
        self.current = 0
        room = self.details.room()
        if room["mode"] == "ledd":
            self.follow(room)
        else:
            start = next((i for i, e in enumerate(self.ids) if e not in self.saved), 0)
            self.picker.value = start
            self.show(start)
        self.picker.observe(self._on_pick, names="value")
        self.widget = widgets.VBox(
            [self.header, self.picker, self.position, self.room_line, self.notice, self.body, self.nav]
        )
        self.widget.add_class("sv-participant")
        _inbound.register_host(self.widget, self.notice)
        self.follower = Follower(session.code, session.id, store)
        self.follower.version = room["version"]
        try:
            # In a kernel the cell runs on the kernel's event loop: follow the room from there
            # (widgets updated from a background thread break in ipykernel 7).
            self.task: asyncio.Task | None = asyncio.get_running_loop().create_task(self._follow_loop())
        except RuntimeError:  # no running loop (plain Python, tests): follow() by hand
            self.task = None

    def exercise(self, index: int) -> Any:
        """The exercise widget at ``index``, built (and filled with saved answers) on first use."""
        from samverkan.widgets import exercise_widget

        exercise_id = self.ids[index]
        if exercise_id not in self.built:
            exercise = self.kit.exercises[exercise_id]
            kwargs: dict[str, Any] = {
                "level": self.participant.session.level,
                "sources": self.kit.sources,
                "on_answer": self._record,
                "workshop": True,
            }
            if exercise.kind == "free_text":
                kwargs["saved_note"] = self.note
            if self.audience:
                kwargs["audience"] = self.audience
            w = exercise_widget(exercise, **kwargs)
            if exercise_id in self.saved:
                w.restore(self.saved[exercise_id])
            self.built[exercise_id] = w
        return self.built[exercise_id]

    def show(self, index: int) -> None:
        """Show exercise ``index`` (clamped to the list) and update the position, buttons and picker."""
        index = max(0, min(index, len(self.ids) - 1))
        self.current = index
        self.notice.value = ""
        self.body.children = [self.exercise(index)]
        self.position.value = f'<p class="sv-progress">Övning {index + 1} av {len(self.ids)}</p>'
        self.prev_button.disabled = index == 0
        self.next_button.disabled = index == len(self.ids) - 1
        if self.picker.value != index:
            self.picker.value = index

    # -- the led mode ---------------------------------------------------------
    def follow(self, room: dict[str, Any]) -> None:
        """Show what the room's state says: in the led mode the exercise released (or a wait), with no
        way to step ahead; in the self-paced mode the picker and buttons."""
        was_led = self.led
        if was_led and room.get("current") != self.room.get("current") and self.ids:
            # The facilitator moves on: choices made in the exercise on screen are sent, not lost
            # (while the room's state still names that exercise, so the answer is accepted).
            widget = self.built.get(self.ids[self.current])
            if widget is not None and self.body.children and self.body.children[0] is widget:
                try:
                    widget.send_unsaved()
                except Exception:
                    log.exception("sending unsent choices failed")
        self.room = room
        self.led = room.get("mode") == "ledd"
        for w in (self.picker, self.nav):
            w.layout.display = "none" if self.led else None
        if not self.led:
            self.room_line.value = ""
            if was_led or not self.body.children or self.body.children[0] is self.waiting:
                self.show(self.current)
            return
        current = room.get("current")
        if current not in self.ids:
            self.body.children = [self.waiting]
            self.position.value = '<p class="sv-progress">Passet har inte börjat än.</p>'
            self.room_line.value = ""
            self._prebuild(0)
            return
        index = self.ids.index(current)
        self.show(index)
        lines = []
        if room.get("revealed"):
            lines.append("<strong>Resultatet visas nu på storbilden.</strong>")
        deadline = room.get("deadline")
        if isinstance(deadline, (int, float)):
            left = int(deadline - time.time())
            if left > 0:
                lines.append(f"Svara inom {left} sekunder.")
        self.room_line.value = f'<p class="sv-room" role="status">{" ".join(lines)}</p>' if lines else ""
        self._prebuild(index + 1)

    def _prebuild(self, index: int) -> None:
        """Build the exercise that comes next now, so that releasing it is one small message to the page."""
        if not 0 <= index < len(self.ids) or self.ids[index] in self.built:
            return
        try:
            asyncio.get_running_loop().call_later(0.2, self._build_quietly, index)
        except RuntimeError:
            self._build_quietly(index)

    def _build_quietly(self, index: int) -> None:
        try:
            self.exercise(index)
        except Exception:
            log.exception("building the next exercise failed")

    async def _follow_loop(self) -> None:
        while True:
            await asyncio.sleep(self.follower.interval)
            try:
                room = self.follower.poll()
                if room is not None:
                    self.follow(room)
            except StoreError:
                pass
            except Exception:
                log.exception("following the room failed")

    UNSAVED = (
        "Du har val eller text i den här övningen som inte är skickade. Tryck Rätta (eller Skicka svar) "
        "för att spara dem. Vill du gå vidare utan att spara, gör samma sak en gång till."
    )

    def _stop_unsaved(self, target: int) -> bool:
        """Warn once before leaving an exercise with unsent choices; True: stay (the warning shows)."""
        widget = self.built.get(self.ids[self.current]) if 0 <= self.current < len(self.ids) else None
        if widget is None or not widget.unsaved() or getattr(self, "_warned_for", None) == (self.current, target):
            self._warned_for = None
            return False
        self._warned_for = (self.current, target)
        self.notice.value = f'<p class="sv-status" role="alert">{self.UNSAVED}</p>'
        return True

    # -- callbacks ---------------------------------------------------------------
    def _on_pick(self, change: Any) -> None:
        try:
            new = change.get("new")
            if not isinstance(new, int) or new == self.current:
                return  # also the picker put back below: showing it again would clear the warning
            if self.led:  # nobody runs ahead: the picker is hidden, and a crafted change is undone
                self.picker.value = self.current
                return
            if self._stop_unsaved(new):
                self.picker.value = self.current
                return
            self.show(new)
        except Exception:
            log.exception("showing an exercise failed")

    def _step(self, delta: int) -> None:
        try:
            if not self.led and not self._stop_unsaved(self.current + delta):
                self.show(self.current + delta)
        except Exception:
            log.exception("stepping between exercises failed")

    def _record(self, event: Any) -> None:
        if self.led and event.exercise_id != self.room.get("current"):
            # Only the released exercise takes answers in the led mode (its page shows no other).
            raise StoreError("Den här övningen är inte öppen just nu, så svaret sparades inte.")
        self.store.record(
            self.participant.token,
            event.exercise_id,
            event.item_id,
            event.kind,
            event.value,
            event.correct,
            dict(event.extra),
        )
