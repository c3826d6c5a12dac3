"""Samverkansverkstaden: a training kit on collaboration between the public sector and civil society.

Public API: what the generated notebooks and Voila apps call, and what trainers use in a
terminal; ``tests/test_public_api.py`` pins it. The rest is internal and may change::

    open_lesson, lesson_app, tool, tool_app, preview,        notebooks and Voila apps
    reader_app,                                               the lesson reader (voila_apps/lasare.ipynb)
    exempelregister,                                          lesson 08's data exercise
    load_kit, check_kit, lix,                                 content and its checks
    check_answer, grade_matching, ScenarioRun,                grading
    QuizWidget, MatchingWidget, ScenarioWidget, FreeTextWidget, exercise_widget,
    SamverkanError, ContentError, ParameterError, ThresholdError, Problem

The workshop's notebooks use :mod:`samverkan.workshop` (``participant``, ``dashboard_app``).
The package is in layers, each importing only those below it (``make lint`` checks it)::

    cli → workshop → build → apps → widgets → render → logic → content → errors

Names are imported lazily so that ``samverkan check`` does not pay for
ipywidgets, and a participant kernel pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.3.0"

_EXPORTS = {
    "open_lesson": "samverkan.apps.lesson",
    "lesson_app": "samverkan.apps.app",
    "tool": "samverkan.apps.app",
    "tool_app": "samverkan.apps.app",
    "preview": "samverkan.apps.preview",
    "reader_app": "samverkan.workshop.reading",
    "exempelregister": "samverkan.content.data",
    "load_kit": "samverkan.content.loader",
    "check_kit": "samverkan.logic.checks",
    "lix": "samverkan.logic.readability",
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
    "ThresholdError": "samverkan.errors",
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
