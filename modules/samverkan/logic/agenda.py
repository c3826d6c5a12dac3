"""A workshop plan's agenda: clock times, minutes and Swedish dates (pure functions)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from samverkan.content.kit import Kit
from samverkan.content.plan import Plan, item_minutes
from samverkan.content.schema import LEVEL_LABELS


def agenda_rows(plan: Plan, kit: Kit) -> list[dict[str, Any]]:
    """Each agenda item with its start and end (clock time when the plan has a start), minutes and lesson."""
    rows, at = [], 0
    base = dt.datetime.combine(plan.date or dt.date.today(), plan.start) if plan.start else None
    for item in plan.agenda:
        minutes = item_minutes(item, kit)
        lesson = kit.lessons.get(item.lesson) if item.lesson else None
        rows.append(
            {
                "item": item,
                "lesson": lesson,
                "minutes": minutes,
                "from": at,
                "to": at + minutes,
                "clock": (
                    f"{(base + dt.timedelta(minutes=at)).strftime('%H:%M')}–"
                    f"{(base + dt.timedelta(minutes=at + minutes)).strftime('%H:%M')}"
                )
                if base
                else None,
            }
        )
        at += minutes
    return rows


def levels_label(levels: tuple[str, ...]) -> str:
    """The levels in Swedish, joined with 'och'."""
    return " och ".join(LEVEL_LABELS[lv] for lv in levels)


WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def swedish_date(day: dt.date) -> str:
    """'onsdag 10 februari 2027'."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def app_url(plan: Plan, lesson_id: str, audience: str, level: str) -> str:
    """The address of a lesson's Voila app on the plan's server."""
    return (
        f"{plan.server.rstrip('/')}/voila/render/{lesson_id}.ipynb?{urlencode({'audience': audience, 'level': level})}"
    )
