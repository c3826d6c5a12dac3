"""The lesson reader under ``samverkan serve``: personal links kept in the workshop's store.

``reader_app()`` is what ``voila_apps/lasare.ipynb`` calls. When the server's database is known
(``SAMVERKAN_DB``, set by ``samverkan serve``), the reader offers a personal link: a random token in the
address (``p=``) under which the reader's place and answers are kept in the same store as the workshop,
never with a name. Without a database (a plain Voila), the reader works without links.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from samverkan.apps import reader
from samverkan.workshop.store import TOKEN_RE, Store, StoreError


class StoredProgress:
    """A reader's progress behind one personal link, in the workshop store."""

    def __init__(self, store: Store, token: str, lesson_id: str):
        if not TOKEN_RE.fullmatch(token or ""):
            raise StoreError("Länken är inte giltig. Skapa en ny personlig länk.")
        self.store, self.token, self.lesson_id = store, token, lesson_id

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None (nothing saved yet)."""
        return self.store.reading(self.token, self.lesson_id)

    def save(self, state: dict[str, Any]) -> None:
        """Keep the state (raises StoreError with a Swedish message when it cannot)."""
        self.store.save_reading(self.token, self.lesson_id, state)


class StoreLinks:
    """Personal links backed by the workshop store."""

    def __init__(self, store: Store):
        self.store = store

    def new_token(self) -> str:
        """A new random token (as a workshop participant's)."""
        return secrets.token_urlsafe(18)

    def open(self, token: str, lesson_id: str) -> StoredProgress:
        """The progress behind ``token`` for ``lesson_id``."""
        return StoredProgress(self.store, token, lesson_id)


def links_from_env() -> StoreLinks | None:
    """Personal links when ``samverkan serve`` named its database, else None."""
    url = os.environ.get("SAMVERKAN_DB")
    if not url:
        return None
    return StoreLinks(Store(url, create=False))


def reader_app(query: str | None = None) -> Any:
    """The lesson reader for the page address, with personal links when the server has a store."""
    try:
        links = links_from_env()
    except StoreError:
        links = None  # the database is not reachable: the reader still works, without links
    try:
        return reader.reader_app(query, links)
    except StoreError as exc:  # a malformed personal link
        import ipywidgets as widgets

        from samverkan.render.markdown import Markup

        return widgets.HTML(Markup('<p role="alert">{}</p>').format(str(exc)))
