"""Turn content text (Markdown with citation markers) into what a learner sees.

Trainers write Markdown; raw HTML in content is escaped, never executed.
A citation marker ``[@prop-2009-10-55]`` becomes the source's short form,
``(prop. 2009/10:55)``, so every claim can be traced to the sources list.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Mapping

from samverkan.loader import CITATION_RE
from samverkan.schema import Source, Text


@lru_cache(maxsize=1)
def _markdown():
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def resolve_citations(text: str, sources: Mapping[str, Source] | None) -> str:
    def short(match) -> str:
        sid = match.group(1)
        src = (sources or {}).get(sid)
        return f"({src.short})" if src else f"({sid})"

    return CITATION_RE.sub(short, text)


def markdown_text(text: Text | str | None, level: str = "standard", sources: Mapping[str, Source] | None = None) -> str:
    """The Markdown a notebook cell displays, citations resolved."""
    if text is None:
        return ""
    raw = text.get(level) if isinstance(text, Text) else text
    return resolve_citations(raw, sources)


def to_html(text: Text | str | None, level: str = "standard", sources: Mapping[str, Source] | None = None) -> str:
    """Safe HTML for a widget: Markdown rendered, any HTML in the text escaped."""
    if text is None:
        return ""
    return _markdown()(markdown_text(text, level, sources)).strip()


def plain(text: Text | str | None, level: str = "standard", sources: Mapping[str, Source] | None = None) -> str:
    """One-line plain text (for option labels, which ipywidgets shows as text)."""
    raw = markdown_text(text, level, sources)
    for mark in ("**", "__", "`"):
        raw = raw.replace(mark, "")
    return " ".join(raw.split())


def escape(value: str) -> str:
    return html.escape(value, quote=True)
