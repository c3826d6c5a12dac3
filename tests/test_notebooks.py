"""Does the lesson run under papermill for every parameter combination, and render in Voila?"""

from __future__ import annotations

import json
import urllib.request

import papermill as pm
import pytest

from samverkan import loader, notebooks
from samverkan.lesson import open_lesson

from .conftest import ROOT
from .servers import CHROMIUM, CHROMIUM_ARGS, voila_server

pytestmark = pytest.mark.notebooks

LESSONS = sorted(loader.load_kit().lessons)
COMBOS = [(a, lv) for a in ("fortroendevald", "tjansteperson") for lv in ("standard", "lattlast")]


def _outputs(nb) -> str:
    chunks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            chunks.append(data.get("text/markdown", ""))
            chunks.append(out.get("text", ""))
    return "\n".join(chunks)


@pytest.mark.parametrize("lesson_id", LESSONS)
@pytest.mark.parametrize("audience,level", COMBOS)
def test_lesson_runs_under_papermill(tmp_path, lesson_id, audience, level):
    """Does the notebook run top to bottom, and do the parameters change what is shown?"""
    out = tmp_path / "out.ipynb"
    nb = pm.execute_notebook(
        str(ROOT / "notebooks" / f"{lesson_id}.ipynb"), str(out),
        parameters={"audience": audience, "level": level}, kernel_name="python3",
        cwd=str(ROOT / "notebooks"), progress_bar=False,
    )
    shown = _outputs(nb)
    view = open_lesson(lesson_id, audience=audience, level=level)
    who = "förtroendevalda" if audience == "fortroendevald" else "tjänstepersoner"
    assert f"Version för {who}" in shown
    assert view.lesson.why.get(level).split("\n")[0] in shown
    other_level = "standard" if level == "lattlast" else "lattlast"
    if view.lesson.why.lattlast:
        assert view.lesson.why.get(other_level).split("\n")[0] not in shown
    n_widgets = sum(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])
    )
    assert n_widgets == sum(len(s.exercises) for s in view.lesson.sections)


def test_wrong_parameter_stops_with_swedish_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(
            str(ROOT / "notebooks" / f"{LESSONS[0]}.ipynb"), str(tmp_path / "out.ipynb"),
            parameters={"audience": "politiker"}, kernel_name="python3", progress_bar=False,
        )
    assert "Okänd målgrupp 'politiker'" in str(info.value)


def test_committed_notebooks_match_the_generator():
    """Are notebooks/ and voila_apps/ up to date with lektion.yaml (run `samverkan notebooks`)?"""
    stale = [str(p.relative_to(ROOT)) for p, text in notebooks.expected_files(ROOT).items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"kör 'samverkan notebooks': inaktuella {stale}"
    for path in notebooks.expected_files(ROOT):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.fixture(scope="module")
def voila():
    with voila_server(ROOT) as base:
        yield base


@pytest.mark.parametrize("folder", ["notebooks", "voila_apps"])
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_renders_in_voila(voila, folder, lesson_id):
    """Does Voila execute the notebook and send widgets, with no error on the page?"""
    with urllib.request.urlopen(f"{voila}/voila/render/{folder}/{lesson_id}.ipynb", timeout=120) as resp:
        assert resp.status == 200
        page = resp.read().decode("utf-8")
    assert "application/vnd.jupyter.widget-view+json" in page
    for bad in ("Traceback", "ContentError", "ParameterError", "Error</span>"):
        assert bad not in page


def test_app_query_parameters(voila):
    """Does the app follow ?audience=&level= and shrug off a hostile value?"""
    lesson_id = LESSONS[0]
    url = f"{voila}/voila/render/voila_apps/{lesson_id}.ipynb?audience=%3Cscript%3E&level=lattlast"
    page = urllib.request.urlopen(url, timeout=120).read().decode("utf-8")
    assert "Okänd målgrupp" in page and "lättläst" in page
    assert "<script>'" not in page and "'<script>" not in page


def test_quiz_works_in_a_real_browser(voila):
    """In Debian's chromium: can a participant answer with the keyboard and see feedback?"""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{voila}/voila/render/voila_apps/{LESSONS[0]}.ipynb?audience=tjansteperson", timeout=90_000)
            check = page.get_by_role("button", name="Rätta svaret")
            expect(check).to_be_visible(timeout=90_000)
            radio = page.get_by_role("radio").first
            radio.focus()
            page.keyboard.press("Space")
            expect(radio).to_be_checked()
            check.focus()
            page.keyboard.press("Enter")
            feedback = page.locator(".sv-feedback").first
            expect(feedback).to_contain_text("rätt", ignore_case=True, timeout=10_000)
            expect(page.get_by_text("besvarade: 1")).to_be_visible()
        finally:
            browser.close()
