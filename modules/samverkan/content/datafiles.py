"""The data files in ``data/`` beyond the sources registry.

* ``ordlista.yaml`` (``terms:``): the glossary, shown as a searchable widget.
* ``figurer.yaml`` (``figures:``): charts drawn from CSV files in ``data/``, each with its source;
  lessons show them with ``show: ["figur:<id>"]``.
* ``troskelvarden.yaml`` (``thresholds:``): the direct-award limits and EU thresholds by period,
  each amount with its source; the Samverkansformväljaren and the lesson on procurement read them.

Each parser validates like the lesson loader does (file, line, field, Swedish message) and
is listed in :data:`PARSERS`, which the loader reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samverkan.content.context import Context, source_ids
from samverkan.content.kit import Kit
from samverkan.content.schema import Text
from samverkan.errors import Problem, SamverkanError, ThresholdError

# -- glossary ----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One glossary entry: the term, its definition, sources and related terms."""

    id: str
    term: str
    definition: Text
    sources: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()


def _terms_file(ctx: Context, top: dict) -> dict[str, Term] | None:
    ctx.mapping(top, (), ["terms"], ["schema_version"])
    raw = ctx.list_of(top["terms"], ("terms",)) if "terms" in top else None
    out: dict[str, Term] = {}
    refs: list[tuple[str, tuple]] = []
    for i, t in enumerate(raw or []):
        p = ("terms", i)
        m = ctx.mapping(t, p, ["id", "term", "definition"], ["sources", "see_also"])
        if m is None:
            continue
        tid = ctx.opt(m, "id", p, ctx.ident)
        term = ctx.opt(m, "term", p, ctx.string, max_length=120)
        definition = ctx.opt(m, "definition", p, ctx.text)
        sources = source_ids(ctx, m, p)
        see = []
        for j, s in enumerate((ctx.list_of(m["see_also"], p + ("see_also",)) or []) if "see_also" in m else []):
            sid = ctx.ident(s, p + ("see_also", j))
            if sid:
                see.append(sid)
                refs.append((sid, p + ("see_also", j)))
        if tid and term and definition:
            out[tid] = Term(id=tid, term=term, definition=definition, sources=sources, see_also=tuple(see))
    ctx.unique_ids(
        [(t.get("id") if isinstance(t, dict) else None, ("terms", i, "id")) for i, t in enumerate(raw or [])], "termen"
    )
    for sid, p in refs:
        if sid not in out:
            hint = difflib.get_close_matches(sid, sorted(out), n=1)
            tip = f" Menade du '{hint[0]}'?" if hint else ""
            ctx.problem(p, f"see_also pekar på termen '{sid}', som inte finns i ordlistan.{tip}")
    return out if raw is not None else None


def search_terms(terms: dict[str, Term], query: str, level: str = "standard") -> list[Term]:
    """Terms whose name or definition contains every word of ``query`` (case-insensitive);
    name matches first, then alphabetical (Swedish order)."""
    words = [w for w in query.casefold().split() if w]
    hits = []
    for t in terms.values():
        name = t.term.casefold()
        text = name + " " + t.definition.get(level).casefold()
        if all(w in text for w in words):
            hits.append((0 if all(w in name for w in words) else 1, swedish_key(t.term), t))
    return [t for _, _, t in sorted(hits, key=lambda h: (h[0], h[1]))]


_SV_ORDER = {c: i for i, c in enumerate(" -abcdefghijklmnopqrstuvwxyzåäö")}
_SV_FOLD = str.maketrans({"é": "e", "è": "e", "ü": "y", "w": "v"})


def swedish_key(s: str) -> tuple:
    """Sort key as Swedish dictionaries sort: å, ä, ö after z, é as e, w as v, spaces first."""
    return tuple(_SV_ORDER.get(c, 100 + ord(c)) for c in s.casefold().translate(_SV_FOLD))


# -- figures -----------------------------------------------------------------

FIGURE_KINDS = ("bar", "barh")


@dataclass(frozen=True)
class Figure:
    """A chart from ``figurer.yaml``: its CSV file, columns, axis labels, unit, kind and sources."""

    id: str
    title: str
    data: str  # path relative to data/
    x: str
    y: str
    x_label: str
    y_label: str
    unit: str
    kind: str
    sources: tuple[str, ...]
    note: str | None = None
    line: int | None = None


