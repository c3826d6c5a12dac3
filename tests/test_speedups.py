"""Is the nbformat start-up cost cut, without changing behaviour?"""

from __future__ import annotations

import subprocess
import sys

import samverkan
from samverkan import speedups


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout


def test_importing_nbformat_does_not_compile_the_iri_grammar():
    out = _run(
        "import sys, nbformat; print('rfc3987_syntax.syntax_helpers' in sys.modules, "
        f"'{speedups.HOOK_MODULE}' in sys.modules)"
    )
    assert out.split() == ["False", "True"]


def test_iri_validation_still_works():
    out = _run(
        "from jsonschema import FormatChecker; fc = FormatChecker(); "
        "print(fc.conforms('https://exempel.se/sida', 'iri'), fc.conforms('http://[fel', 'iri'))"
    )
    assert out.split() == ["True", "False"]


def test_public_names_are_pinned():
    """Is the public API exactly these names (a change here is a deliberate decision)?"""
    assert samverkan.__all__ == sorted(
        [
            "ContentError",
            "FreeTextWidget",
            "MatchingWidget",
            "ParameterError",
            "Problem",
            "QuizWidget",
            "SamverkanError",
            "ScenarioRun",
            "ScenarioWidget",
            "check_answer",
            "exercise_widget",
            "grade_matching",
            "load_kit",
            "open_lesson",
        ]
    )
    for name in samverkan.__all__:
        assert getattr(samverkan, name) is not None
