"""WCAG 2.1 AA in Debian's chromium: axe-core on every page, the exercises by keyboard alone, charts as text.

* axe-core (bundled with axe-playwright-python, runs offline) with the WCAG 2.0/2.1 A and AA rules on
  every app in ``voila_apps/`` and every notebook in ``notebooks/`` rendered in Voila, on the
  workshop's start and join pages, the participant app and the facilitator's dashboard with answers,
  and on each exercise after it has given feedback. A serious or critical violation fails; the others
  are printed.
* The exercises, the participant app's navigation and Samverkansformväljaren are done with
  ``page.keyboard`` alone (Tab, Shift+Tab, arrow keys, Space, Enter, typing): no clicks, no
  ``focus()``. Every control that gets focus on the way must show an outline.
* Every chart has alt text and its figures as a table.
"""

from __future__ import annotations

import re
import time
from collections import deque

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from samverkan.build import notebooks
from samverkan.content import loader
from samverkan.render.markdown import plain
from samverkan.workshop.store import Store

from .conftest import ROOT
from .servers import voila_server, workshop_server

pytestmark = pytest.mark.notebooks

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
AXE = Axe()
KIT = loader.load_kit()
LESSONS = sorted(KIT.lessons)
TOOLS = sorted(notebooks.TOOLS)
LESSON = "03-principer"  # matching, scenario, quiz and free text: every kind of exercise
WAIT = 120_000  # ms; Voila starts a kernel per page, slow when the machine is busy


# -- axe ---------------------------------------------------------------------------
CONTRAST_JS = """el => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const linear = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  let bg = null;
  for (let e = el; e && !bg; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || c[3] > 0) bg = c.slice(0, 3);
  }
  const fg = rgb(getComputedStyle(el).color).slice(0, 3);
  const [a, b] = [lum(fg), lum(bg || [255, 255, 255])].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def audit(page, where: str) -> None:
    """axe-core with the WCAG A/AA rules: fail on serious or critical violations, print the rest.

    axe leaves the contrast of a <select> undecided (its arrow is a background image); the text
    colour is then measured against the nearest background colour here, and must reach 4.5:1.
    """
    result = AXE.run(
        page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations", "incomplete"]}
    ).response
    blocking = []
    for v in result["violations"]:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"]]
        line = f"{where}: {v['id']} ({v['impact']}) {v['help']}: {targets[:5]}"
        if v["impact"] in BLOCKING:
            blocking.append(line)
        else:
            print(line)
    for v in result["incomplete"]:
        if v["id"] != "color-contrast":
            print(f"{where}: to review by hand: {v['id']} ({v['impact']}) {len(v['nodes'])} nodes")
            continue
        for node in v["nodes"]:
            ratio = page.locator(node["target"][0]).first.evaluate(CONTRAST_JS)
            if ratio < 4.5:
                blocking.append(f"{where}: color-contrast {ratio:.2f}:1 on {node['html'][:120]}")
    assert not blocking, "\n".join(blocking)


# -- keyboard --------------------------------------------------------------------------
FOCUSED_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const clean = t => (t || '').replace(/\\s+/g, ' ').trim();
  const field = ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName);
  return {
    tag: e.tagName.toLowerCase(), type: e.type || '', group: e.name || '', checked: !!e.checked,
    text: field ? '' : clean(e.textContent),
    label: clean(e.labels && e.labels.length ? e.labels[0].textContent : e.getAttribute('aria-label')),
    selected: e.tagName === 'SELECT' && e.selectedIndex >= 0 ? clean(e.options[e.selectedIndex].text) : null,
    outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED_JS)


def tab_to(page, match, *, back: bool = False, limit: int = 80) -> dict:
    """Press Tab (or Shift+Tab) until ``match(focused)``; every control passed must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        f = focused(page)
        if f is None:
            continue
        seen.append(f["text"] or f["label"] or f["tag"])
        if f["tag"] in ("button", "input", "select", "textarea", "a"):
            assert f["outline"] != "none" and f["outlineWidth"] >= 2, f"focus is not visible on {f}"
        if match(f):
            return f
    raise AssertionError(f"never reached the control by keyboard; focus went through {seen}")


