"""The context a content file is validated in: its problems, and the checks every parser shares.

A :class:`Context` is made per file by :mod:`samverkan.content.loader`; the parsers of every kind
of file (exercises, lessons, sources, data files, plans) take it as their first argument, record
problems on it with the file's line numbers, and return records or ``None``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any

from samverkan.content.schema import AUDIENCES, Text
from samverkan.content.text import CITATION_RE
from samverkan.content.yamlsource import SourceDoc, format_path
from samverkan.errors import Problem

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_TEXT_LENGTH = 20_000
MAX_FILE_BYTES = 2_000_000

TYPE_NAMES = {
    str: "en text",
    int: "ett heltal",
    bool: "true eller false",
    list: "en lista (rader som börjar med -)",
    dict: "en samling fält (nyckel: värde)",
}


def type_name(value: Any) -> str:
    """What kind of value this is, in Swedish, for a problem message ("en text", "tomt", …)."""
    if value is None:
        return "tomt"
    if isinstance(value, bool):
        return "true/false"
    for t, name in TYPE_NAMES.items():
        if type(value) is t:
            return name
    if isinstance(value, float):
        return "ett decimaltal"
    return type(value).__name__


def _indices(s: str, sub: str) -> Iterable[int]:
    i = s.find(sub)
    while i != -1:
        yield i
        i = s.find(sub, i + 1)


class Context:
    """Collects the problems of one file while its records are built.

    The primitive checks (:meth:`mapping`, :meth:`string`, :meth:`text`, …) report a problem and
    return ``None`` when a value is wrong, so a parser goes on and finds every problem in one run.
    """

    def __init__(self, label: str, doc: SourceDoc):
        self.label = label
        self.doc = doc
        self.problems: list[Problem] = []
        self.citations: list[tuple[str, tuple]] = []  # (source id, path) to resolve kit-wide
        self.exercise_refs: list[tuple[str, tuple]] = []  # (exercise id, path) named by lessons
        self.figure_refs: list[tuple[str, tuple]] = []  # (figure id, path) in show: blocks
        self.readable: list[tuple[tuple, str, str]] = []  # (path, text, what) read at level lättläst

    def problem(self, path: tuple, message: str) -> None:
        """Record a problem at ``path``, with the line it is on in the file."""
        self.problems.append(Problem(self.label, self.doc.line(path), format_path(path), message))

    # -- primitive checks ------------------------------------------------
    def mapping(self, value: Any, path: tuple, required: Iterable[str], optional: Iterable[str]) -> dict | None:
        """``value`` if it is a mapping (missing required and unknown fields are reported), else None."""
        if not isinstance(value, dict):
            self.problem(path, f"ska vara {TYPE_NAMES[dict]}, men är {type_name(value)}")
            return None
        required, optional = list(required), list(optional)
        allowed = required + optional
        for key in required:
            if key not in value:
                self.problem(path, f"fältet '{key}' saknas")
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                tip = f" Menade du '{hint[0]}'?" if hint else f" Tillåtna fält: {', '.join(allowed)}."
                self.problem(path + (key,), f"okänt fält '{key}'.{tip}")
        return value

    def string(self, value: Any, path: tuple, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
        """``value`` if it is a non-empty text of at most ``max_length`` characters, else None (reported)."""
        if isinstance(value, bool) or not isinstance(value, str):
            extra = " (sätt värdet inom citattecken)" if isinstance(value, (bool, int, float)) else ""
            self.problem(path, f"ska vara en text, men är {type_name(value)}{extra}")
            return None
        if not value.strip():
            self.problem(path, "texten är tom")
            return None
        if len(value) > max_length:
            self.problem(path, f"texten är för lång ({len(value)} tecken, högst {max_length})")
            return None
        return value

    def text(self, value: Any, path: tuple) -> Text | None:
        """A :class:`Text` from a string or a standard/lattlast mapping; citations noted; None when wrong."""
        if isinstance(value, dict):
            m = self.mapping(value, path, ["standard"], ["lattlast"])
            if m is None or "standard" not in m:
                return None
            standard = self.string(m["standard"], path + ("standard",))
            lattlast = self.string(m["lattlast"], path + ("lattlast",)) if "lattlast" in m else None
            if standard is None:
                return None
            self._citations(standard, path + ("standard",))
            if lattlast:
                self._citations(lattlast, path + ("lattlast",))
                self._readability(lattlast, path + ("lattlast",), "lättläst-texten")
            else:
                self._readability(standard, path, "texten saknar lattlast och visas även i lättläst nivå; den")
            return Text(standard=standard, lattlast=lattlast)
        s = self.string(value, path)
        if s is None:
            return None
        self._citations(s, path)
        self._readability(s, path, "texten saknar lattlast och visas även i lättläst nivå; den")
        return Text(standard=s)

    def _readability(self, text: str, path: tuple, what: str) -> None:
        """Note a text that learners read at level lättläst; its LIX is an editorial check, run by
        ``samverkan check`` (:mod:`samverkan.logic.editorial`), never while a lesson loads."""
        self.readable.append((path, text, what))

    def _citations(self, s: str, path: tuple) -> None:
        for source_id in CITATION_RE.findall(s):
            self.citations.append((source_id, path))
        for i in _indices(s, "[@"):
            if not CITATION_RE.match(s, i):
                broken = s[i : i + 40].split("\n")[0]
                self.problem(
                    path, f"trasig källhänvisning '{broken}…': skriv [@källid] utan mellanslag och med ] på slutet"
                )

    def opt(self, m: dict, key: str, path: tuple, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``check(m[key], path.key, ...)`` when the key is present, else None (missing keys are
        reported once, by :meth:`mapping`)."""
        return check(m[key], path + (key,), *args, **kwargs) if key in m else None

    def optional_text(self, m: dict, key: str, path: tuple) -> Text | None:
        """The text in ``m[key]`` when the key is present, else None."""
        return self.opt(m, key, path, self.text)

    def boolean(self, value: Any, path: tuple) -> bool | None:
        """``value`` if it is true or false, else None (reported)."""
        if not isinstance(value, bool):
            self.problem(path, f"ska vara true eller false, men är {type_name(value)}")
            return None
        return value

    def flag(self, m: dict, key: str, path: tuple) -> bool:
        """An optional true/false field; a wrong value is reported and read as false."""
        return bool(self.boolean(m[key], path + (key,))) if key in m else False

    def integer(self, value: Any, path: tuple, lo: int, hi: int) -> int | None:
        """``value`` if it is an integer from ``lo`` to ``hi``, else None (reported)."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"ska vara ett heltal, men är {type_name(value)}")
            return None
        if not lo <= value <= hi:
            self.problem(path, f"ska vara mellan {lo} och {hi}, men är {value}")
            return None
        return value

    def list_of(self, value: Any, path: tuple, min_len: int = 1) -> list | None:
        """``value`` if it is a list of at least ``min_len`` elements, else None (reported)."""
        if not isinstance(value, list):
            self.problem(path, f"ska vara {TYPE_NAMES[list]}, men är {type_name(value)}")
            return None
        if len(value) < min_len:
            self.problem(path, f"listan måste ha minst {min_len} element")
            return None
        return value

    def ident(self, value: Any, path: tuple) -> str | None:
        """``value`` if it is a valid id (a–z, digits, dashes; at most 80 characters), else None (reported)."""
        s = self.string(value, path, max_length=80)
        if s is None:
            return None
        if not ID_RE.match(s):
            self.problem(
                path,
                f"id '{s}' får bara innehålla små bokstäver a–z, siffror och bindestreck (inga å, ä, "
                "ö eller mellanslag)",
            )
            return None
        return s

    def audience(self, m: dict, path: tuple) -> frozenset[str]:
        """The audiences in ``m["audience"]``; every audience when it is missing, wrong or names none we know."""
        if "audience" not in m:
            return frozenset(AUDIENCES)
        value = m["audience"]
        items = self.list_of(value, path + ("audience",))
        if items is None:
            return frozenset(AUDIENCES)
        out = set()
        for i, a in enumerate(items):
            if a not in AUDIENCES:
                hint = difflib.get_close_matches(str(a), AUDIENCES, n=1)
                tip = f" Menade du '{hint[0]}'?" if hint else ""
                self.problem(path + ("audience", i), f"okänd målgrupp '{a}'. Tillåtna: {', '.join(AUDIENCES)}.{tip}")
            else:
                out.add(a)
        return frozenset(out) or frozenset(AUDIENCES)

    def unique_ids(self, ids: list[tuple[str | None, tuple]], what: str) -> None:
        """Report every id that is used a second time, with the line where it was first used."""
        seen: dict[str, tuple] = {}
        for ident, path in ids:
            if ident is None or not isinstance(ident, (str, int)):
                continue  # a missing id, or one of the wrong type (a list, a mapping), is reported where it is read
            if ident in seen:
                first = self.doc.line(seen[ident])
                self.problem(path, f"{what} '{ident}' finns redan (rad {first}); varje id måste vara unikt")
            else:
                seen[ident] = path


def texts(ctx: Context, m: dict, key: str, path: tuple) -> tuple[Text, ...]:
    """The texts of the optional list ``m[key]``; wrong entries are reported and left out."""
    raw = ctx.list_of(m[key], path + (key,)) if key in m else None
    out = []
    for i, t in enumerate(raw or []):
        text = ctx.text(t, path + (key, i))
        if text is not None:
            out.append(text)
    return tuple(out)


def per_audience(ctx: Context, value: Any, path: tuple, required: bool) -> dict[str, Text]:
    """One text per audience from a mapping keyed by audience (``required``: every audience must be there)."""
    m = ctx.mapping(value, path, AUDIENCES if required else [], [] if required else AUDIENCES)
    out = {}
    for a in AUDIENCES:
        if m is not None and a in m:
            t = ctx.text(m[a], path + (a,))
            if t is not None:
                out[a] = t
    return out


def source_ids(ctx: Context, m: dict, path: tuple, key: str = "sources") -> tuple[str, ...]:
    """The source ids listed under ``key``, each recorded as a citation to check kit-wide."""
    raw = ctx.list_of(m[key], path + (key,)) if key in m else []
    out = []
    for i, s in enumerate(raw or []):
        sid = ctx.ident(s, path + (key, i))
        if sid:
            ctx.citations.append((sid, path + (key, i)))
            out.append(sid)
    return tuple(out)
