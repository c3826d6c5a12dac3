"""The kit's build backend: setuptools, plus the start-up hook of :mod:`samverkan.speedups`.

pip builds the kit with this module (``[build-system]`` in pyproject.toml), so ``pip install .``
and ``pip install -e .`` both put the hook in site-packages, next to the package: a
``samverkan-speedups.pth`` line that imports ``_samverkan_lazy_imports``, which defers
rfc3987_syntax's grammar compilation (1.4 s of every ``import nbformat``) to its first use.
Uninstalling the kit removes both files. Everything else is setuptools' own backend.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - the other hooks are setuptools' own

sys.path.insert(0, str(Path(__file__).resolve().parent))
from samverkan.speedups import HOOK_MODULE, HOOK_SOURCE, PTH_NAME

__all__ = [*_setuptools.__all__]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _add_hook(wheel_path: Path) -> None:
    """Add the hook's two files to the wheel's root and to its RECORD."""
    extra = {f"{HOOK_MODULE}.py": HOOK_SOURCE.encode(), PTH_NAME: f"import {HOOK_MODULE}\n".encode()}
    tmp = wheel_path.with_suffix(".tmp")
    with zipfile.ZipFile(wheel_path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        record = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        for item in src.infolist():
            if item.filename != record:
                dst.writestr(item, src.read(item.filename))
        for name, data in extra.items():
            dst.writestr(name, data)
        lines = src.read(record).decode().splitlines()
        lines = [line for line in lines if line and not line.startswith(record + ",")]
        lines += [_record_line(n, d) for n, d in extra.items()] + [f"{record},,"]
        dst.writestr(record, "\n".join(lines) + "\n")
    tmp.replace(wheel_path)


def build_wheel(
    wheel_directory: str, config_settings: dict | None = None, metadata_directory: str | None = None
) -> str:
    """setuptools' wheel with the start-up hook added."""
    name = _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    _add_hook(Path(wheel_directory) / name)
    return name


def build_editable(
    wheel_directory: str, config_settings: dict | None = None, metadata_directory: str | None = None
) -> str:
    """setuptools' editable wheel with the start-up hook added."""
    name = _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    _add_hook(Path(wheel_directory) / name)
    return name
