"""samverkan check: content errors block; editorial findings (LIX) warn and never stop a lesson."""

from __future__ import annotations

import re
import subprocess
import sys

from samverkan.apps.lesson import open_lesson
from samverkan.content import loader
from samverkan.errors import ERROR, WARNING
from samverkan.logic.checks import check_kit

HARD = (
    "Kommunfullmäktiges tillämpningsföreskrifter beträffande ekonomiadministrativa "
    "redovisningsprinciper förutsätter kontinuerlig uppföljning, dokumentationsskyldighet "
    "och organisationsövergripande verksamhetsplanering."
)


def _make_lattlast_hard(kit_copy):
    path = kit_copy / "exercises" / "03-principer" / "lektion.yaml"
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(
        r"(\n      lattlast: )Vilka är de sex principerna\? Var kommer de ifrån\?", r"\1" + HARD, text, count=1
    )
    assert n == 1
    path.write_text(new, encoding="utf-8")


def test_a_hard_lattlast_text_is_a_warning_and_the_lesson_still_opens(kit_copy):
    """Does a lättläst passage over LIX 40 give a warning in check, while the lesson opens at both levels?"""
    _make_lattlast_hard(kit_copy)
    kit = check_kit(kit_copy)
    warnings = [p for p in kit.problems if p.severity == WARNING]
    assert [p.file for p in warnings] == ["exercises/03-principer/lektion.yaml"]
    assert "LIX" in warnings[0].message and str(warnings[0]).count("varning: ") == 1
    assert not [p for p in kit.problems if p.severity == ERROR]
    assert not loader.load_kit(kit_copy).problems, "loading never measures LIX"
    for level in ("standard", "lattlast"):
        view = open_lesson("03-principer", audience="tjansteperson", level=level)
        assert view.lesson.id == "03-principer"


def test_check_passes_with_warnings_and_says_so(kit_copy):
    """Does `samverkan check` exit 0 and print the warning with file and line?"""
    _make_lattlast_hard(kit_copy)
    run = subprocess.run([sys.executable, "-m", "samverkan.cli", "check"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"exercises/03-principer/lektion\.yaml, rad \d+ \(lesson\..*\): varning: .*LIX", run.stdout)
    assert "1 varning ovan, som inte stoppar något" in run.stdout


def test_a_parse_error_comes_first_and_follow_on_errors_point_to_it(kit_copy):
    """With a YAML error in an exercise file, is it listed before the lesson's 'övningen … finns inte'?"""
    ovningar = kit_copy / "exercises" / "03-principer" / "ovningar.yaml"
    ovningar.write_text("schema_version: 1\nexercises:\n  - id: x\n    kind quiz\n", encoding="utf-8")
    problems = check_kit(kit_copy).problems
    assert problems[0].file == "exercises/03-principer/ovningar.yaml", [str(p) for p in problems[:3]]
    follow_on = [p for p in problems if p.file.endswith("lektion.yaml") and "finns inte" in p.message]
    assert follow_on and all("exercises/03-principer/ovningar.yaml inte kunde läsas" in p.message for p in follow_on)
    assert all(p.message.count("kanske för att") == 1 for p in follow_on), "the note is added once"
    run = subprocess.run([sys.executable, "-m", "samverkan.cli", "check"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stdout.splitlines()[0].startswith("exercises/03-principer/ovningar.yaml, rad")
