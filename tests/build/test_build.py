"""The trainers' workflow: ``samverkan build`` (papermill handouts), ``samverkan kit`` (workshop plans)
and ``samverkan preview`` (a content file in Voila, rendered again on every save).

Every build here runs the real lesson notebooks with papermill in real kernels, on a
temporary copy of the kit, through the real command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samverkan.build import handouts as build
from samverkan.content import loader
from samverkan.content.loader import load_plan
from samverkan.content.schema import AUDIENCES, LEVELS, Category, FreeText, Matching, MatchItem, Text
from samverkan.logic.agenda import agenda_rows
from samverkan.render.handout import exercise_parts
from samverkan.render.markdown import escape

from ..conftest import ROOT
from ..servers import free_port, stop

pytestmark = pytest.mark.notebooks

LESSONS = build.lesson_ids(ROOT)


def copy_kit(dest: Path) -> Path:
    for folder in ("exercises", "data", "notebooks", "voila_apps"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def samverkan(home: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, SAMVERKAN_HOME=str(home), JUPYTER_PLATFORM_DIRS="1")
    return subprocess.run(
        [sys.executable, "-m", "samverkan.cli", *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    """Every lesson × audience × level, two jobs at a time, into a fresh folder."""
    home = copy_kit(tmp_path_factory.mktemp("kit"))
    out = home / "bygge"
    started = time.perf_counter()
    run = samverkan(home, "build", "--jobs", "2", "--out", str(out))
    return home, out, run, time.perf_counter() - started


def test_full_build_writes_both_handouts_for_every_lesson_version(full_build):
    home, out, run, _seconds = full_build
    assert run.returncode == 0, run.stderr[-3000:]
    n = len(LESSONS) * len(AUDIENCES) * len(LEVELS)
    assert f"{n} lektionsversioner" in run.stdout and f"{n} byggda" in run.stdout and "0 med fel" in run.stdout
    assert "Bygger utskrifter" in run.stderr  # the progress bar
    index = (out / "index.html").read_text(encoding="utf-8")
    kit = loader.load_kit(home)
    for lesson_id in LESSONS:
        lesson = kit.lessons[lesson_id]
        for audience in AUDIENCES:
            for level in LEVELS:
                job = build.Job(lesson_id, audience, level)
                files = job.files()
                assert f'href="{files["deltagare"]}"' in index and f'href="{files["handledare"]}"' in index
                learner = (out / files["deltagare"]).read_text(encoding="utf-8")
                facilitator = (out / files["handledare"]).read_text(encoding="utf-8")
                for page in (learner, facilitator):
                    assert page.startswith("<!doctype html>") and '<html lang="sv">' in page
                    assert re.search(r'src="(https?:)?//|<link |<script', page) is None, "a handout must load nothing"
                    assert "open_lesson" not in page and "L.show_section" not in page, "frame code leaked"
                    assert escape(lesson.title.get(level)) in page
                assert 'class="sv-handout-facit"' not in learner and 'class="sv-guide"' not in learner
                assert 'class="sv-handout-facit"' in facilitator and 'class="sv-guide"' in facilitator
                n_exercises = sum(audience in kit.exercises[e].audience for s in lesson.sections for e in s.exercises)
                assert learner.count('class="sv-handout-exercise"') == n_exercises


def test_handouts_follow_audience_and_level(full_build):
    home, out, _run, _ = full_build
    kit = loader.load_kit(home)
    lesson = kit.lessons["03-principer"]
    section = lesson.sections[0]
    easy = (out / "03-principer-fortroendevald-lattlast-deltagare.html").read_text(encoding="utf-8")
    standard = (out / "03-principer-fortroendevald-standard-deltagare.html").read_text(encoding="utf-8")
    assert "Version för förtroendevalda, lättläst text" in easy
    assert escape(section.title.get("lattlast")) in easy
    if section.title.lattlast and section.title.lattlast != section.title.standard:
        assert escape(section.title.lattlast) not in standard
    officers = (out / "03-principer-tjansteperson-standard-deltagare.html").read_text(encoding="utf-8")
    assert "Exempel för tjänstepersoner" in officers and "Exempel för förtroendevalda" in standard


def test_charts_code_exercise_and_tools_become_static(full_build):
    _home, out, _run, _ = full_build
    stats = (out / "02-civilsamhallet-tjansteperson-standard-deltagare.html").read_text(encoding="utf-8")
    imgs = re.findall(r"<img [^>]*>", stats)
    assert imgs and all(re.search(r'alt="[^"]{20,}"', i) for i in imgs), "every chart needs its text alternative"
    register_learner = (out / "08-dialog-till-verkstad-tjansteperson-standard-deltagare.html").read_text(
        encoding="utf-8"
    )
    register_facit = (out / "08-dialog-till-verkstad-tjansteperson-standard-handledare.html").read_text(
        encoding="utf-8"
    )
    assert "Kodövningen i Jupyter" in register_learner and "Antal utan dialog:" in register_learner
    assert "exempelregister()" not in register_learner and "exempelregister()" in register_facit
    glossary = (out / "01-borja-har-tjansteperson-standard-deltagare.html").read_text(encoding="utf-8")
    assert '<dl class="sv-glossary">' in glossary and "interaktiv del" not in glossary
    tool = (out / "05-samverkansformer-tjansteperson-standard-deltagare.html").read_text(encoding="utf-8")
    assert "Frågorna som verktyget ställer" in tool


def test_second_build_reuses_and_a_change_rebuilds_only_its_lesson(full_build):
    home, out, _run, _ = full_build
    again = samverkan(home, "build", "--jobs", "2", "--out", str(out), "--quiet")
    n = len(LESSONS) * len(AUDIENCES) * len(LEVELS)
    assert again.returncode == 0, again.stderr
    assert f"0 byggda, {n} återanvända" in again.stdout
    exercises = home / "exercises" / "07-iop" / "ovningar.yaml"
    text = exercises.read_text(encoding="utf-8")
    old = "      lattlast: Varningstecken eller partnerskap?\n"
    assert old in text, "07-iop/ovningar.yaml changed; pick another title to edit"
    exercises.write_text(text.replace(old, "      lattlast: Varningsflaggor, ny version\n", 1), encoding="utf-8")
    changed = samverkan(home, "build", "--jobs", "2", "--out", str(out), "--quiet")
    assert changed.returncode == 0, changed.stderr
    assert f"4 byggda, {n - 4} återanvända" in changed.stdout
    assert "Varningsflaggor, ny version" in (out / "07-iop-fortroendevald-lattlast-deltagare.html").read_text(
        encoding="utf-8"
    )
    exercises.write_text(text, encoding="utf-8")


def test_a_broken_lesson_is_reported_in_swedish_and_the_others_still_build(tmp_path):
    home = copy_kit(tmp_path)
    quiz = home / "exercises" / "03-principer" / "ovningar.yaml"
    lines = quiz.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.strip() == "correct: true")
    lines[n] = lines[n].replace("correct: true", "correct: kanske")
    quiz.write_text("".join(lines), encoding="utf-8")
    lesson = home / "exercises" / "01-borja-har" / "lektion.yaml"
    text = lesson.read_text(encoding="utf-8")
    marker = "    - id: sjalvstudier\n"
    assert marker in text
    text = text.replace(marker, marker + '      code: raise ValueError("trasig kodcell")\n', 1)
    lesson.write_text(text, encoding="utf-8")
    out = tmp_path / "ut"
    run = samverkan(
        home,
        "build",
        "--lessons",
        "01-borja-har,03-principer,04-overenskommelsen",
        "--audience",
        "tjansteperson",
        "--level",
        "standard",
        "--out",
        str(out),
        "--jobs",
        "2",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 byggda" in run.stdout and "2 med fel" in run.stdout
    err = run.stderr
    assert "Fel i 03-principer (tjänstepersoner, standard): innehållet har fel:" in err
    assert f"exercises/03-principer/ovningar.yaml, rad {n + 1}" in err and "ska vara true eller false" in err
    runtime = re.search(
        r"Fel i 01-borja-har \(tjänstepersoner, standard\): cell (\d+) \(raise ValueError.*\): "
        r"ValueError: trasig kodcell",
        err,
    )
    assert runtime, err
    assert "Traceback" not in err
    assert (out / "04-overenskommelsen-tjansteperson-standard-deltagare.html").exists()
    assert not (out / "03-principer-tjansteperson-standard-deltagare.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2 lektionsversioner kunde inte byggas" in index and "trasig kodcell" in index


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--audience", "fortroendevalda"], "Menade du 'fortroendevald'?"),
        (["--level", "latt"], "--level: nivån 'latt' finns inte"),
        (["--lessons", "03-princip"], "Menade du '03-principer'?"),
        (["--jobs", "0"], "--jobs: ange ett tal från 1 till 32"),
    ],
)
def test_wrong_build_parameters_get_a_swedish_message(tmp_path, args, expected):
    run = samverkan(ROOT, "build", "--out", str(tmp_path / "ut"), *args, timeout=60)
    assert run.returncode == 2 and expected in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "ut" / "index.html").exists()


# -- workshop plans ------------------------------------------------------------------------------


def test_example_plan_builds_its_guide_with_summed_times(tmp_path):
    plan_file = ROOT / "exercises" / "planer" / "namnd-halvdag.yaml"
    plan, kit = load_plan(plan_file)
    rows = agenda_rows(plan, kit)
    # 10 + 45 (03-principer's budget) + 15 + 45 (05's budget) + 35 (given) + 15
    assert [r["minutes"] for r in rows] == [
        10,
        kit.lessons["03-principer"].minutes,
        15,
        kit.lessons["05-samverkansformer"].minutes,
        35,
        15,
    ]
    assert [r["clock"] for r in rows] == [
        "13:00–13:10",
        "13:10–13:55",
        "13:55–14:10",
        "14:10–14:55",
        "14:55–15:30",
        "15:30–15:45",
    ]
    out = tmp_path / "kit"
    run = samverkan(ROOT, "kit", str(plan_file), "--out", str(out), "--quiet", "--jobs", "2")
    assert run.returncode == 0, run.stderr[-2000:]
    assert re.search(r"Deltagarna går till: https?://\S+/delta \(", run.stdout), run.stdout  # never left unsaid
    guide = (out / "handledarguide.html").read_text(encoding="utf-8")
    assert "Tid i agendan:</strong> 165 av 180 minuter (15 minuter marginal)" in guide
    assert "onsdag 10 februari 2027" in guide
    for clock in ("13:00–13:10", "13:10–13:55", "14:55–15:30", "15:30–15:45"):
        assert f"<td>{clock}</td>" in guide
    assert "http://127.0.0.1:8866/voila/render/07-iop.ipynb?audience=fortroendevald&amp;level=standard" in guide
    assert "Agendan ger 35 minuter; lektionens tidsplan är 40 minuter" in guide
    assert "Inte med i planen: " in guide and "principer-reflektion" in guide
    assert "Facit till quizet" in guide  # 03's handledare.md
    for lesson_id in ("03-principer", "05-samverkansformer", "07-iop"):
        learner = f"{lesson_id}-fortroendevald-standard-deltagare.html"
        assert (out / learner).exists() and f'href="{learner}"' in guide
    assert not (out / "03-principer-tjansteperson-standard-deltagare.html").exists()
    assert 'href="handledarguide.html"' in (out / "index.html").read_text(encoding="utf-8")


PLAN = """schema_version: 1
workshop:
  title: Provplan
  start: "09:00"
  minutes: {minutes}
  audience: fortroendevald
  agenda:
    - title: Välkommen
      minutes: 10
    - lesson: {lesson}
      exercises: [{exercise}]
