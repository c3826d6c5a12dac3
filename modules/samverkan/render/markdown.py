"""Turn content text (Markdown with citation markers) into safe HTML.

Text and HTML are different types: content text is ``str`` and HTML is ``markupsafe.Markup``.
:func:`to_html` renders Markdown with any HTML in the text escaped (never executed), and
:func:`escape` turns text into Markup. Code that builds HTML joins Markup values, or formats them
with ``Markup("<p>{}</p>").format(text)``, which escapes the text it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from markupsafe import escape as _escape

from samverkan.content.schema import Source, Text
from samverkan.content.text import markdown_text, plain, resolve_citations

__all__ = ["Markup", "escape", "markdown_text", "plain", "render_markdown", "resolve_citations", "to_html"]


@lru_cache(maxsize=1)
def _renderer() -> Callable[[str], Any]:
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def render_markdown(markdown: str) -> Markup:
    """Markdown (trusted structure, untrusted text) as HTML; raw HTML in it is escaped."""
    return Markup(str(_renderer()(markdown)).strip())


def to_html(text: Text | str | None, level: str = "standard", sources: Mapping[str, Source] | None = None) -> Markup:
    """Safe HTML for a widget or page: Markdown rendered, any HTML in the text escaped."""
    if text is None:
        return Markup("")
    return render_markdown(markdown_text(text, level, sources))


def escape(value: Any) -> Markup:
    """Text as HTML: ``<``, ``>``, ``&`` and quotes escaped; Markup passes through unchanged."""
    return _escape(value)
