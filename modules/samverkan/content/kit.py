"""The loaded kit: every record that validated, plus every problem found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from samverkan.content.schema import Exercise, Lesson, Source
from samverkan.errors import Problem


@dataclass
class Kit:
    """All content of the kit that validated, plus every problem found."""

    exercises: dict[str, Exercise] = field(default_factory=dict)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    exercise_folder: dict[str, str] = field(default_factory=dict)  # exercise id -> exercises/<folder>
    citations: dict[str, set[str]] = field(default_factory=dict)  # source id -> files that cite it
    data: dict[str, Any] = field(default_factory=dict)  # kind ("terms", "figures", …) -> its value
    data_files: dict[str, str] = field(default_factory=dict)  # kind -> the file it came from
    plans: dict[str, Any] = field(default_factory=dict)  # file label -> plan.Plan (workshop plans)
    # (file, line, field, text, what) of every text learners read at level lättläst, for the
    # editorial checks of `samverkan check` (samverkan.logic.editorial)
    readable: list[tuple[str, int | None, str, str, str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # files that could not be read or parsed as YAML

    def sources_cited_in(self, folder: str) -> set[str]:
        """Source ids cited anywhere in ``exercises/<folder>/`` (lists and inline [@id] markers)."""
        return {sid for sid, files in self.citations.items() if any(in_folder(f, folder) for f in files)}

    def problems_in(self, folder: str) -> list[Problem]:
        """The problems of the files in ``exercises/<folder>/``."""
        return [p for p in self.problems if in_folder(p.file, folder)]


def in_folder(label: str, folder: str) -> bool:
    """Whether a file label such as ``exercises/03-principer/x.yaml`` lies in ``folder``."""
    return f"/{folder}/" in f"/{label}"