SYNCED_JS = """async () => {
  const manager = window.jupyterapp && window.jupyterapp.widgetManager;
  if (!manager) return true;
  const all = manager._models instanceof Map ? [...manager._models.values()] : Object.values(manager._models);
  const models = await Promise.all(all);
  return models.every(m => !m._pending_msgs && !m._msg_buffer);
}"""


def press_button(page, name: str, *, back: bool = False) -> None:
    """Tab to the button ``name`` and press Enter, once the kernel has every change made before.

    ipywidgets sends one state update at a time and holds back the rest until the kernel answers,
    while a button's click is sent at once; without the wait, a click that follows three quick
    arrow keys can reach the kernel before the last of them (the quiz then grades the answer
    chosen before). A person pausing between keys does not meet this; a test does.
    """
    tab_to(page, button(name), back=back)
    deadline = time.monotonic() + 30
    while not page.evaluate(SYNCED_JS):
        assert time.monotonic() < deadline, "the widget changes never reached the kernel"
        page.wait_for_timeout(50)
    page.keyboard.press("Enter")


def button(name: str):
    return lambda f: f["tag"] == "button" and f["text"] == name


def labelled(label: str):
    return lambda f: f["label"] == label


def is_radio(f: dict) -> bool:
    return f["type"] == "radio"


def choose_radio(page, label: str, *, back: bool = False) -> None:
    """Tab into a radio group, move with the arrow keys to ``label`` and check it with Space."""
    f = tab_to(page, is_radio, back=back)
    for _ in range(12):
        if f["label"] == label:
            break
        page.keyboard.press("ArrowDown")
        f = focused(page)
    assert f["label"] == label, f"no answer {label!r} in the group"
    page.keyboard.press("Space")
    assert focused(page)["checked"]


def choose_option(page, f: dict, option: str) -> None:
    """On a focused list: the arrow keys until ``option`` is selected (a closed list changes at once)."""
    for _ in range(40):
        if f["selected"] == option:
            return
        page.keyboard.press("ArrowDown")
        f = focused(page)
    raise AssertionError(f"{option!r} is not in the list {f['label']!r}")


def open_app(page, url: str, tries: int = 20) -> None:
    """Open an anonymous app page as a person would: the server may answer "wait a moment and reload" (503 or
    429) while other pages are starting kernels, and then the person reloads a few seconds later."""
    for _ in range(tries):
        response = page.goto(url, timeout=WAIT)
        if response is None or response.status not in (429, 503):
            return
        page.wait_for_timeout(3000)
    raise AssertionError(f"the server kept refusing {url}")


def expect_text(page, text: str, timeout: int = 30_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)


# -- Voila: every app and every lesson ---------------------------------------------------
def expected_exercises(path: str) -> int:
    """How many exercise widgets (class sv-exercise) the page has when it is completely rendered."""
    name = path.split("/")[-1].removesuffix(".ipynb")
    if name in TOOLS:
        return 1
    lesson = KIT.lessons[name]
    n = sum(len(s.exercises) for s in lesson.sections)
    if path.startswith("notebooks/"):
        n += sum(b in TOOLS for s in lesson.sections for b in s.show)
    return n


VOILA_PAGES = [f"{folder}/{name}.ipynb" for folder in ("voila_apps", "notebooks") for name in LESSONS + TOOLS]
READY_JS = """n => {
  const cells = document.getElementById('rendered_cells');
  return cells && getComputedStyle(cells).display !== 'none'
    && document.querySelectorAll('.sv-exercise').length >= n;
}"""
CHARTS_JS = """() => [...document.querySelectorAll('#rendered_cells img')].map(img => {
  const box = img.closest('figure, .sv-item') || img.parentElement;
  return {alt: img.getAttribute('alt'), rows: box ? box.querySelectorAll('table tbody tr').length : 0};
})"""


