"""Does the installed `samverkan check` command pass on the kit and fail with file-and-line messages?"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import FIXTURES, ROOT

SAMVERKAN = str(Path(sys.executable).with_name("samverkan"))


def run(*args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if home is not None:
        env["SAMVERKAN_HOME"] = str(home)
    return subprocess.run([SAMVERKAN, *args], capture_output=True, text=True, env=env, cwd=home or ROOT, timeout=60)


def test_check_passes_on_the_shipped_kit():
    result = run("check", home=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Allt innehåll är giltigt" in result.stdout


def test_check_fails_with_one_line_per_problem(kit_copy):
    shutil.copy(FIXTURES / "broken" / "unknown_field.yaml", kit_copy / "exercises" / "03-principer" / "trasig.yaml")
    result = run("check", home=kit_copy)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        "exercises/03-principer/trasig.yaml, rad 3 (exercises[0]): fältet 'prompt' saknas",
        "exercises/03-principer/trasig.yaml, rad 6 (exercises[0].promt): okänt fält 'promt'. Menade du 'prompt'?",
    ]
    assert "2 problem i innehållet" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_check_one_file_and_a_missing_path():
    broken = run("check", str(FIXTURES / "broken" / "no_correct.yaml"), home=ROOT)
    assert broken.returncode == 1 and "minst ett svar måste ha correct: true" in broken.stdout
    missing = run("check", "finns/inte.yaml", home=ROOT)
    assert missing.returncode == 2 and "finns inte" in missing.stderr


def test_kit_not_found_is_a_swedish_error(tmp_path):
    result = run("check", home=tmp_path)
    assert result.returncode == 2 and "Hittar inte kitets innehåll" in result.stderr
    assert "Traceback" not in result.stderr
