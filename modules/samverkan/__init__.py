"""Samverkansverkstaden: a training kit on collaboration between the public sector and civil society.

Public API (the rest is private)::

    open_lesson, load_kit, check_answer, grade_matching, ScenarioRun,
    QuizWidget, MatchingWidget, ScenarioWidget, FreeTextWidget, exercise_widget,
    SamverkanError, ContentError, ParameterError, Problem

Names are imported lazily so that ``samverkan check`` does not pay for
ipywidgets, and a participant kernel pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "open_lesson": "samverkan.apps.lesson",
    "load_kit": "samverkan.content.loader",
    "check_answer": "samverkan.logic.grading",
    "grade_matching": "samverkan.logic.grading",
    "ScenarioRun": "samverkan.logic.grading",
    "QuizWidget": "samverkan.widgets",
    "MatchingWidget": "samverkan.widgets",
    "ScenarioWidget": "samverkan.widgets",
    "FreeTextWidget": "samverkan.widgets",
    "exercise_widget": "samverkan.widgets",
    "SamverkanError": "samverkan.errors",
    "ContentError": "samverkan.errors",
    "ParameterError": "samverkan.errors",
    "Problem": "samverkan.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'samverkan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
