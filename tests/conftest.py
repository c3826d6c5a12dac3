"""Shared fixtures. Tests that change content work on a temporary copy of the kit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from samverkan.content.schema import Choice, Question, Quiz, Text

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def kit_copy(tmp_path, monkeypatch) -> Path:
    """A temporary copy of the kit's content; SAMVERKAN_HOME points at it."""
    for folder in ("exercises", "data", "notebooks", "voila_apps"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setenv("SAMVERKAN_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def make_quiz():
    """A one-question quiz whose choice number ``correct`` (or several) is right."""

    def make(correct: int | tuple[int, ...] = 0, n: int = 3, kind: str | None = None) -> Quiz:
        right = {correct} if isinstance(correct, int) else set(correct)
        kind = kind or ("single_choice" if len(right) == 1 else "multiple_choice")
        choices = tuple(
            Choice(Text(f"Svar {i}"), i in right, Text(f"Återkoppling {i}", f"Lätt återkoppling {i}")) for i in range(n)
        )
        question = Question("fraga-1", kind, Text("Vilket svar är rätt?"), choices, Text("Förklaring."))
        return Quiz("quiz-1", Text("Testquiz"), (question,))

    return make


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    from .servers import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for this test process (see ``servers.postgres_cluster``).

    Never skipped: when PostgreSQL is missing or will not start, every test
    that needs it fails with the reason.
    """
    import contextlib

    from .servers import PostgresUnavailable, postgres_cluster

    with contextlib.ExitStack() as stack:
        problem = None
        try:
            cluster = stack.enter_context(postgres_cluster())
        except PostgresUnavailable as exc:
            problem = str(exc)
        if problem:
            pytest.fail(f"PostgreSQL-testerna kan inte köras: {problem}", pytrace=False)
        yield cluster


@pytest.fixture
def pg_url(postgres) -> str:
    """A new, empty PostgreSQL database owned by the role ``verkstad``, as a ``postgresql+psycopg://`` URL."""
    return postgres.database()
