"""Phone-first participant pages (issue 15; WCAG 2.1 AA 1.4.10 reflow): the real workshop server in chromium.

A participant joins a session of the lesson with the longest answer texts and visits every exercise:
every question of each quiz, each scenario step to an ending, each matching exercise with its longest
category chosen, each free-text exercise. At 320, 390, 768 and 1366 px every state is measured:

* nothing sticks out of the viewport horizontally (``scrollWidth`` and every element's box);
* no two answer labels overlap (the boxes of their text, which is what overlapped when a wrapped label
  was 20 px high), and no answer's text runs out of its label;
* every button, list, answer and text box is at least 44 × 44 px (a thumb, WCAG 2.5.5);
* body text is 16–18 px, and on a wide screen a paragraph is at most about 75 characters a line;
* buttons show their whole text.

The join page is measured the same way, and the code field shows all six characters. Screenshots at 320
and 390 px go to ``$SAMVERKAN_SCREENSHOTS`` (or the test's temporary folder) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from samverkan.content import loader
from samverkan.render.markdown import plain
from samverkan.workshop.store import CODE_ALPHABET, Store

from .conftest import ROOT
from .servers import workshop_server

pytestmark = pytest.mark.notebooks
WIDTHS = (320, 390, 768, 1366)
SHOT_WIDTHS = (320, 390)
HEIGHT = 800
MAX_LINE_CHARS = 80  # "at most about 75 characters a line"
KIT = loader.load_kit(ROOT)


def _labels(exercise) -> list[str]:
    if exercise.kind == "quiz":
        return [plain(c.text, "standard") for q in exercise.questions for c in q.choices]
    if exercise.kind == "scenario":
        return [plain(c.text, "standard") for s in exercise.steps if not s.is_outcome for c in s.choices]
    if exercise.kind == "matching":
        return [plain(c.label, "standard") for c in exercise.categories] + [
            plain(i.text, "standard") for i in exercise.items
        ]
    return []


def longest_lesson() -> str:
    """The lesson whose answer texts are longest: the longest single label first, then all of them together."""

    def measure(lesson_id: str) -> tuple[int, int]:
        lesson = KIT.lessons[lesson_id]
        labels = [t for section in lesson.sections for e in section.exercises for t in _labels(KIT.exercises[e])]
        return max(map(len, labels)), sum(map(len, labels))

    return max(sorted(KIT.lessons), key=measure)


# Measures the page as it is laid out now; returns a list of problems (empty when the page is fine).
MEASURE = r"""
([width, maxLineChars]) => {
  const problems = [];
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
    return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? ' class="' +
      el.className.split(' ').slice(0, 3).join(' ') + '"' : ''}> "${text.slice(0, 50)}"`;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && !el.closest('.sv-sr');
  };
  const doc = document.documentElement;
  if (doc.scrollWidth > width) problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide`);
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || el.closest('svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 || r.left < -0.5) {
      problems.push(`sticks out of the screen (${Math.round(r.left)}..${Math.round(r.right)} px): ${name(el)}`);
    }
  }
  // text that runs past the screen edge inside a box that fits (a long word in a big heading, say)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el) || el.closest('select, svg, script, style')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
        problems.push(`text runs past the screen edge (${Math.round(r.left)}..${Math.round(r.right)} px): ${name(el)}`);
        break;
      }
    }
  }
  // answer labels: the box of their text must not overlap another's, nor run out of the label
  const labels = [...document.querySelectorAll('.sv-exercise .widget-radio-box label, .sv-exercise .widget-checkbox label')]
    .filter(visible);
  const textBox = (el) => { const range = document.createRange(); range.selectNodeContents(el); return range.getBoundingClientRect(); };
  const boxes = labels.map((el) => [el, textBox(el), el.getBoundingClientRect()]);
  for (let i = 0; i < boxes.length; i++) {
    const [el, t, r] = boxes[i];
    if (t.bottom > r.bottom + 1 || t.top < r.top - 1 || t.right > r.right + 1) {
      problems.push(`the text runs out of its answer label (${Math.round(t.height)} px text in ${Math.round(r.height)} px): ${name(el)}`);
    }
    for (let j = i + 1; j < boxes.length; j++) {
      const [other, u] = boxes[j];
      const w = Math.min(t.right, u.right) - Math.max(t.left, u.left);
      const h = Math.min(t.bottom, u.bottom) - Math.max(t.top, u.top);
      if (w > 1 && h > 1) problems.push(`answers overlap: ${name(el)} and ${name(other)}`);
    }
  }
  // touch targets
  const targets = [...document.querySelectorAll('button, select, textarea, input:not([type=radio]):not([type=checkbox]), ' +
                                               '.widget-radio-box label, .widget-checkbox label')].filter(visible);
  for (const el of targets) {
    const r = el.getBoundingClientRect();
    if (r.height < 43.5 || r.width < 43.5) problems.push(`touch target ${Math.round(r.width)}×${Math.round(r.height)} px: ${name(el)}`);
  }
  // whole button texts
  for (const el of document.querySelectorAll('button')) {
    if (visible(el) && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
      problems.push(`the button's text is cut: ${name(el)}`);
    }
  }
  // text size and line length
  const canvas = document.createElement('canvas').getContext('2d');
  const paragraphs = [...document.querySelectorAll('main p, main li, .sv-participant p, .sv-participant li, .widget-radio-box label')]
    .filter((el) => visible(el) && !el.closest('.sv-progress, .sv-legal, .hint, footer, .sv-note') &&
                    !el.matches('.sv-progress, .sv-legal, .hint') && el.innerText.trim().length > 20);
  for (const el of paragraphs) {
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    if (size < 15.9 || size > 18.1) problems.push(`text is ${size} px: ${name(el)}`);
    if (width >= 1024) {
      const text = el.innerText.trim().replace(/\s+/g, ' ');
      canvas.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const perChar = canvas.measureText(text).width / text.length;
      const chars = el.getBoundingClientRect().width / perChar;
      if (text.length > maxLineChars && chars > maxLineChars) {
        problems.push(`${Math.round(chars)} characters a line: ${name(el)}`);
      }
    }
  }
  return [...new Set(problems)];
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("layout") / "samverkan.sqlite"
    with workshop_server(db, room_size=1) as (base, _key):
        store = Store(db, create=False)
        yield base, store
        store.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SAMVERKAN_SCREENSHOTS") or tmp_path_factory.mktemp("skarmbilder"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Measurer:
    def __init__(self, page, shots: Path):
        self.page = page
        self.shots = shots
        self.problems: list[str] = []
        self.states = 0

    def __call__(self, where: str, shot: bool = False) -> None:
        self.states += 1
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": HEIGHT})
            self.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            for problem in self.page.evaluate(MEASURE, [width, MAX_LINE_CHARS]):
                self.problems.append(f"{where} at {width} px: {problem}")
            if shot and width in SHOT_WIDTHS:
                # Voila scrolls inside the page, so a "full page" screenshot is one screen: make the screen tall
                tall = self.page.evaluate(
                    "() => Math.max(...[...document.querySelectorAll('*')].map((e) => e.scrollHeight))"
                )
                self.page.set_viewport_size({"width": width, "height": min(max(tall, HEIGHT), 6000)})
                self.page.screenshot(path=str(self.shots / f"{where}-{width}.png"))
        self.page.set_viewport_size({"width": 390, "height": HEIGHT})


