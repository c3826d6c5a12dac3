"""Sessions from a workshop plan (``exercises/planer/*.yaml``): one session per lesson on the agenda.

Each session carries what the plan says: the lesson, the exercises chosen for that agenda item, the
audience (a plan for one audience gets that audience's questions; a plan for both is a mixed room and
gets every question), the level, the place and the date. Sessions from a plan start in the led mode
(handledarstyrt), since a plan is made for a facilitator leading a room.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samverkan.content.loader import load_plan
from samverkan.content.plan import Plan
from samverkan.render.markdown import plain
from samverkan.workshop.store import Session, Store


def plan_sessions(plan: Plan, kit: Any) -> list[dict[str, Any]]:
    """The sessions a plan makes, as keyword arguments for :meth:`Store.create_session`, in agenda order."""
    audience = plan.audiences[0] if len(plan.audiences) == 1 else None
    level = plan.levels[0] if len(plan.levels) == 1 else "standard"
    out = []
    lessons = [item for item in plan.agenda if item.lesson]
    for n, item in enumerate(lessons, start=1):
        lesson = kit.lessons[item.lesson]
        title = plain(lesson.title, level)
        name = f"{plan.title} – {title}" if len(lessons) == 1 else f"{plan.title} – {n}. {title}"
        out.append(
            {
                "name": name[:120],
                "lesson": item.lesson,
                "level": level,
                "audience": audience,
                "exercises": list(item.exercises) if item.exercises else None,
                "mode": "ledd",
                "place": (plan.place or "")[:120],
                "held_on": plan.date.isoformat() if plan.date else "",
            }
        )
    return out


def create_plan_sessions(store: Store, path: str | Path) -> list[Session]:
    """Create the sessions of the plan in ``path``; :class:`ContentError` (in Swedish) if the plan has errors."""
    plan, kit = load_plan(path)
    return [store.create_session(**kwargs) for kwargs in plan_sessions(plan, kit)]
