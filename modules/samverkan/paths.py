"""Where the kit's content lives.

The kit is installed in editable mode from its checkout, so the content
folders sit two levels above this package. ``SAMVERKAN_HOME`` overrides that
(tests point it at temporary copies; a trainer can point it at their own copy).
"""

from __future__ import annotations

import os
from pathlib import Path

from samverkan.errors import ParameterError

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def kit_root() -> Path:
    env = os.environ.get("SAMVERKAN_HOME")
    root = Path(env).expanduser() if env else _PACKAGE_ROOT
    if not (root / "exercises").is_dir():
        raise ParameterError(
            f"Hittar inte kitets innehåll: mappen {root / 'exercises'} finns inte. "
            "Sätt miljövariabeln SAMVERKAN_HOME till kitets mapp."
        )
    return root


def exercises_dir() -> Path:
    return kit_root() / "exercises"


def data_dir() -> Path:
    return kit_root() / "data"


def notebooks_dir() -> Path:
    return kit_root() / "notebooks"


def voila_apps_dir() -> Path:
    return kit_root() / "voila_apps"
