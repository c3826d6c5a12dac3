"""Where the kit's content lives: from where you stand, then the installed kit.

The kit root is, in this order:

1. ``SAMVERKAN_HOME``, when it is set (tests point it at temporary copies);
2. the nearest folder, from the working directory upwards, that holds a kit (an ``exercises/``
   and a ``data/`` folder), so ``samverkan check`` run inside a trainer's copy checks that copy;
3. the kit this package was installed from (an editable install from a checkout).
"""

from __future__ import annotations

import os
from pathlib import Path

from samverkan.errors import ParameterError

_INSTALLED_ROOT = Path(__file__).resolve().parents[3]
ORIGINS = {
    "env": "miljövariabeln SAMVERKAN_HOME",
    "cwd": "arbetsmappen eller en mapp ovanför den",
    "installed": "kitet som paketet installerades från",
}


def holds_kit(folder: Path) -> bool:
    """Does ``folder`` look like a kit (content folders ``exercises/`` and ``data/``)?"""
    return (folder / "exercises").is_dir() and (folder / "data").is_dir()


def locate_kit() -> tuple[Path, str]:
    """(kit root, origin) where origin is a key of :data:`ORIGINS`; raises ParameterError if none."""
    env = os.environ.get("SAMVERKAN_HOME")
    if env:
        root = Path(env).expanduser()
        if not (root / "exercises").is_dir():
            raise ParameterError(
                f"Hittar inte kitets innehåll: mappen {root / 'exercises'} finns inte. "
                "Miljövariabeln SAMVERKAN_HOME ska peka på kitets mapp."
            )
        return root, "env"
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working directory was removed
        here = None
    if here is not None:
        for folder in (here, *here.parents):
            if holds_kit(folder):
                return folder, "cwd"
    if (_INSTALLED_ROOT / "exercises").is_dir():
        return _INSTALLED_ROOT, "installed"
    raise ParameterError(
        "Hittar inte kitets innehåll: varken arbetsmappen (eller en mapp ovanför den) eller "
        f"{_INSTALLED_ROOT} har mapparna exercises/ och data/. Gå till kitets mapp eller sätt "
        "miljövariabeln SAMVERKAN_HOME till kitets mapp."
    )


def kit_root() -> Path:
    """The kit's root folder (see the module docstring for the order)."""
    return locate_kit()[0]


def exercises_dir() -> Path:
    """The ``exercises/`` folder of the kit root."""
    return kit_root() / "exercises"


def data_dir() -> Path:
    """The ``data/`` folder of the kit root."""
    return kit_root() / "data"


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of the kit root."""
    return kit_root() / "notebooks"


def voila_apps_dir() -> Path:
    """The ``voila_apps/`` folder of the kit root."""
    return kit_root() / "voila_apps"