def _figures_file(ctx: Context, top: dict) -> dict[str, Figure] | None:
    ctx.mapping(top, (), ["figures"], ["schema_version"])
    raw = ctx.list_of(top["figures"], ("figures",)) if "figures" in top else None
    out: dict[str, Figure] = {}
    for i, f in enumerate(raw or []):
        p = ("figures", i)
        m = ctx.mapping(
            f, p, ["id", "title", "data", "x", "y", "x_label", "y_label", "unit", "sources"], ["kind", "note"]
        )
        if m is None:
            continue
        fid = ctx.opt(m, "id", p, ctx.ident)
        values = {
            k: ctx.opt(m, k, p, ctx.string, max_length=200)
            for k in ("title", "data", "x", "y", "x_label", "y_label", "unit")
        }
        kind = m.get("kind", "bar")
        if kind not in FIGURE_KINDS:
            ctx.problem(p + ("kind",), f"okänd diagramtyp '{kind}'. Tillåtna: {', '.join(FIGURE_KINDS)}")
            kind = None
        note = ctx.opt(m, "note", p, ctx.string)
        sources = source_ids(ctx, m, p)
        if not sources and "sources" in m:
            ctx.problem(p + ("sources",), "ett diagram måste ha minst en källa")
        if fid and kind and all(values.values()) and sources:
            out[fid] = Figure(
                id=fid,
                title=values["title"],
                data=values["data"],
                x=values["x"],
                y=values["y"],
                x_label=values["x_label"],
                y_label=values["y_label"],
                unit=values["unit"],
                kind=kind,
                sources=sources,
                note=note,
                line=ctx.doc.line(p + ("data",)),
            )
    ctx.unique_ids(
        [(f.get("id") if isinstance(f, dict) else None, ("figures", i, "id")) for i, f in enumerate(raw or [])],
        "figuren",
    )
    return out if raw is not None else None


