"""``samverkan check``: the content problems, the checks that need the kit's logic, and warnings.

* errors (severity ``fel``) block: the loader's problems (schema, references, plans) and the case
  bank's cases that no longer give their expected outcome (:func:`decision.check_cases`);
* warnings (severity ``varning``) never fail the check: LIX of lättläst texts
  (:mod:`editorial`); the time estimates are reported by :func:`timing.report`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from samverkan.content.kit import Kit
from samverkan.content.loader import load_kit, sort_problems
from samverkan.errors import ERROR, WARNING, Problem, display_path
from samverkan.logic.decision import check_cases
from samverkan.logic.editorial import readability_findings


def check_kit(root: Path | None = None, files: Iterable[Path] | None = None) -> Kit:
    """The kit with every problem ``samverkan check`` reports, errors and warnings (see :attr:`Problem.severity`)."""
    selected = [Path(f) for f in files] if files is not None else None
    kit = load_kit(root, selected)
    extra: list[Problem] = []
    if {"cases", "decision", "thresholds"} <= set(kit.data):
        extra += check_cases(kit)
    elif "cases" in kit.data:
        extra.append(
            Problem(
                kit.data_files["cases"],
                None,
                "",
                "fallbanken kräver data/samverkansform.yaml och data/troskelvarden.yaml",
            )
        )
    extra += readability_findings(kit)
    if selected is not None:
        from samverkan.content import paths

        base = Path(root) if root is not None else paths.kit_root()
        wanted = {display_path(f, base) for f in selected}
        extra = [p for p in extra if p.file in wanted]
    kit.problems.extend(extra)
    return sort_problems(kit)


def errors(kit: Kit) -> list[Problem]:
    """The problems that block (severity ``fel``)."""
    return [p for p in kit.problems if p.severity == ERROR]


def warnings(kit: Kit) -> list[Problem]:
    """The editorial findings (severity ``varning``)."""
    return [p for p in kit.problems if p.severity == WARNING]
