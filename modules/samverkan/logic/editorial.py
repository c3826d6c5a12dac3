"""Editorial findings: what an author should look at, never what stops a lesson.

LIX of the texts learners read at level lättläst (over :data:`readability.LIX_LIMIT`) is a
warning (severity ``varning``) with the file, line and field of the text. The loader only notes
which texts to measure (:attr:`samverkan.content.kit.Kit.readable`); measuring them here keeps
that cost out of every notebook and participant kernel.
"""

from __future__ import annotations

from samverkan.content.kit import Kit
from samverkan.errors import WARNING, Problem
from samverkan.logic import readability


def readability_findings(kit: Kit) -> list[Problem]:
    """A warning for each lättläst text (10 words or more) over the LIX limit."""
    found = []
    for file, line, field, text, what in kit.readable:
        if len(readability.words(text)) < readability.MIN_WORDS:
            continue
        value = readability.lix(text)
        if value > readability.LIX_LIMIT:
            found.append(
                Problem(
                    file,
                    line,
                    field,
                    f"{what} har LIX {value:.0f} (högst {readability.LIX_LIMIT}); "
                    "skriv kortare meningar och använd kortare, vanliga ord",
                    WARNING,
                )
            )
    return found
