"""Every error the kit raises on purpose, in one place.

The messages are Swedish because trainers and facilitators read them. Each
error type carries enough structure (file, line, field) for tools and tests,
and renders to one line a trainer can act on::

    exercises/03-principer/ovningar.yaml, rad 9 (exercises[0].choices): minst ett svar måste ha correct: true

Hierarchy::

    SamverkanError
    ├── ContentError      one or more problems in content files (holds Problem records)
    └── ParameterError    a wrong notebook or command parameter
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one content file, located by line and field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", rad {self.line}"
        if self.field:
            where += f" ({self.field})"
        return f"{where}: {self.message}"


class SamverkanError(Exception):
    """Base class of the kit's own errors: the message is meant for people."""


class ContentError(SamverkanError):
    """Content files that do not follow the schema.

    ``problems`` lists every problem found, not just the first, so a trainer
    can fix a whole file in one go.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))


class ParameterError(SamverkanError, ValueError):
    """A parameter (audience, level, lesson id, …) that the kit does not know."""


def display_path(path: Path | str, root: Path | None = None) -> str:
    """The path as a trainer would recognise it: relative to the kit when possible."""
    path = Path(path)
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()