def settle(page) -> None:
    """Wait until no widget view is being added any more (three equal counts, 0.3 s apart)."""
    last, same = -1, 0
    while same < 3:
        n = page.evaluate("document.querySelectorAll('.jupyter-widgets').length")
        same = same + 1 if n == last else 0
        last = n
        page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def voila():
    with voila_server(ROOT) as base:
        yield base


@pytest.fixture(scope="module")
def voila_audits(voila, browser):
    """Every page in VOILA_PAGES rendered and audited, two loading at a time (each needs its own kernel).

    A page that does not render in time is loaded once more on its own (a busy CI machine can starve
    one kernel); the audit is about accessibility, the render time is measured by the benchmarks.

    Maps the page to (the failure or None, its lang, its charts).
    """
    results, waiting, opened = {}, list(VOILA_PAGES), deque()
    context = browser.new_context()  # one context: Voila's scripts are fetched and compiled once
    while waiting or opened:
        while waiting and len(opened) < 2:
            path = waiting.pop(0)
            page = context.new_page()
            page.goto(f"{voila}/voila/render/{path}", wait_until="commit", timeout=WAIT)
            opened.append((path, page))
        path, page = opened.popleft()
        try:
            try:
                page.wait_for_function(READY_JS, arg=expected_exercises(path), timeout=WAIT)
            except PlaywrightError:
                page.close()
                page = context.new_page()
                page.goto(f"{voila}/voila/render/{path}", wait_until="commit", timeout=WAIT)
                page.wait_for_function(READY_JS, arg=expected_exercises(path), timeout=WAIT)
            settle(page)
            failure = None
            try:
                audit(page, path)
            except AssertionError as exc:
                failure = str(exc)
            results[path] = (failure, page.evaluate("document.documentElement.lang"), page.evaluate(CHARTS_JS))
        except PlaywrightError as exc:  # not rendered in time: this page fails, the others are still audited
            results[path] = (f"{path} was not rendered: {exc}", None, [])
        finally:
            page.close()
    context.close()
    return results


@pytest.mark.parametrize("path", VOILA_PAGES)
def test_voila_page_has_no_serious_violation(voila_audits, path):
    failure, lang, charts = voila_audits[path]
    assert failure is None, failure
    assert lang == "sv"  # voila.json in the kit's root
    assert all(c["alt"] for c in charts), f"an image without alt text: {charts}"


def test_lesson_charts_have_alt_text_and_a_table(voila_audits):
    """The statistics lesson's two charts: alt text with the values, and the same figures as a table."""
    figures = [b for s in KIT.lessons["02-civilsamhallet"].sections for b in s.show if b.startswith("figur:")]
    _failure, _lang, charts = voila_audits["notebooks/02-civilsamhallet.ipynb"]
    assert len(charts) == len(figures) == 2
    for chart in charts:
        assert chart["alt"].startswith(("Stapeldiagram:", "Liggande stapeldiagram:")) and re.search(r"\d", chart["alt"])
        assert chart["rows"] >= 2


# -- the workshop ----------------------------------------------------------------------
def test_page_transform_rewrites_a_streamed_voila_page(monkeypatch):
    """Voila's first piece ends inside ``<html lang="``: the head is held back and rewritten whole."""
    from types import SimpleNamespace

    from samverkan.workshop.transform import A11Y_HEAD, SwedishPageTransform

    monkeypatch.setattr(SwedishPageTransform, "titles", {"03-principer.ipynb": "Principerna – Samverkansverkstaden"})
    cdn = b'<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/x.css" type="text/css" />\n'
    pieces = [
        b'<!DOCTYPE html>\n<html lang="',
        b'en">\n<head><title>03-principer</title>' + cdn,
        b"</head>\n",
        b'<body data-voila="voila"><div id="rendered_cells" style="display: none">',
        b"<p>cell</p>",
        b"</body></html>",
    ]
    t = SwedishPageTransform(SimpleNamespace(path="/voila/render/03-principer.ipynb"))
    _status, headers, out = t.transform_first_chunk(200, {"Content-Type": "text/html"}, pieces[0], False)
    sent = [out] + [t.transform_chunk(p, i == len(pieces) - 2) for i, p in enumerate(pieces[1:])]
    assert sent[:3] == [b"", b"", b""] and sent[4:] == pieces[4:]  # held until the body had started
    page = b"".join(sent)
    assert page.startswith(b'<!DOCTYPE html>\n<html lang="sv">') and b"cdn.jsdelivr" not in page
    assert b"<title>Principerna \xe2\x80\x93 Samverkansverkstaden</title>" in page
    assert A11Y_HEAD + b"</head>" in page and b'<div id="rendered_cells" role="main"' in page
    own = SwedishPageTransform(SimpleNamespace(path="/delta"))
    html = b'<!doctype html>\n<html lang="sv"><head><title>x</title></head><body><main>x</main></body></html>'
    _s, headers, out = own.transform_first_chunk(
        200, {"Content-Type": "text/html", "Content-Length": str(len(html))}, html, True
    )
    assert out == html and headers["Content-Length"] == str(len(html))  # this server's pages: no script


