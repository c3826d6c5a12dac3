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


# -- help and argument errors in Swedish (issue 15) ---------------------------------------------------

ENGLISH = (
    "usage:",
    "options:",
    "positional arguments",
    "optional arguments",
    "show this help",
    "error:",
    "required",
    "invalid",
    "unrecognized",
    "expected",
    "arguments",
    "choose from",
)


def _help(capsys, *args: str) -> str:
    import pytest

    from samverkan.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*args, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr()
    assert not out.err
    return out.out


def test_help_of_the_command_and_every_subcommand_is_swedish(capsys):
    from samverkan.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"serve", "report", "export", "check"} <= set(commands)
    for args in [(), *((name,) for name in commands)]:
        text = _help(capsys, *args)
        assert text.startswith("användning: samverkan"), text
        assert "flaggor:\n  -h, --help" in text and "visa den här hjälptexten och avsluta" in text
        lowered = text.lower()
        assert not [w for w in ENGLISH if w in lowered], (args, text)
        # No metavar falls back to the option's English name in capitals (HOST, AUDIENCE, LEVEL ...).
        sub = commands[args[0]] if args else parser
        for action in sub._actions:
            if action.option_strings and action.nargs != 0:
                assert action.metavar, (args, action.option_strings)
    assert "argument:\n  KOD" in _help(capsys, "report")


def test_argument_errors_are_swedish_and_argparse_is_left_as_it_was(capsys):
    import argparse

    import pytest

    from samverkan.cli import main

    cases = {
        ("report",): "samverkan report: fel: det här saknas: KOD",
        ("serve", "--port", "x"): "samverkan serve: fel: --port: ogiltigt värde 'x'",
        ("nope",): "samverkan: fel: KOMMANDO: okänt val 'nope' (välj bland 'check',",
        ("check", "--bogus"): "samverkan: fel: okända argument: --bogus",
        ("serve", "--host"): "samverkan serve: fel: --host: ett värde behövs",
    }
    for args, message in cases.items():
        with pytest.raises(SystemExit) as exit_:
            main(list(args))
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("användning: samverkan") and message in err, err
        assert not [w for w in ENGLISH if w in err.lower()], err
    assert argparse._("usage: ") == "usage: "  # only the kit's own parser speaks Swedish
    assert argparse.ArgumentParser(prog="x").format_usage() == "usage: x [-h]\n"


def test_every_text_of_this_pythons_argparse_has_a_swedish_translation():
    """A newer Python may add or reword argparse's texts; this names the ones missing."""
    import argparse
    import ast

    from samverkan.cli import ARGPARSE_SV

    tree = ast.parse(Path(argparse.__file__).read_text(encoding="utf-8"))
    texts = {
        arg.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext")
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }
    internal = {
        ".__call__() not defined",
        "conflicting subparser: %s",
        "conflicting subparser alias: %s",
        'argument "-" with mode %r',
        "cannot merge actions - two groups are named %r",
        "'required' is an invalid argument for positionals",
        "dest= is required for options like %r",
        "invalid conflict_resolution value: %r",
        "conflicting option string: %s",
        "conflicting option strings: %s",
        "mutually exclusive arguments must be optional",
        "cannot have multiple subparser arguments",
        "%r is not callable",
        "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    }
    missing = sorted(texts - set(ARGPARSE_SV) - internal)  # programming errors in the parser, never shown to users
    assert not missing, missing


def test_one_checked_file_is_singular(kit_copy):
    """Does `check FIL` say "1 fil kontrollerad" (Swedish agreement), not "1 fil kontrollerade"?"""
    broken = kit_copy / "exercises" / "03-principer" / "trasig.yaml"
    broken.write_text("schema_version: 1\nexercises:\n  - id: x\n    kind: quiz\n", encoding="utf-8")
    run = subprocess.run(
        ["samverkan", "check", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )
    assert run.returncode == 1 and "(1 fil kontrollerad)" in run.stderr, run.stderr