"""


@pytest.mark.parametrize(
    "minutes,lesson,exercise,line,expected",
    [
        (
            40,
            "03-principer",
            "principer-quiz",
            5,
            "(workshop.minutes): agendan behöver 55 minuter, men passet har 40 (15 minuter för mycket)",
        ),
        (
            120,
            "03-principerna",
            "principer-quiz",
            10,
            "(workshop.agenda[1].lesson): lektionen '03-principerna' finns inte. Menade du '03-principer'?",
        ),
        (
            120,
            "03-principer",
            "principer-quizz",
            10,
            "(workshop.agenda[1].exercises): övningen 'principer-quizz' finns inte i lektionen 03-principer. "
            "Menade du 'principer-quiz'?",
        ),
    ],
)
def test_a_wrong_plan_gets_a_clear_message(tmp_path, minutes, lesson, exercise, line, expected):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.format(minutes=minutes, lesson=lesson, exercise=exercise), encoding="utf-8")
    run = samverkan(ROOT, "kit", str(plan), "--out", str(tmp_path / "ut"), "--quiet", timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"plan.yaml, rad {line} {expected}" in run.stderr
    assert not (tmp_path / "ut").exists(), "nothing is built from a wrong plan"
    checked = samverkan(ROOT, "check", str(plan), timeout=60)
    assert checked.returncode == 1 and expected in checked.stdout


# -- the static exercises ------------------------------------------------------------------------


def test_learner_part_never_shows_the_answer_and_escapes_html(make_quiz):
    quiz = make_quiz(correct=1)
    learner, key = exercise_parts(quiz, "standard", "tjansteperson")
    assert "Återkoppling" not in learner and "✓" not in learner and "Förklaring" not in learner
    assert "Rätt svar: B" in key and "Återkoppling 1" in key and "Förklaring." in key
    hostile = Matching(
        "m",
        Text("<script>alert(1)</script>"),
        Text("Välj <b>rätt</b>"),
        (Category("a", Text("A <img src=x onerror=alert(1)>")),),
        (MatchItem("i1", Text("Påstående"), "a"),),
    )
    learner, key = exercise_parts(hostile, "standard", "tjansteperson")
    for part in (learner, key):
        assert "<script>" not in part and "<img" not in part and "<b>" not in part
    assert "&lt;script&gt;" in learner


def test_free_text_has_room_to_write_and_no_key():
    ex = FreeText("f", Text("Reflektion"), Text("Vad tar du med dig?"), Text("Tänk på ditt eget ansvar."))
    learner, key = exercise_parts(ex, "standard", "fortroendevald")
    assert 'class="sv-write-area"' in learner and "Tänk på ditt eget ansvar." in learner and key == ""


def test_an_exercise_for_the_other_audience_is_marked_not_dropped(make_quiz):
    import dataclasses

    quiz = dataclasses.replace(make_quiz(), audience=frozenset({"fortroendevald"}))
    learner, key = exercise_parts(quiz, "standard", "tjansteperson")
    assert "skriven för förtroendevalda" in learner and key == ""


# -- preview -------------------------------------------------------------------------------------


def test_preview_shows_every_save_and_the_error_with_its_line(tmp_path, browser):
    home = copy_kit(tmp_path)
    target = home / "exercises" / "03-principer" / "ovningar.yaml"
    original = target.read_text(encoding="utf-8")
    port = free_port()
    env = dict(os.environ, SAMVERKAN_HOME=str(home), JUPYTER_PLATFORM_DIRS="1")
    log = open(tmp_path / "preview.log", "w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "samverkan.cli",
            "preview",
            str(target),
            "--port",
            str(port),
            "--no-browser",
            "--level",
            "lattlast",
        ],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    page = browser.new_page()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=30000)
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError("samverkan preview startade inte:\n" + log.read()[-2000:]) from None
                time.sleep(0.5)
        page.get_by_text("inga fel. 4 övningar.").wait_for(timeout=60000)
        quiz = loader.load_kit(home).exercises["principer-quiz"]
        easy_prompt = quiz.questions[0].prompt.get("lattlast")
        page.get_by_text(easy_prompt).first.wait_for(timeout=10000)  # --level lattlast reached the kernel
        target.write_text(
            original.replace(easy_prompt, "Varifrån kommer principerna, enligt förhandsvisningen?", 1), encoding="utf-8"
        )
        page.get_by_text("Varifrån kommer principerna, enligt förhandsvisningen?").wait_for(timeout=15000)
        broken = original.replace("schema_version: 1\n", "schema_version: 1\nexercises: [\n", 1)
        target.write_text(broken, encoding="utf-8")
        alert = page.locator('[role="alert"]').filter(has_text="Filen har fel")
        alert.wait_for(timeout=15000)
        assert re.search(r"exercises/03-principer/ovningar\.yaml, rad \d+", alert.inner_text())
        assert page.get_by_text("Varifrån kommer principerna, enligt förhandsvisningen?").count() >= 1  # last good kept
        target.write_text(original, encoding="utf-8")
        page.get_by_text(easy_prompt).first.wait_for(timeout=15000)
        assert page.locator('[role="alert"]').filter(has_text="Filen har fel").count() == 0
    finally:
        page.close()
        stop(proc)
        log.close()


def test_preview_of_a_missing_file_is_refused(tmp_path):
    run = samverkan(ROOT, "preview", str(tmp_path / "finns-inte.yaml"), "--no-browser", timeout=60)
    assert run.returncode == 2 and "filen finns inte" in run.stderr


def test_preview_widget_follows_the_file_without_a_server(tmp_path, monkeypatch):
    from samverkan.apps.preview import PreviewWidget

    home = copy_kit(tmp_path)
    monkeypatch.setenv("SAMVERKAN_HOME", str(home))
    plan = home / "exercises" / "planer" / "namnd-halvdag.yaml"
    w = PreviewWidget(plan)
    assert "Verkstadsplanen går ihop" in w.status.value and "13:10–13:55" in w.body.children[0].value
    assert w.refresh() is False  # nothing changed, nothing re-rendered
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("minutes: 180", "minutes: 100"), encoding="utf-8")
    os.utime(plan, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert w.refresh() is True
    assert "agendan behöver 165 minuter, men passet har 100" in w.problems.value
    assert "13:10–13:55" in w.body.children[0].value  # the last good version stays
    plan.unlink()
    assert w.refresh() is True and "filen finns inte" in w.problems.value
