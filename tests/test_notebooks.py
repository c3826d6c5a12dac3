"""Does the lesson run under papermill for every parameter combination, and render in Voila?"""

from __future__ import annotations

import json
import urllib.request

import papermill as pm
import pytest

from samverkan.apps.lesson import open_lesson
from samverkan.build import notebooks
from samverkan.content import loader

from .conftest import ROOT
from .servers import voila_server

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
        str(ROOT / "notebooks" / f"{lesson_id}.ipynb"),
        str(out),
        parameters={"audience": audience, "level": level},
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        iopub_timeout=60,
    )
    shown = _outputs(nb)
    view = open_lesson(lesson_id, audience=audience, level=level)
    who = "förtroendevalda" if audience == "fortroendevald" else "tjänstepersoner"
    assert f"Version för {who}" in shown
    assert view.md(view.lesson.why).split("\n")[0] in shown
    other = open_lesson(lesson_id, audience=audience, level="standard" if level == "lattlast" else "lattlast")
    if view.lesson.why.lattlast:
        assert other.md(view.lesson.why).split("\n")[0] not in shown
    sources_part = shown[shown.rindex("## Källor") :]
    for sid in view.lesson.cited_sources() | view.kit.sources_cited_in(lesson_id):
        assert f"**{view.sources[sid].short}**" in sources_part, f"källan {sid} saknas i källistan"
    n_widgets = sum(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])
    )
    tools = sum(b in ("ordlista", "samverkansformvaljaren") for s in view.lesson.sections for b in s.show)
    assert n_widgets == sum(len(s.exercises) for s in view.lesson.sections) + tools
    for s in view.lesson.sections:
        for b in s.show:
            if b.startswith("figur:"):
                assert any(
                    '<figure class="sv-figure"' in o.get("data", {}).get("text/html", "")
                    for c in nb.cells
                    for o in c.get("outputs", [])
                ), "a chart is missing"
            if b == "troskelvarden":
                assert "data/troskelvarden.yaml" in shown


@pytest.mark.parametrize("name", sorted(notebooks.TOOLS))
@pytest.mark.parametrize("level", ["standard", "lattlast"])
def test_tool_notebooks_run_under_papermill(tmp_path, name, level):
    nb = pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"level": level},
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        iopub_timeout=60,
    )
    views = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 1


def test_wrong_parameter_stops_with_swedish_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(
            str(ROOT / "notebooks" / f"{LESSONS[0]}.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"audience": "politiker"},
            kernel_name="python3",
            progress_bar=False,
        )
    assert "Okänd målgrupp 'politiker'" in str(info.value)


def test_committed_notebooks_match_the_generator():
    """Are notebooks/ and voila_apps/ up to date with lektion.yaml (run `samverkan notebooks`)?"""
    stale = [
        str(p.relative_to(ROOT))
        for p, text in notebooks.expected_files(ROOT).items()
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"kör 'samverkan notebooks': inaktuella {stale}"
    for path in notebooks.expected_files(ROOT):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.fixture(scope="module")
def voila():
    with voila_server(ROOT) as base:
        yield base


@pytest.mark.parametrize("folder", ["notebooks", "voila_apps"])
@pytest.mark.parametrize("lesson_id", LESSONS + sorted(notebooks.TOOLS))
def test_renders_in_voila(voila, folder, lesson_id):
    """Does Voila execute the notebook and send widgets, with no error on the page?"""
    with urllib.request.urlopen(f"{voila}/voila/render/{folder}/{lesson_id}.ipynb", timeout=120) as resp:
        assert resp.status == 200
        page = resp.read().decode("utf-8")
    assert "application/vnd.jupyter.widget-view+json" in page
    for bad in ("Traceback", "ContentError", "ParameterError", "Error</span>"):
        assert bad not in page


def test_app_query_parameters(voila, browser):
    """Does the app follow ?level= and show a hostile audience value as inert text?"""
    from playwright.sync_api import expect

    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    page.goto(f"{voila}/voila/render/voila_apps/{LESSONS[0]}.ipynb?audience={hostile}&level=lattlast", timeout=90_000)
    expect(page.get_by_text("Okänd målgrupp")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("lättläst", exact=False).first).to_be_visible()
    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    page.close()


def test_quiz_works_in_a_real_browser(voila, browser):
    """In Debian's chromium: can a participant answer with the keyboard and see feedback?"""
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{voila}/voila/render/voila_apps/{LESSONS[0]}.ipynb?audience=tjansteperson", timeout=90_000)
    check = page.get_by_role("button", name="Rätta svaret")
    expect(check).to_be_visible(timeout=90_000)
    quiz = page.locator(".sv-exercise").filter(has=check)
    radio = quiz.get_by_role("radio").first
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    check.focus()
    page.keyboard.press("Enter")
    expect(quiz.locator(".sv-feedback").first).to_contain_text("rätt", ignore_case=True, timeout=10_000)
    expect(quiz.get_by_text("besvarade: 1")).to_be_visible()
    page.close()


def test_samverkansformvaljaren_by_keyboard_in_a_real_browser(voila, browser):
    """Can a participant step through the tool with the keyboard, go back, and get a summary?"""
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{voila}/voila/render/voila_apps/samverkansformvaljaren.ipynb", timeout=90_000)
    nxt = page.get_by_role("button", name="Nästa")
    expect(nxt).to_be_visible(timeout=90_000)
    expect(page.get_by_text("Fråga 1 av")).to_be_visible()
    page.get_by_role("radio", name="Organisationen").focus()
    page.keyboard.press("Space")
    nxt.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Fråga 2 av")).to_be_visible(timeout=10_000)
    page.get_by_role("radio", name="Nej").focus()
    page.keyboard.press("Space")
    nxt.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Fråga 3 av")).to_be_visible(timeout=10_000)
    back = page.get_by_role("button", name="Föregående")
    back.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Fråga 2 av")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("radio", name="Nej")).to_be_checked()
    result = page.get_by_role("button", name="Visa resultat")
    result.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Förslag: Oklart")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("heading", name="Det beror på")).to_be_visible()
    expect(page.get_by_role("link", name="Spara sammanfattningen som HTML-fil")).to_be_visible()
    page.close()