def test_voilas_loading_screen_is_rewritten_in_swedish():
    """The installed Voila's own loading screen ("Running deltagare...", "Executing 2 of 3") as the server sends it."""
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    import jinja2

    from samverkan.workshop.transform import SwedishPageTransform

    base = Path(sys.prefix) / "share" / "jupyter" / "voila" / "templates" / "base"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(base)))
    spinner = str(env.get_template("spinner.macro.html.j2").make_module({"nb_title": "deltagare"}).html())
    helpers = str(env.get_template("voila_setup.macro.html.j2").make_module({}).voila_setup_helper_functions())
    assert "Running deltagare..." in spinner and "`Executing ${cell_index} of ${cell_count}`" in helpers
    page = (
        b'<!DOCTYPE html>\n<html lang="en"><head><title>deltagare</title></head><body data-voila="voila">'
        + spinner.encode()
        + helpers.encode()
        + b'<div id="rendered_cells" style="display: none"></div></body></html>'
    )
    t = SwedishPageTransform(SimpleNamespace(path="/voila/render/deltagare.ipynb"))
    _status, _headers, out = t.transform_first_chunk(200, {"Content-Type": "text/html"}, page, True)
    text = out.decode()
    assert '<h2 id="loading_text">Sidan laddas …</h2>' in text
    assert (
        "`Förbereder del ${cell_index} av ${cell_count}`" in text
        and "`Läser del ${cell_index} av ${cell_count}`" in text
    )
    assert '<svg class="spinner" aria-hidden="true"' in text
    assert not re.search(r"Running|Executing|Reading|<title>spin</title>", text), text


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    db = tmp_path_factory.mktemp("a11y") / "samverkan.sqlite"
    with workshop_server(db, room_size=3) as (base, key):  # one preheated page per participant test
        store = Store(db, create=False)
        yield base, key, store
        store.close()


