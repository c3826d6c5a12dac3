"""Where is the kit? SAMVERKAN_HOME, else the nearest kit from where you stand, else the installed one."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from samverkan.content import paths
from samverkan.errors import ParameterError

from ..conftest import ROOT


def _small_kit(folder):
    for sub in ("exercises", "data"):
        shutil.copytree(ROOT / sub, folder / sub)
    return folder


def test_samverkan_home_wins(tmp_path, monkeypatch):
    kit = _small_kit(tmp_path / "min-kopia")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SAMVERKAN_HOME", str(kit))
    assert paths.locate_kit() == (kit, "env")


def test_the_nearest_kit_above_the_working_directory(tmp_path, monkeypatch):
    kit = _small_kit(tmp_path / "min-kopia")
    deep = kit / "exercises" / "03-principer"
    monkeypatch.delenv("SAMVERKAN_HOME", raising=False)
    monkeypatch.chdir(deep)
    assert paths.locate_kit() == (kit.resolve(), "cwd")


def test_outside_any_kit_the_installed_kit_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("SAMVERKAN_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    root, origin = paths.locate_kit()
    assert origin == "installed" and root == ROOT


def test_a_wrong_samverkan_home_is_a_swedish_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMVERKAN_HOME", str(tmp_path / "finns-inte"))
    with pytest.raises(ParameterError, match="SAMVERKAN_HOME ska peka på kitets mapp"):
        paths.kit_root()


def test_check_inside_a_copy_checks_that_copy_and_names_it(tmp_path):
    """Does `samverkan check` run inside a trainer's copy check the copy (a broken file there is found)?"""
    kit = _small_kit(tmp_path / "min-kopia")
    (kit / "exercises" / "03-principer" / "trasig.yaml").write_text(
        "schema_version: 1\nexercises: [\n", encoding="utf-8"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "SAMVERKAN_HOME"}
    run = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "check"],
        capture_output=True,
        text=True,
        cwd=kit / "exercises",
        env=env,
        timeout=120,
    )
    assert run.returncode == 1
    assert f"Kontrollerar kitet i {kit.resolve()} (arbetsmappen eller en mapp ovanför den)" in run.stderr
    assert "exercises/03-principer/trasig.yaml" in run.stdout
