"""Content text as a learner reads it: citations resolved, as Markdown or as one plain line.

Everything here returns plain text (``str``), never HTML: :mod:`samverkan.render.markdown` turns
text into safe HTML (``markupsafe.Markup``). A citation marker ``[@prop-2009-10-55]`` becomes the
source's short form, ``(prop. 2009/10:55)``, so every claim can be traced to the sources list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from samverkan.content.schema import Source, Text

CITATION_RE = re.compile(r"\[@([^\]\s]+)\]")
MARKUP_RE = re.compile(r"\[@[^\]]+\]|`[^`]*`|https?://\S+|[#*_>|]")
LINK_RE = re.compile(r"\[([^\]]+)\]\([^)]+\)")
WORD_RE = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+(?:[-'][A-Za-zÅÄÖåäöÉéÜü]+)*")


def clean(text: str) -> str:
    """Text without Markdown markup, citation markers, code and addresses (they are not words)."""
    text = LINK_RE.sub(r"\1", text)
    return MARKUP_RE.sub(" ", text)


def words(text: str) -> list[str]:
    """The words a reader reads in ``text`` (as LIX and the time estimate count them)."""
    return WORD_RE.findall(clean(text))


def resolve_citations(text: str, sources: Mapping[str, Source] | None) -> str:
    """``text`` with each ``[@id]`` replaced by the source's short form in brackets."""

    def short(match: re.Match[str]) -> str:
        sid = match.group(1)
        src = (sources or {}).get(sid)
        return f"({src.short})" if src else f"({sid})"

    return CITATION_RE.sub(short, text)


def markdown_text(text: Text | str | None, level: str = "standard", sources: Mapping[str, Source] | None = None) -> str:
    """The Markdown a notebook cell displays at ``level``, citations resolved."""
    if text is None:
        return ""
    raw = text.get(level) if isinstance(text, Text) else text
    return resolve_citations(raw, sources)


def plain(text: Text | str | None, level: str = "standard", sources: Mapping[str, Source] | None = None) -> str:
    """One line of plain text (for option labels and terminals); never HTML, so escape it for a page."""
    raw = markdown_text(text, level, sources)
    for mark in ("**", "__", "`"):
        raw = raw.replace(mark, "")
    return " ".join(raw.split())
