"""Exercise widgets. Each is a container with named parts; none calls display()."""

from __future__ import annotations

from typing import Any

from ..schema import Exercise, FreeText, Matching, Quiz, Scenario
from .base import AnswerEvent, ExerciseWidget
from .free_text import FreeTextWidget
from .inbound import install as _install_inbound_guard
from .matching import MatchingWidget
from .quiz import MultiChoice, QuizWidget
from .scenario import ScenarioWidget

_install_inbound_guard()  # crafted updates from a browser get a message, never a traceback

_BY_TYPE = {Quiz: QuizWidget, Matching: MatchingWidget, Scenario: ScenarioWidget, FreeText: FreeTextWidget}


def exercise_widget(exercise: Exercise, **kwargs: Any) -> ExerciseWidget:
    """The widget for any exercise record."""
    return _BY_TYPE[type(exercise)](exercise, **kwargs)


__all__ = [
    "AnswerEvent", "ExerciseWidget", "FreeTextWidget", "MatchingWidget", "MultiChoice",
    "QuizWidget", "ScenarioWidget", "exercise_widget",
]
