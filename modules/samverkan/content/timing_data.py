"""The timing figures in ``data/tidsuppskattning.yaml`` (top-level key ``timing:``).

Reading speed per level and an allowance per exercise part, each with its source or marked as
the kit's own assumption; :mod:`samverkan.logic.timing` estimates lessons from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from samverkan.content.context import Context, source_ids
from samverkan.content.schema import LEVELS, Text
from samverkan.content.text import words

BASES = ("källa", "antagande")  # a number is sourced, or the kit's own assumption
ALLOWANCES = {
    "quiz_question": "svara på en quizfråga (utöver att läsa frågan och alternativen)",
    "matching_item": "placera ett påstående i en matchningsövning",
    "scenario_step": "välja i ett scenariosteg (utöver att läsa steget)",
    "free_text": "skriva ett fritextsvar",
}


@dataclass(frozen=True)
class Speed:
    """A level's reading speed in words per minute, and its basis ("källa" or "antagande") and sources."""

    words_per_minute: int
    basis: str
    sources: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Allowance:
    """Seconds allowed for one exercise part, and its basis ("källa" or "antagande") and sources."""

    seconds: int
    basis: str
    sources: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Timing:
    """The timing figures: reading speed per level and allowance per exercise part."""

    speeds: dict[str, Speed]
    allowances: dict[str, Allowance]

    def read(self, texts: Iterable[Text | str | None], level: str) -> float:
        """Seconds to read ``texts`` at ``level``."""
        n = 0
        for t in texts:
            if t is None:
                continue
            n += len(words(t.get(level) if isinstance(t, Text) else t))
        return 60.0 * n / self.speeds[level].words_per_minute

    def allow(self, key: str) -> float:
        """The allowance for ``key`` (see :data:`ALLOWANCES`) in seconds."""
        return float(self.allowances[key].seconds)


# -- the data file -------------------------------------------------------------


def _basis(ctx: Context, m: dict, p: tuple) -> str | None:
    basis = m.get("basis")
    if basis not in BASES:
        ctx.problem(p + ("basis",), f"ska vara {' eller '.join(BASES)}, men är {basis!r}")
        return None
    return basis


def _figure(ctx: Context, value: Any, p: tuple, key: str, low: int, high: int, what: str) -> tuple | None:
    """One figure of the timing file (``key``, ``basis``, ``note``, ``sources``) as (value, basis, sources,
    note), or None when it has problems (they are reported on ``ctx``)."""
    m = ctx.mapping(value, p, [key, "basis", "note"], ["sources"])
    if m is None:
        return None
    figure = ctx.opt(m, key, p, ctx.integer, low, high)
    basis = _basis(ctx, m, p)
    sources = source_ids(ctx, m, p)
    note = ctx.opt(m, "note", p, ctx.string)
    if basis == "källa" and not sources:
        ctx.problem(p + ("sources",), f"{what} med basis: källa måste ange minst en källa")
    if figure is not None and basis and note:
        return figure, basis, sources, note
    return None


def _timing_file(ctx: Context, top: dict) -> Timing | None:
    ctx.mapping(top, (), ["timing"], ["schema_version"])
    tm = ctx.mapping(top.get("timing"), ("timing",), ["reading", "exercises"], []) if "timing" in top else None
    if tm is None:
        return None
    speeds: dict[str, Speed] = {}
    rm = ctx.mapping(tm.get("reading"), ("timing", "reading"), LEVELS, []) if "reading" in tm else None
    for level in LEVELS if rm is not None else ():
        assert rm is not None
        entry = _figure(ctx, rm.get(level), ("timing", "reading", level), "words_per_minute", 20, 1000, "en hastighet")
        if entry:
            speeds[level] = Speed(*entry)
    allowances: dict[str, Allowance] = {}
    em = ctx.mapping(tm.get("exercises"), ("timing", "exercises"), list(ALLOWANCES), []) if "exercises" in tm else None
    for key in ALLOWANCES if em is not None else ():
        assert em is not None
        entry = _figure(ctx, em.get(key), ("timing", "exercises", key), "seconds", 0, 3600, "en tid")
        if entry:
            allowances[key] = Allowance(*entry)
    if len(speeds) < len(LEVELS) or len(allowances) < len(ALLOWANCES):
        return None
    return Timing(speeds=speeds, allowances=allowances)


PARSERS = {"timing": _timing_file}
