"""The thresholds table (``data/troskelvarden.yaml``) as Markdown for lessons and handouts."""

from __future__ import annotations

import datetime as dt

from samverkan.content.datafiles import THRESHOLD_CATEGORIES, Amount, Period


def _fmt_amount(a: Amount | None) -> str:
    if a is None or (a.sek is None and a.eur is None):
        return "–"
    eur = f"{a.eur:,} euro".replace(",", " ") if a.eur is not None else None
    if a.sek is None:
        return f"{eur} (kronor saknas)"
    sek = f"{a.sek:,} kr".replace(",", " ")
    return f"{sek} / {eur}" if eur else sek


def thresholds_markdown(periods: list[Period], sources: dict, today: dt.date | None = None) -> str:
    """The thresholds table as Markdown, saying which period applies today."""
    today = today or dt.date.today()
    current = next((p for p in periods if p.covers(today)), None)
    if current:
        head = (
            f"**Tabellen är hämtad ur kitets datafil `data/troskelvarden.yaml`. I dag, {today.isoformat()}, "
            f"gäller perioden {current.label}.** Det avgörande är dagen då avtalet ingås."
        )
    else:
        head = (
            f"**Kitets tabell täcker inte dagens datum ({today.isoformat()}).** Kontrollera aktuella belopp hos "
            "Upphandlingsmyndigheten innan du använder siffrorna."
        )
    cols = " | ".join(p.label for p in periods)
    lines = [head, "", f"| Belopp exklusive moms | {cols} |", "|---|" + "---|" * len(periods)]
    for cat, label in THRESHOLD_CATEGORIES.items():
        lines.append(f"| {label} | " + " | ".join(_fmt_amount(p.amounts.get(cat)) for p in periods) + " |")
    notes = []
    for p in periods:
        for cat, a in p.amounts.items():
            if a.note:
                notes.append(f"- {p.label}, {THRESHOLD_CATEGORIES[cat].split(',')[0].lower()}: {a.note}")
        if p.note:
            notes.append(f"- {p.label}: {p.note}")
        cite = ", ".join(sources[s].short for s in p.sources if s in sources)
        notes.append(f"- Källa för {p.label}: {cite}.")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"