def where_warned(index: int) -> str:
    """The screenshot's name for the warning shown when leaving the exercise before ``index``."""
    return f"{index}-osparat"


def _click(page, name: str) -> None:
    # not exact: the accessible name starts with the icon's glyph
    page.locator(".sv-participant").get_by_role("button", name=name).first.click()


def test_the_join_page_and_every_exercise_fit_a_phone(server, browser, shots):
    base, store = server
    lesson_id = longest_lesson()
    lesson = KIT.lessons[lesson_id]
    ids = [e for section in lesson.sections for e in section.exercises]
    session = store.create_session("Regionkonferensen om samverkan med civilsamhället, pass 2", lesson_id)
    page = browser.new_page(viewport={"width": 390, "height": HEIGHT})
    measure = Measurer(page, shots)

    page.goto(f"{base}/delta?kod={session.code}")
    wide = "MWMWMW"  # the widest letters a code can have
    assert set(wide) <= set(CODE_ALPHABET)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.fill("#kod", wide)
        shown = page.evaluate(
            "() => { const i = document.querySelector('#kod'); return i.scrollWidth <= i.clientWidth; }"
        )
        if not shown:
            measure.problems.append(f"the code field at {width} px cannot show all six characters of {wide}")
    page.fill("#kod", session.code)
    measure("delta", shot=True)
    page.select_option("#bord", "Bord 3")
    page.get_by_role("button", name="Gå med").click()
    try:
        page.wait_for_selector("text=Övning 1 av", timeout=60_000)
    except Exception:
        page.screenshot(path=str(shots / "join-failed.png"), full_page=True)
        raise AssertionError(f"joining failed at {page.url}: {page.inner_text('body')[:500]}") from None
    page.wait_for_selector(".sv-exercise", timeout=30_000)
    # Voila's loading screen as the server rewrote it: its progress text is Swedish when it is shown
    loading = page.evaluate("""() => {
        document.body.insertAdjacentHTML('beforeend', '<div id="loading" style="display:none"><h2 id="loading_text"></h2></div>');
        window.update_loading_text(2, 3);
        const text = document.getElementById('loading_text').innerText;
        document.getElementById('loading').remove();
        return text;
    }""")
    assert loading == "Förbereder del 2 av 3"

    for index, exercise_id in enumerate(ids):
        exercise = KIT.exercises[exercise_id]
        page.get_by_label("Övning:").select_option(index=index)
        here = f"Övning {index + 1} av {len(ids)}"
        page.wait_for_function(
            "([here, warned]) => document.body.innerText.includes(here) || document.body.innerText.includes(warned)",
            arg=[here, "inte är skickade"],
            timeout=15_000,
        )
        if here not in page.inner_text("body"):
            # The matching's choices were made, not sent: the page warns once, and the same choice goes on.
            measure(f"{where_warned(index)}-varning", shot=True)
            page.get_by_label("Övning:").select_option(index=index)
            page.wait_for_selector(f"text={here}", timeout=15_000)
        ex = page.locator(".sv-participant .sv-exercise").first
        where = f"{index + 1}-{exercise_id}"
        if exercise.kind == "quiz":
            for n in range(1, 50):
                ex.get_by_text(f"Fråga {n} av").wait_for(timeout=10_000)
                measure(f"{where}-fraga{n}", shot=True)
                following = ex.get_by_role("button", name="Nästa fråga")
                if following.is_disabled():
                    break
                following.click()
        elif exercise.kind == "scenario":
            for n in range(1, 20):
                if ex.locator(".sv-box[role=status]").filter(has_text="Dina val").count():
                    measure(f"{where}-slut", shot=True)
                    break
                ex.get_by_text(f"Val {n}", exact=True).wait_for(timeout=10_000)
                measure(f"{where}-val{n}", shot=True)
                # the longest answer, so that its consequence and the next step are the long ones
                radios = ex.get_by_role("radio")
                texts = [radios.nth(i).evaluate("(el) => el.parentElement.innerText") for i in range(radios.count())]
                radios.nth(max(range(len(texts)), key=lambda i: len(texts[i]))).check()
                _click(page, "Välj")
                ex.get_by_role("button", name="Fortsätt").first.wait_for(timeout=10_000)
                measure(f"{where}-val{n}-foljd")
                _click(page, "Fortsätt")
                page.wait_for_function(
                    "(n) => [...document.querySelectorAll('.sv-participant .sv-progress')].some("
                    "(p) => p.innerText.trim() === `Val ${n}` || p.innerText.startsWith('Slut på scenariot'))",
                    arg=n + 1,
                    timeout=10_000,
                )
            else:
                pytest.fail(f"{exercise_id}: no ending after 20 steps")
        elif exercise.kind == "matching":
            measure(f"{where}-tom", shot=True)
            longest = max((plain(c.label, "standard") for c in exercise.categories), key=len)
            selects = ex.locator("select")
            for i in range(selects.count()):
                selects.nth(i).select_option(label=longest)
            measure(f"{where}-langsta", shot=True)
        else:
            measure(where, shot=True)

    assert measure.states >= len(ids)
    (shots / "problems.txt").write_text("\n".join(measure.problems) + "\n", encoding="utf-8")
    assert not measure.problems, f"{len(measure.problems)} problems:\n" + "\n".join(measure.problems[:80])