def read_figure_data(fig: Figure, data_dir: Path) -> list[tuple[str, float]]:
    """The (label, value) rows of a figure's CSV file; lines starting with '#' are comments."""
    path = (data_dir / fig.data).resolve()
    if data_dir.resolve() not in path.parents:
        raise SamverkanError(f"datafilen '{fig.data}' måste ligga i mappen data/")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SamverkanError(
            f"datafilen '{fig.data}' kan inte läsas ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    rows = csv.DictReader(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    out = []
    for n, row in enumerate(rows, 2):
        if fig.x not in row or fig.y not in row:
            cols = ", ".join(rows.fieldnames or [])
            raise SamverkanError(
                f"datafilen '{fig.data}' saknar kolumnen '{fig.x if fig.x not in row else fig.y}' (kolumner: {cols})"
            )
        try:
            value = float(row[fig.y].replace(" ", "").replace(",", "."))
        except ValueError:
            raise SamverkanError(
                f"datafilen '{fig.data}', datarad {n - 1}: '{row[fig.y]}' i kolumnen '{fig.y}' är inget tal"
            ) from None
        out.append((row[fig.x], value))
    if not out:
        raise SamverkanError(f"datafilen '{fig.data}' har inga datarader")
    return out


# -- thresholds --------------------------------------------------------------

# The categories an amount can have, with the Swedish labels the table shows.
THRESHOLD_CATEGORIES = {
    "direktupphandling": "Direktupphandlingsgräns, LOU (varor, tjänster, byggentreprenader)",
    "direktupphandling_bilaga2": "Direktupphandlingsgräns, sociala och andra särskilda tjänster (bilaga 2)",
    "tjanster_ovriga": "Tröskelvärde varor och tjänster, kommuner, regioner och andra myndigheter",
    "tjanster_statliga": "Tröskelvärde varor och tjänster, statliga myndigheter",
    "byggentreprenad": "Tröskelvärde byggentreprenader",
    "bilaga2": "Tröskelvärde sociala och andra särskilda tjänster (bilaga 2)",
}


@dataclass(frozen=True)
class Amount:
    """One limit or threshold in kronor and euro (either may be missing), with an optional note."""

    sek: int | None
    eur: int | None
    note: str | None = None


@dataclass(frozen=True)
class Period:
    """The amounts that apply from ``start`` to ``end`` (both days included), with their sources."""

    start: dt.date
    end: dt.date
    amounts: dict[str, Amount]
    sources: tuple[str, ...]
    note: str | None = None

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` falls within the period, both ends included."""
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        """The period as ``start–end`` in ISO dates."""
        return f"{self.start.isoformat()}–{self.end.isoformat()}"


def as_date(value: Any) -> dt.date | None:
    """A date from YAML (already a date) or from text written as ÅÅÅÅ-MM-DD; None otherwise."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _date(ctx: Context, value: Any, path: tuple) -> dt.date | None:
    day = as_date(value)
    if day is None:
        ctx.problem(path, f"ska vara ett datum som ÅÅÅÅ-MM-DD, men är {value!r}")
    return day


def _amount_value(ctx: Context, m: dict, key: str, path: tuple) -> int | None:
    if key not in m or m[key] is None:
        return None
    return ctx.integer(m[key], path + (key,), 0, 10**10)


def _thresholds_file(ctx: Context, top: dict) -> list[Period] | None:
    ctx.mapping(top, (), ["thresholds"], ["schema_version"])
    raw = ctx.list_of(top["thresholds"], ("thresholds",)) if "thresholds" in top else None
    periods: list[Period] = []
    for i, per in enumerate(raw or []):
        p = ("thresholds", i)
        m = ctx.mapping(per, p, ["from", "to", "amounts", "sources"], ["note"])
        if m is None:
            continue
        start = ctx.opt(m, "from", p, lambda v, pp: _date(ctx, v, pp))
        end = ctx.opt(m, "to", p, lambda v, pp: _date(ctx, v, pp))
        if start and end and end < start:
            ctx.problem(p + ("to",), f"perioden slutar ({end}) före den börjar ({start})")
        amounts: dict[str, Amount] = {}
        am = ctx.mapping(m.get("amounts"), p + ("amounts",), [], list(THRESHOLD_CATEGORIES)) if "amounts" in m else None
        for cat, val in (am or {}).items():
            if cat not in THRESHOLD_CATEGORIES:
                continue
            pa = p + ("amounts", cat)
            vm = ctx.mapping(val, pa, [], ["sek", "eur", "note"])
            if vm is None:
                continue
            note = ctx.opt(vm, "note", pa, ctx.string)
            amounts[cat] = Amount(
                sek=_amount_value(ctx, vm, "sek", pa), eur=_amount_value(ctx, vm, "eur", pa), note=note
            )
        sources = source_ids(ctx, m, p)
        note = ctx.opt(m, "note", p, ctx.string)
        if start and end and sources:
            periods.append(Period(start=start, end=end, amounts=amounts, sources=sources, note=note))
    periods.sort(key=lambda x: x.start)
    for a, b in zip(periods, periods[1:]):
        if b.start <= a.end:
            ctx.problem(("thresholds",), f"perioderna {a.label} och {b.label} överlappar")
    return periods if raw is not None else None


def period_for(periods: list[Period], day: dt.date) -> Period:
    """The period that covers ``day``; :class:`ThresholdError` if none does (the kit never guesses)."""
    for per in periods:
        if per.covers(day):
            return per
    known = ", ".join(p.label for p in periods) or "inga"
    raise ThresholdError(
        f"Kitets tabell över tröskelvärden täcker inte datumet {day.isoformat()} (tabellen gäller {known}). "
        "Kitet gissar inte: kontrollera beloppen hos Upphandlingsmyndigheten och lägg in dem i data/troskelvarden.yaml."
    )


# -- kit-wide checks ------------------------------------------------------------


def _check_figures(kit: Kit, root: Path) -> list[Problem]:
    problems = []
    label = kit.data_files["figures"]
    for fig in kit.data["figures"].values():
        try:
            read_figure_data(fig, root / "data")
        except SamverkanError as exc:
            problems.append(Problem(label, fig.line, f"figures ({fig.id}).data", str(exc)))
    return problems


PARSERS = {"terms": _terms_file, "figures": _figures_file, "thresholds": _thresholds_file}
CHECKS = {"figures": _check_figures}
