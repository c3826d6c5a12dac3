"""LIX (läsbarhetsindex), the standard Swedish readability index.

LIX = words / sentences + 100 × long words / words, where a long word has
more than six letters (Björnsson 1968). Under 30 is very easy, 30–40 easy
(lättläst), 40–50 medium, over 50 hard. Markdown markup, citation markers
and numbers are removed before counting, so they do not count as words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

from samverkan.content.schema import Text
from samverkan.content.text import WORD_RE, clean, words

_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)|\n\s*\n|\n\s*[-*]\s|\n\s*\d+\.\s")


def sentences(text: str) -> int:
    """How many sentences ``text`` has for LIX (a list item or paragraph counts as one); 0 if empty."""
    text = clean(text).strip()
    if not text:
        return 0
    # A list item or a paragraph counts as a sentence even without a full stop.
    parts = [p for p in _SENTENCE_END.split("\n" + text) if WORD_RE.search(p)]
    return max(1, len(parts))


def lix(text: str) -> float:
    """The LIX of ``text``: words per sentence plus the percentage of words over six letters (0 if empty)."""
    ws = words(text)
    if not ws:
        return 0.0
    long_words = sum(1 for w in ws if len(w.replace("-", "")) > 6)
    return len(ws) / sentences(text) + 100.0 * long_words / len(ws)


MIN_WORDS = 10  # shorter passages (labels, one-line choices) give no meaningful LIX
LIX_LIMIT = 40  # lättläst: LIX at most 40 ("lätt")


def iter_texts(record: Any, path: str = "") -> Iterator[tuple[str, Text]]:
    """Every :class:`~samverkan.content.schema.Text` inside a record, with where it sits."""
    if isinstance(record, Text):
        yield path, record
    elif is_dataclass(record):
        for f in fields(record):
            yield from iter_texts(getattr(record, f.name), f"{path}.{f.name}" if path else f.name)
    elif isinstance(record, dict):
        for k, v in record.items():
            yield from iter_texts(v, f"{path}.{k}")
    elif isinstance(record, (list, tuple)):
        for i, v in enumerate(record):
            yield from iter_texts(v, f"{path}[{i}]")


def lattlast_passages(record: Any, min_words: int = MIN_WORDS) -> Iterator[tuple[str, str, float]]:
    """(where, text, LIX) for every text a learner reads at level lättläst, long enough to measure."""
    for where, text in iter_texts(record):
        shown = text.get("lattlast")
        if len(words(shown)) >= min_words:
            yield where, shown, lix(shown)
