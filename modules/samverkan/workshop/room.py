"""The room's state in the led mode, from the store to every participant's page within a second.

The facilitator's presenter page changes the state in the store (:meth:`Store.set_room`): the mode,
the exercise released, whether its result is shown, a countdown. Participants' pages must follow
within a second, and 150 kernels asking the database twice a second would be 300 queries a second
(and, on PostgreSQL, 300 connections). Instead:

* the server process asks the store for every open session's state a few times a second
  (:class:`Broadcaster`, one small query) and, when it changed, writes it to one small JSON file
  (atomically: write a new file, then rename it over the old one);
* each participant kernel looks at that file's modification time four times a second
  (:class:`Follower`; an ``os.stat``, no database) and reads it only when it changed.

Two ``samverkan serve`` processes behind a proxy on one PostgreSQL database each run their own
broadcaster, so both show the same moment. A kernel started outside ``serve`` (tests, a notebook)
has no file and asks the store itself, once a second.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from samverkan.content.schema import exercises_on_path
from samverkan.workshop.store import Details, Session, Store

log = logging.getLogger("samverkan.workshop")

ROOMS_ENV = "SAMVERKAN_ROOMS"  # the file's path, set by serve for its kernels
BROADCAST_SECONDS = 0.25  # how often the server asks the store
FOLLOW_SECONDS = 0.25  # how often a participant's kernel looks at the file
STORE_FOLLOW_SECONDS = 1.0  # without the file: how often a kernel asks the store


class Broadcaster:
    """Writes every open session's room state to ``path`` whenever it changes (run by the server)."""

    def __init__(self, store: Store, path: Path):
        self.store = store
        self.path = Path(path)
        self.last: str | None = None

    def tick(self) -> bool:
        """Ask the store once; write the file if the state changed. Returns whether it wrote."""
        text = json.dumps(self.store.rooms(), sort_keys=True)
        if text == self.last:
            return False
        self.write(text)
        return True

    def write(self, text: str) -> None:
        """Replace the file with ``text`` in one step (a reader never sees half a file)."""
        tmp = self.path.with_name(self.path.name + ".ny")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)
        self.last = text


class Follower:
    """One participant kernel's view of its session's room state: :meth:`poll` returns it when it changed."""

    def __init__(self, code: str, session_id: int, store: Store | None = None, path: str | None = None):
        self.code = code
        self.session_id = session_id
        self.store = store
        self.path = path if path is not None else os.environ.get(ROOMS_ENV) or None
        self.mtime: int | None = None
        self.version: int | None = None
        self.next_store_look = 0.0

    @property
    def interval(self) -> float:
        """Seconds between two looks."""
        return FOLLOW_SECONDS if self.path else STORE_FOLLOW_SECONDS

    def current(self) -> dict[str, Any] | None:
        """The state now, whether or not it changed (None: nothing known yet)."""
        if self.path:
            try:
                rooms = json.loads(Path(self.path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            state = rooms.get(self.code) if isinstance(rooms, dict) else None
            return state if isinstance(state, dict) else None
        if self.store is not None:
            return self.store.details(self.session_id).room()
        return None

    def poll(self) -> dict[str, Any] | None:
        """The state if it changed since the last poll, else None. Cheap: a stat of the file."""
        if self.path:
            try:
                mtime = os.stat(self.path).st_mtime_ns
            except OSError:
                return None
            if mtime == self.mtime:
                return None
            self.mtime = mtime
        else:
            now = time.monotonic()
            if now < self.next_store_look:
                return None
            self.next_store_look = now + STORE_FOLLOW_SECONDS
        state = self.current()
        if state is None or state.get("version") == self.version:
            return None
        self.version = state.get("version")
        return state


def session_exercises(kit: Any, session: Session, details: Details | None = None) -> list[str]:
    """The exercise ids participants of ``session`` get: the session's own choice (``details.exercises``,
    from a plan or the facilitator) if it names any the kit has, else the lesson's workshop path
    (fördjupning is for self-study). The participant page, presenter, dashboard and report all use this."""
    lesson = kit.lessons.get(session.lesson)
    if lesson is None:
        return []
    chosen = [e for e in (details.exercises or ()) if e in kit.exercises] if details is not None else []
    return chosen or exercises_on_path(lesson, kit.exercises, workshop=True)
