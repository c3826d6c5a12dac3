"""Cut the start-up cost that every notebook run pays.

``import nbformat`` (paid by papermill, nbconvert, nbval, Voila and
JupyterLab) imports ``jsonschema``, whose format checkers import
``rfc3987_syntax``, which compiles three Earley grammars with Lark at import
time: about 1.4 s of a 1.6 s import, on every process. Earley parsers cannot
use Lark's cache, and the ``iri`` format they serve is almost never checked.

pip installs the hook with the kit (the build backend ``modules/_samverkan_build.py`` adds a
``.pth`` file and the hook module to the wheel, for ``pip install .`` and ``pip install -e .``
alike; ``pip uninstall samverkan`` removes them). The hook gives ``rfc3987_syntax`` a light
stand-in module: its functions load the real grammar on first use, so behaviour is unchanged and
only the cost moves to the (rare) first IRI validation.

The stand-in knows rfc3987_syntax's API of the versions in ``KNOWN_VERSIONS``; with any other
installed version the hook steps aside and the real module loads as usual (slower, never wrong).
``python -m samverkan.speedups`` installs the hook by hand in an environment pip did not build.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

HOOK_MODULE = "_samverkan_lazy_imports"
KNOWN_VERSIONS = ("1.1.0",)  # rfc3987_syntax versions whose API the stand-in covers (as in HOOK_SOURCE)
PTH_NAME = "samverkan-speedups.pth"

HOOK_SOURCE = '''"""Installed by samverkan.speedups: defer rfc3987_syntax's grammar compilation."""
import importlib
import importlib.abc
import importlib.machinery
import sys

_NAME = "rfc3987_syntax"
_KNOWN_VERSIONS = ("1.1.0",)  # the API the stand-in was written against (samverkan.speedups)


def _helpers():
    return importlib.import_module(_NAME + ".syntax_helpers")


def _deferred(attr):
    def call(*args, **kwargs):
        return getattr(_helpers(), attr)(*args, **kwargs)
    call.__name__ = attr
    call.__doc__ = "Loads rfc3987_syntax's grammar on first use (samverkan.speedups)."
    return call


class _LazyLoader(importlib.abc.Loader):
    def __init__(self, real_spec):
        self.real_spec = real_spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__path__ = list(self.real_spec.submodule_search_locations or [])
        module.__file__ = self.real_spec.origin
        for attr in ("parse", "is_valid_syntax", "is_valid_syntax_iri", "is_valid_syntax_iri_reference",
                     "make_syntax_validator"):
            setattr(module, attr, _deferred(attr))

        def __getattr__(attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            value = getattr(_helpers(), attr)
            setattr(module, attr, value)
            return value

        module.__getattr__ = __getattr__


def _known(real):
    """Is the installed rfc3987_syntax one whose API the stand-in knows (its dist-info says)?"""
    import os

    folder = os.path.dirname(list(real.submodule_search_locations)[0])
    wanted = {f"{_NAME}-{v}.dist-info" for v in _KNOWN_VERSIONS}
    try:
        return any(name in wanted for name in os.listdir(folder))
    except OSError:
        return False


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != _NAME:
            return None
        real = importlib.machinery.PathFinder.find_spec(name)
        if real is None or not real.submodule_search_locations or not _known(real):
            return None
        spec = importlib.machinery.ModuleSpec(name, _LazyLoader(real), is_package=True)
        spec.submodule_search_locations = list(real.submodule_search_locations)
        return spec


sys.meta_path.insert(0, _Finder())  # a .pth import runs once per process
'''


def site_packages() -> Path:
    """This environment's site-packages folder (purelib), where the hook is installed by default."""
    return Path(sysconfig.get_paths()["purelib"])


def install(target: Path | None = None) -> Path:
    """Write the hook module and its ``.pth`` file to ``target`` (default: site-packages); returns the .pth."""
    target = target or site_packages()
    (target / f"{HOOK_MODULE}.py").write_text(HOOK_SOURCE, encoding="utf-8")
    pth = target / PTH_NAME
    pth.write_text(f"import {HOOK_MODULE}\n", encoding="utf-8")
    return pth


def remove(target: Path | None = None) -> None:
    """Delete the hook module and its ``.pth`` file from ``target`` (default: site-packages), if there."""
    target = target or site_packages()
    for name in (PTH_NAME, f"{HOOK_MODULE}.py"):
        (target / name).unlink(missing_ok=True)


def is_installed() -> bool:
    """Whether the hook is active in this process (its module has been imported)."""
    return HOOK_MODULE in sys.modules


def main(argv: list[str] | None = None) -> int:
    """``python -m samverkan.speedups [--remove]``: install the hook, or remove it; returns 0."""
    argv = sys.argv[1:] if argv is None else argv
    if "--remove" in argv:
        remove()
        print("Snabbstarten är borttagen.")
    else:
        pth = install()
        print(f"Snabbstart installerad: {pth}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
