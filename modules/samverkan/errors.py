"""Every error the kit raises on purpose, in one place.

The messages are Swedish because trainers and facilitators read them. Each
error type carries enough structure (file, line, field) for tools and tests,
and renders to one line a trainer can act on::

    exercises/03-principer/ovningar.yaml, rad 9 (exercises[0].choices): minst ett svar måste ha correct: true

Hierarchy::

    SamverkanError
    ├── ContentError      one or more problems in content files (holds Problem records)
    ├── ParameterError    a wrong notebook or command parameter (also a ValueError)
    ├── ThresholdError    a date the thresholds table does not cover (also a ValueError)
    └── StoreError        a refused workshop action (the workshop store)
        ├── UnknownSession    no session or participant matches
        └── SessionClosed     the session is closed

Internal, never shown as they are: YamlSyntaxError (the loader turns it into a Problem) and
Refused (a crafted widget update; the widget shows a Swedish message).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "fel"
WARNING = "varning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one content file, located by line and field.

    ``severity`` is :data:`ERROR` (content that breaks the schema or a reference: it blocks
    ``samverkan check`` and the file's records) or :data:`WARNING` (an editorial finding such as
    LIX or a time estimate: shown by ``samverkan check``, never stops a lesson, app or handout).
    """

    file: str
    line: int | None
    field: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", rad {self.line}"
        if self.field:
            where += f" ({self.field})"
        prefix = "varning: " if self.severity == WARNING else ""
        return f"{where}: {prefix}{self.message}"


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


class ThresholdError(SamverkanError, ValueError):
    """A date the thresholds table (``data/troskelvarden.yaml``) does not cover."""


class StoreError(SamverkanError):
    """A refused workshop action, worded for the participant or facilitator."""


class UnknownSession(StoreError):
    """No session or participant matches the code, id or token given."""


class SessionClosed(StoreError):
    """The session is closed: nobody can join it and no answer is stored in it."""


class YamlSyntaxError(Exception):
    """A YAML file that cannot be parsed: a Swedish message and the line it is on (None: not known).

    Internal: the loader turns it into a :class:`Problem` of the file; it never reaches a trainer as is.
    """

    def __init__(self, line: int | None, message: str):
        self.line = line
        super().__init__(message)


class Refused(ValueError):
    """An inbound widget update that the kit does not accept (internal: shown as a Swedish message)."""


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
