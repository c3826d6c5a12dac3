"""Is the nbformat start-up cost cut, without changing behaviour?"""

from __future__ import annotations

import subprocess
import sys

from samverkan import speedups


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout


def test_importing_nbformat_does_not_compile_the_iri_grammar():
    out = _run(
        "import sys, nbformat; print('rfc3987_syntax.syntax_helpers' in sys.modules, "
        f"'{speedups.HOOK_MODULE}' in sys.modules)"
    )
    assert out.split() == ["False", "True"]


def test_iri_validation_still_works():
    out = _run(
        "from jsonschema import FormatChecker; fc = FormatChecker(); "
        "print(fc.conforms('https://exempel.se/sida', 'iri'), fc.conforms('http://[fel', 'iri'))"
    )
    assert out.split() == ["True", "False"]


def test_pip_installed_the_hook_with_the_kit():
    """Did pip (through the kit's build backend) put the hook in site-packages and list it in the RECORD?"""
    from importlib.metadata import distribution

    files = {str(f) for f in distribution("samverkan").files or []}
    assert {speedups.PTH_NAME, f"{speedups.HOOK_MODULE}.py"} <= files


def test_the_hook_steps_aside_for_a_version_it_does_not_know(tmp_path):
    """With an rfc3987_syntax whose version is not in KNOWN_VERSIONS, does the real module load as usual?"""
    pkg = tmp_path / "rfc3987_syntax"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("REAL = True\n", encoding="utf-8")
    (tmp_path / "rfc3987_syntax-9.9.9.dist-info").mkdir()
    out = _run(
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import rfc3987_syntax; "
        "print(type(rfc3987_syntax.__spec__.loader).__name__, rfc3987_syntax.REAL)"
    )
    assert out.split() == ["SourceFileLoader", "True"]
    (tmp_path / "rfc3987_syntax-9.9.9.dist-info").rename(
        tmp_path / f"rfc3987_syntax-{speedups.KNOWN_VERSIONS[0]}.dist-info"
    )
    out = _run(
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import rfc3987_syntax; "
        "print(type(rfc3987_syntax.__spec__.loader).__name__)"
    )
    assert out.split() == ["_LazyLoader"], "with a known version the stand-in is used"
