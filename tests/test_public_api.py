"""Is the public API exactly what the notebooks, Voila apps and trainers use, and nothing more by accident?"""

from __future__ import annotations

import json
import re

import samverkan

from .conftest import ROOT

PUBLIC = [
    "ContentError",
    "FreeTextWidget",
    "MatchingWidget",
    "ParameterError",
    "Problem",
    "QuizWidget",
    "SamverkanError",
    "ScenarioRun",
    "ScenarioWidget",
    "ThresholdError",
    "check_answer",
    "check_kit",
    "exempelregister",
    "exercise_widget",
    "grade_matching",
    "lesson_app",
    "lix",
    "load_kit",
    "open_lesson",
    "preview",
    "reader_app",
    "tool",
    "tool_app",
]
# What the workshop's own notebooks (deltagare, handledarvy) import from the workshop package.
WORKSHOP = {"samverkan.workshop": {"participant"}, "samverkan.workshop.dashboard": {"dashboard_app"}}


def test_public_names_are_pinned():
    """Is the public API exactly these names (a change here is a deliberate decision)?"""
    assert samverkan.__all__ == sorted(PUBLIC)
    for name in samverkan.__all__:
        assert getattr(samverkan, name) is not None, name


def test_an_unknown_name_is_an_attribute_error():
    """Does asking for a name outside the API fail clearly instead of importing something internal?"""
    try:
        samverkan.loader  # noqa: B018 - the access is the test
    except AttributeError as exc:
        assert "loader" in str(exc)
    else:
        raise AssertionError("samverkan.loader should not be part of the public API")


def _imports_in_notebooks() -> list[tuple[str, str, set[str]]]:
    found = []
    for nb in sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "voila_apps").glob("*.ipynb")]):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            for module, names in re.findall(r"^from (samverkan[\w.]*) import ([\w, ]+)$", source, re.M):
                found.append((f"{nb.parent.name}/{nb.name}", module, {n.strip() for n in names.split(",")}))
            assert not re.search(r"^import samverkan\.", source, re.M), nb.name
    return found


def test_generated_notebooks_use_only_the_public_api():
    """Do the lesson notebooks and Voila apps import only public names (or the workshop's own API)?"""
    found = _imports_in_notebooks()
    assert len({nb for nb, _, _ in found}) >= 23, "every notebook and Voila app imports from the kit"
    for nb, module, names in found:
        allowed = set(samverkan.__all__) if module == "samverkan" else WORKSHOP.get(module, set())
        assert names <= allowed, f"{nb}: from {module} import {sorted(names - allowed)} is not public API"


def test_lesson_code_in_content_uses_the_public_api():
    """Does code that trainers put in a lesson (lesson 08's data exercise) import only public names?"""
    for lesson in (ROOT / "exercises").glob("*/lektion.yaml"):
        for module, names in re.findall(r"from (samverkan[\w.]*) import ([\w, ]+)", lesson.read_text(encoding="utf-8")):
            assert module == "samverkan", f"{lesson}: from {module} import {names}"
            assert {n.strip() for n in names.split(",")} <= set(samverkan.__all__)
