"""Pure grading functions: no widgets, no I/O, easy to test.

Widgets and the workshop store call these with what a learner chose. Values
that come from a browser are not trusted: an index out of range, a wrong
type or an unknown id raises :class:`~samverkan.errors.ParameterError`
with a Swedish message instead of an IndexError deep in a callback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from samverkan.content.schema import Matching, Question, Scenario, Step, Text
from samverkan.errors import ParameterError


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer to one question."""

    correct: bool
    chosen: tuple[int, ...]
    messages: tuple[Text, ...]  # the feedback of each chosen choice, in choice order
    missed: int = 0  # correct choices not chosen (multiple choice)
    explanation: Text | None = None


def _index(value: object, n: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"Ogiltigt {what}: {value!r} är inget nummer.")
    if not 0 <= value < n:
        raise ParameterError(f"Ogiltigt {what}: {value} finns inte (välj 0–{n - 1}).")
    return value


def check_answer(question: Question, chosen: int | Iterable[int] | None) -> Feedback:
    """Grade a single- or multiple-choice answer.

    Single choice takes one index; multiple choice takes the set of chosen
    indices and is right only when exactly the correct choices are chosen.
    """
    n = len(question.choices)
    if chosen is None:
        raise ParameterError("Välj ett svar innan du rättar.")
    if question.kind == "single_choice":
        if not isinstance(chosen, int) or isinstance(chosen, bool):
            picked = list(chosen) if isinstance(chosen, (list, tuple, set, frozenset)) else [chosen]
            if len(picked) != 1:
                raise ParameterError("Frågan har bara ett rätt svar: välj ett alternativ.")
            chosen = picked[0]
        indices: tuple[int, ...] = (_index(chosen, n, "svarsalternativ"),)
    else:
        items: Iterable[Any] = [chosen] if isinstance(chosen, (int, str, bytes)) else chosen
        indices = tuple(sorted({_index(i, n, "svarsalternativ") for i in items}))
        if not indices:
            raise ParameterError("Välj minst ett svar innan du rättar.")
    correct_set = question.correct_indices
    correct = set(indices) == correct_set
    messages = tuple(fb for i in indices if (fb := question.choices[i].feedback) is not None)
    missed = len(correct_set - set(indices))
    return Feedback(correct, indices, messages, missed, question.explanation)


@dataclass(frozen=True)
class MatchResult:
    """One item of a matching answer: the category chosen (None: none yet) and whether it is right."""

    item_id: str
    chosen: str | None
    correct: bool


@dataclass(frozen=True)
class MatchingScore:
    """A graded matching answer: one result per item, in the exercise's order."""

    results: tuple[MatchResult, ...]

    @property
    def score(self) -> int:
        """How many items were matched to their right category."""
        return sum(r.correct for r in self.results)

    @property
    def total(self) -> int:
        """How many items the exercise has."""
        return len(self.results)

    @property
    def answered(self) -> int:
        """How many items have a category chosen."""
        return sum(r.chosen is not None for r in self.results)


def grade_matching(exercise: Matching, assignments: Mapping[str, str | None]) -> MatchingScore:
    """Grade a matching exercise: ``assignments`` maps item id to category id."""
    if not isinstance(assignments, Mapping):
        raise ParameterError("Svaret på matchningsövningen har fel form.")
    items = {it.id for it in exercise.items}
    categories = {c.id for c in exercise.categories}
    for key, value in assignments.items():
        if key not in items:
            raise ParameterError(f"Okänt påstående {key!r} i svaret.")
        if value is not None and value not in categories:
            raise ParameterError(f"Okänd kategori {value!r} i svaret.")
    results = tuple(
        MatchResult(it.id, assignments.get(it.id), assignments.get(it.id) == it.category) for it in exercise.items
    )
    return MatchingScore(results)


@dataclass
class ScenarioRun:
    """Where a learner is in a branching scenario, and how they got there."""

    scenario: Scenario
    current: str = ""
    path: list[tuple[str, int]] = field(default_factory=list)  # (step id, choice index)

    def __post_init__(self) -> None:
        if not self.current:
            self.current = self.scenario.start

    @property
    def step(self) -> Step:
        """The step the learner is at."""
        return self.scenario.step(self.current)

    @property
    def finished(self) -> bool:
        """Whether the learner has reached an outcome."""
        return self.step.is_outcome

    def choose(self, index: object) -> Text:
        """Take choice ``index`` at the current step; returns its consequence."""
        step = self.step
        if step.is_outcome:
            raise ParameterError("Scenariot är redan slut. Börja om för att välja igen.")
        i = _index(index, len(step.choices), "val")
        choice = step.choices[i]
        self.path.append((step.id, i))
        self.current = choice.next
        return choice.consequence

    def restart(self) -> None:
        """Go back to the start step and forget the path taken."""
        self.current = self.scenario.start
        self.path.clear()

    def back(self) -> None:
        """Undo the last choice, if any: back to the step it was made at."""
        if self.path:
            self.current = self.path.pop()[0]