def test_start_and_join_pages(workshop, browser):
    base, _key, store = workshop
    page = browser.new_page()
    page.goto(base + "/")
    audit(page, "startsidan")
    page.goto(base + "/delta")
    audit(page, "/delta")
    page.get_by_label("Kod").fill("FEL123")  # the form's error state: a wrong code
    page.keyboard.press("Enter")
    expect_text(page, "FEL123")
    page.locator("#fel").wait_for()
    audit(page, "/delta med felmeddelande")
    assert page.locator("#kod").get_attribute("aria-describedby") == "fel kod-hjalp"
    page.goto(base + "/handledare")  # the facilitator's login, by keyboard, with a wrong key
    audit(page, "/handledare")
    tab_to(page, labelled("Handledarnyckel"))
    page.keyboard.type("GISSNING")
    page.keyboard.press("Enter")
    page.locator("#fel").wait_for()
    audit(page, "/handledare med felmeddelande")
    for width in (320, 390):  # the server's own pages reflow at phone width (WCAG 1.4.10)
        page.set_viewport_size({"width": width, "height": 700})
        for path in ("/", "/delta", "/handledare"):
            page.goto(base + path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, (path, width)
    page.close()


def join_by_keyboard(page, base: str, code: str) -> None:
    """The join page with ?kod= (as the facilitator's link): choose a table and press Enter."""
    page.goto(f"{base}/delta?kod={code}")
    tab_to(page, labelled("Kod"))
    choose_option(page, tab_to(page, labelled("Bord (om ni sitter i grupper)")), "Bord 2")
    press_button(page, "Gå med")
    page.wait_for_selector("text=Övning 1 av", timeout=60_000)
    settle(page)


def test_matching_by_keyboard_in_the_participant_app(workshop, browser):
    base, _key, store = workshop
    s = store.create_session("Tangentbord: matchning", LESSON)
    page = browser.new_page()
    join_by_keyboard(page, base, s.code)
    audit(page, "deltagarappen")
    ex = KIT.exercises["roller-matchning"]  # exercise 1 of the lesson
    labels = {c.id: plain(c.label) for c in ex.categories}
    wrong = next(c for c in ex.categories if c.id != ex.items[0].category).id
    for n, item in enumerate(ex.items, start=1):
        f = tab_to(page, labelled(f"Påstående {n}:"))
        assert f["selected"] == "Välj …"  # the placeholder is shown, not an empty box
        choose_option(page, f, labels[wrong if n == 1 else item.category])
    press_button(page, "Rätta")
    expect_text(page, f"Rätt: {len(ex.items) - 1} av {len(ex.items)}")
    verdicts = page.locator(".sv-verdict").all_text_contents()
    assert verdicts.count("✓ Rätt!") == len(ex.items) - 1 and verdicts.count("✗ Inte rätt.") == 1
    audit(page, "matchningen med återkoppling")
    press_button(page, "Börja om")
    page.locator(".sv-verdict").first.wait_for(state="detached", timeout=15_000)
    shown = page.locator("select").evaluate_all(
        "ss => ss.slice(1).map(s => s.options[s.selectedIndex].text.replace(/\\s+/g, ' '))"
    )
    assert shown == ["Välj …"] * len(ex.items)
    assert store.stats(s.id).answers == 1
    page.close()


def test_scenario_by_keyboard_to_an_ending_and_back(workshop, browser):
    base, _key, store = workshop
    s = store.create_session("Tangentbord: scenario", LESSON)
    page = browser.new_page()
    join_by_keyboard(page, base, s.code)
    press_button(page, "Nästa övning")  # the participant app's own navigation
    expect_text(page, "Övning 2 av 4")
    scenario = KIT.exercises["principer-scenario"]
    step, choices = scenario.step(scenario.start), 0
    while not step.is_outcome:
        choice = step.choices[-1]  # the last choice: the longest way through this scenario
        choose_radio(page, plain(choice.text), back=choices == 0)
        press_button(page, "Välj")
        choices += 1
        expect_text(page, plain(choice.consequence)[:60])
        press_button(page, "Fortsätt")
        step = scenario.step(choice.next)
        if not step.is_outcome:
            expect_text(page, f"Val {choices + 1}")
    expect_text(page, f"Slut på scenariot efter {choices} val.")
    expect_text(page, plain(step.outcome)[:60])
    audit(page, "scenariots slut")
    press_button(page, "Ångra senaste valet", back=True)
    expect_text(page, f"Val {choices}")
    n = len(scenario.step(step_before_end(scenario)).choices)
    page.wait_for_function(f"document.querySelectorAll('input[type=radio]').length == {n}", timeout=30_000)
    page.close()


def step_before_end(scenario) -> str:
    step = scenario.step(scenario.start)
    while not scenario.step(step.choices[-1].next).is_outcome:
        step = scenario.step(step.choices[-1].next)
    return step.id


def test_quiz_and_free_text_by_keyboard(workshop, browser):
    base, _key, store = workshop
    s = store.create_session("Tangentbord: quiz", LESSON)
    page = browser.new_page()
    join_by_keyboard(page, base, s.code)
    f = tab_to(page, labelled("Övning:"))
    choose_option(page, f, f"3. {plain(KIT.exercises['principer-quiz'].title)}")
    expect_text(page, "Övning 3 av 4")
    q = KIT.exercises["principer-quiz"].questions[0]
    right = next(iter(q.correct_indices))
    wrong = next(i for i in range(len(q.choices)) if i != right)
    choose_radio(page, plain(q.choices[wrong].text))
    groups = page.locator("[role=radiogroup]").evaluate_all(
        "gs => gs.map(g => [g.getAttribute('aria-label'),"
        " new Set([...g.querySelectorAll('input')].map(i => i.name)).size])"
    )
    assert groups and all(label.startswith("Svar på fråga 1:") and names == 1 for label, names in groups)
    press_button(page, "Rätta svaret")
    expect_text(page, "✗ Inte rätt.")
    audit(page, "quizet, fel svar")
    choose_radio(page, plain(q.choices[right].text), back=True)
    press_button(page, "Rätta svaret")
    expect_text(page, "✓ Rätt!")
    expect_text(page, "Rätt svar: 1 av")
    audit(page, "quizet, rätt svar")
    press_button(page, "Nästa fråga")
    expect_text(page, "Fråga 2 av")
    press_button(page, "Nästa övning")
    expect_text(page, "Övning 4 av 4")
    tab_to(page, labelled("Ditt svar:"), back=True)
    page.keyboard.type("Vi bjuder in föreningarna tidigt.")
    press_button(page, "Skicka svar")
    expect_text(page, "Tack!")
    press_button(page, "Föregående övning")
    expect_text(page, "Övning 3 av 4")
    deadline = time.monotonic() + 10
    while store.stats(s.id).answers < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.stats(s.id).answers == 2  # quiz question 1 (its latest answer replaces the first) and the free text
    page.close()


def test_samverkansformvaljaren_by_keyboard(workshop, browser):
    base, _key, _store = workshop
    page = browser.new_page()
    open_app(page, f"{base}/voila/render/samverkansformvaljaren.ipynb")
    page.wait_for_selector("text=Fråga 1 av", timeout=WAIT)
    settle(page)
    audit(page, "Samverkansformväljaren")
    choose_radio(page, "Organisationen")
    press_button(page, "Nästa")
    expect_text(page, "Fråga 2 av")
    choose_radio(page, "Nej", back=True)
    press_button(page, "Nästa")
    expect_text(page, "Fråga 3 av")
    press_button(page, "Föregående", back=True)
    expect_text(page, "Fråga 2 av")
    assert page.get_by_role("radio", name="Nej").is_checked()
    press_button(page, "Visa resultat")
    expect_text(page, "Förslag: Oklart")
    page.get_by_role("heading", name="Det beror på").wait_for()
    audit(page, "Samverkansformväljarens resultat")
    page.close()


def test_dashboard_with_answers(workshop, browser):
    """Log in by keyboard; every chart has alt text naming each count and a table with the same figures."""
    base, key, store = workshop
    s = store.create_session("Tangentbord: handledarvy", LESSON)
    quiz = KIT.exercises["principer-quiz"]
    matching = KIT.exercises["roller-matchning"]
    for n in range(3):
        p = store.join(s.code, f"Bord {n + 1}")
        q = quiz.questions[0]
        store.record(p.token, quiz.id, q.id, q.kind, n % 2, n % 2 in q.correct_indices)
        store.record(
            p.token, matching.id, matching.id, "matching", {i.id: i.category for i in matching.items[: n + 1]}, False
        )
        store.record(p.token, "principer-scenario", "s1", "scenario", n % 3)
        store.record(p.token, "principer-reflektion", "principer-reflektion", "free_text", f"Svar {n}")
    page = browser.new_page()
    page.goto(f"{base}/voila/render/handledarvy.ipynb", timeout=WAIT)  # without the key: the server's login page
    page.wait_for_selector("text=Logga in", timeout=WAIT)
    assert page.url.endswith("/handledare")
    settle(page)
    audit(page, "handledarvyns inloggning")
    tab_to(page, labelled("Handledarnyckel"))
    page.keyboard.type(key)
    press_button(page, "Logga in")
    page.wait_for_selector(".sv-code", timeout=30_000)
    choose_option(page, tab_to(page, labelled("Visa pass:")), " ".join(s.label.split()))
    page.wait_for_function(f"document.querySelector('.sv-code').textContent == '{s.code}'", timeout=30_000)
    # Only the first exercise's answers are shown at first; the scenario's and the quiz's by their buttons.
    for n in (2, 3):
        press_button(page, f"Visa svaren på övning {n}")
        page.get_by_role("button", name=f"Dölj svaren på övning {n}").wait_for(timeout=30_000)
    page.wait_for_function("document.querySelectorAll('.sv-item img').length >= 3", timeout=30_000)
    settle(page)
    audit(page, "handledarvyn med svar")
    charts = page.evaluate(CHARTS_JS)
    assert len(charts) >= 3
    for chart in charts:
        assert chart["alt"].startswith("Liggande stapeldiagram") and re.search(r"\d", chart["alt"]), chart
        assert chart["rows"] >= 2, chart
    quiz_alt = next(c["alt"] for c in charts if plain(quiz.questions[0].prompt) in c["alt"])
    assert "3 har svarat" in quiz_alt and "(rätt svar)" in quiz_alt  # the right answer in words, not colour
    assert page.locator(".sv-sr").first.text_content() == f"Koden är {' '.join(s.code)}."
    page.close()


def test_the_lesson_reader_at_phone_width_by_keyboard(workshop, browser):
    """The reader from the start page at 320 px: no sideways scroll, axe clean, pages, level and answers by keyboard."""
    base, _key, _store = workshop
    page = browser.new_page(viewport={"width": 320, "height": 720})
    page.goto(f"{base}/", timeout=WAIT)
    page.get_by_role("heading", name="Läs en lektion").wait_for()
    with page.expect_navigation(timeout=WAIT) as navigation:
        page.get_by_role("link", name="Principerna och rollerna").first.click()
    if navigation.value is not None and navigation.value.status in (429, 503):
        open_app(page, page.url)  # "wait a moment and reload", as a person would
    page.wait_for_selector("text=Del 1 av", timeout=WAIT)
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    audit(page, "Läsaren, första sidan, 320 px")
    press_button(page, "Nästa")
    expect_text(page, "Del 2 av")
    # The level is a pair of toggle buttons: "Lättläst" by keyboard switches the text, the page stays.
    press_button(page, "Lättläst", back=True)
    page.wait_for_function(
        "[...document.querySelectorAll('.widget-toggle-button')].some(b => b.textContent.trim() === 'Lättläst'"
        " && b.classList.contains('mod-active'))",
        timeout=30_000,
    )
    expect_text(page, "Del 2 av")
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    audit(page, "Läsaren, ett avsnitt i lättläst, 320 px")
    page.close()


def test_the_reader_s_personal_link_brings_the_reader_back(workshop, browser):
    """Make a personal link by keyboard, read on, open the link: the same page comes back (390 px)."""
    base, _key, _store = workshop
    page = browser.new_page(viewport={"width": 390, "height": 844})
    open_app(page, f"{base}/voila/render/lasare.ipynb?lesson=04-overenskommelsen")
    page.wait_for_selector("text=Del 1 av", timeout=WAIT)
    settle(page)
    press_button(page, "Skapa en personlig länk")
    page.get_by_role("heading", name="Din personliga länk").wait_for(timeout=30_000)
    audit(page, "Läsaren med personlig länk, 390 px")
    press_button(page, "Nästa", back=True)
    expect_text(page, "Del 2 av")
    press_button(page, "Nästa", back=True)
    expect_text(page, "Del 3 av")
    link = page.get_by_role("link", name="Fortsätt läsa här")
    href = link.get_attribute("href")
    assert "p=" in href and "lesson=04-overenskommelsen" in href
    link.click()
    page.wait_for_selector("text=Del 3 av", timeout=WAIT)
    assert "p=" in page.url
    page.close()
