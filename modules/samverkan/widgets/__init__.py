"""Exercise widgets. Each is a container with named parts; none calls display()."""

from __future__ import annotations

from typing import Any

from samverkan.content.schema import Exercise
from samverkan.widgets.base import AnswerEvent, ExerciseWidget
from samverkan.widgets.free_text import FreeTextWidget
from samverkan.widgets.inbound import install as _install_inbound_guard
from samverkan.widgets.matching import MatchingWidget
from samverkan.widgets.quiz import MultiChoice, QuizWidget
from samverkan.widgets.scenario import ScenarioWidget

_install_inbound_guard()  # crafted updates from a browser get a message, never a traceback

# One widget class per exercise kind (samverkan.content.schema.EXERCISE_KINDS).
WIDGETS: dict[str, Any] = {  # kind -> widget class (each takes its own record)
    "quiz": QuizWidget,
    "matching": MatchingWidget,
    "scenario": ScenarioWidget,
    "free_text": FreeTextWidget,
}


def exercise_widget(exercise: Exercise, **kwargs: Any) -> ExerciseWidget:
    """The widget for any exercise record."""
    return WIDGETS[exercise.kind](exercise, **kwargs)


__all__ = [
    "AnswerEvent",
    "ExerciseWidget",
    "FreeTextWidget",
    "MatchingWidget",
    "MultiChoice",
    "QuizWidget",
    "ScenarioWidget",
    "WIDGETS",
    "exercise_widget",
]
