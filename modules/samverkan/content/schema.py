"""Typed, frozen records for learning content (schema version 1).

Content files are YAML (keys in English, values in Swedish); ``loader.py``
validates them into these records. The trainer-facing description of every
field is ``exercises/README.md``; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from samverkan.errors import ParameterError

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = (1,)

AUDIENCES = ("fortroendevald", "tjansteperson")
AUDIENCE_LABELS = {"fortroendevald": "förtroendevalda", "tjansteperson": "tjänstepersoner"}
LEVELS = ("standard", "lattlast")
LEVEL_LABELS = {"standard": "standard", "lattlast": "lättläst"}
RATINGS = ("bra", "delvis", "svag")
RATING_LABELS = {"bra": "Bra utfall", "delvis": "Delvis bra utfall", "svag": "Svagt utfall"}


def check_params(audience: Any, level: Any, *, audience_required: bool = True) -> None:
    """Refuse an unknown audience or level with a Swedish message (notebooks, widgets, apps).

    With ``audience_required=False``, ``None`` means "every audience" (a mixed room).
    """
    if (audience is not None or audience_required) and audience not in AUDIENCES:
        raise ParameterError(
            f'Okänd målgrupp {audience!r}. Skriv audience = "fortroendevald" (förtroendevalda) '
            f'eller audience = "tjansteperson" (tjänstepersoner).'
        )
    if level not in LEVELS:
        raise ParameterError(f'Okänd nivå {level!r}. Skriv level = "standard" eller level = "lattlast" (lättläst).')


Audience = Literal["fortroendevald", "tjansteperson"]
Level = Literal["standard", "lattlast"]


@dataclass(frozen=True)
class Text:
    """A text a learner reads, with an optional easy-to-read variant."""

    standard: str
    lattlast: str | None = None

    def get(self, level: str = "standard") -> str:
        """The text for ``level``: the easy-to-read variant for "lattlast" when there is one, else standard."""
        if level == "lattlast" and self.lattlast:
            return self.lattlast
        return self.standard


@dataclass(frozen=True)
class Choice:
    """One answer option of a question: its text, whether it is correct, optional feedback."""

    text: Text
    correct: bool = False
    feedback: Text | None = None


@dataclass(frozen=True)
class Question:
    """A single- or multiple-choice question inside a quiz."""

    id: str
    kind: Literal["single_choice", "multiple_choice"]
    prompt: Text
    choices: tuple[Choice, ...]
    explanation: Text | None = None
    audience: frozenset[str] = frozenset(AUDIENCES)
    line: int | None = None
    further_study: bool = False  # fördjupning: self-study shows the question, a workshop skips it

    @property
    def correct_indices(self) -> frozenset[int]:
        """The positions of the correct choices."""
        return frozenset(i for i, c in enumerate(self.choices) if c.correct)


@dataclass(frozen=True)
class Quiz:
    """A quiz exercise: a title, an optional intro and its questions."""

    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    audience: frozenset[str] = frozenset(AUDIENCES)
    legal: bool = False  # gives verdicts about law: feedback carries the 'not legal advice' note
    kind: str = field(default="quiz", init=False)
    line: int | None = None
    further_study: bool = False  # fördjupning: self-study shows the exercise, a workshop skips it


@dataclass(frozen=True)
class Category:
    """One category items are matched to: an id and its label."""

    id: str
    label: Text


@dataclass(frozen=True)
class MatchItem:
    """An item to match: its text, the id of its correct category, optional feedback."""

    id: str
    text: Text
    category: str
    feedback: Text | None = None


@dataclass(frozen=True)
class Matching:
    """Match each item to one category (for example an activity to one of the five roles)."""

    id: str
    title: Text
    prompt: Text
    categories: tuple[Category, ...]
    items: tuple[MatchItem, ...]
    audience: frozenset[str] = frozenset(AUDIENCES)
    legal: bool = False  # gives verdicts about law: feedback carries the 'not legal advice' note
    kind: str = field(default="matching", init=False)
    line: int | None = None
    further_study: bool = False  # fördjupning: self-study shows the exercise, a workshop skips it

    def category(self, category_id: str) -> Category:
        """The category with this id; KeyError if there is none."""
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(category_id)


@dataclass(frozen=True)
class ScenarioChoice:
    """A choice in a scenario step: its text, its consequence, and the id of the step it leads to."""

    text: Text
    consequence: Text
    next: str


@dataclass(frozen=True)
class Step:
    """A situation with choices, or (when ``outcome`` is set) an ending."""

    id: str
    situation: Text | None = None
    choices: tuple[ScenarioChoice, ...] = ()
    outcome: Text | None = None
    explanation: Text | None = None
    rating: str | None = None

    @property
    def is_outcome(self) -> bool:
        """Whether the step is an ending (it has an outcome)."""
        return self.outcome is not None


@dataclass(frozen=True)
class Scenario:
    """A branching scenario: steps of choices, from ``start`` to an outcome."""

    id: str
    title: Text
    start: str
    steps: tuple[Step, ...]
    intro: Text | None = None
    audience: frozenset[str] = frozenset(AUDIENCES)
    legal: bool = False  # gives verdicts about law: feedback carries the 'not legal advice' note
    kind: str = field(default="scenario", init=False)
    line: int | None = None
    further_study: bool = False  # fördjupning: self-study shows the exercise, a workshop skips it

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError if there is none."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)


@dataclass(frozen=True)
class FreeText:
    """A free-text exercise: a prompt, optional guidance and the longest answer allowed."""

    id: str
    title: Text
    prompt: Text
    guidance: Text | None = None
    max_length: int = 1000
    audience: frozenset[str] = frozenset(AUDIENCES)
    kind: str = field(default="free_text", init=False)
    line: int | None = None
    further_study: bool = False  # fördjupning: self-study shows the exercise, a workshop skips it


Exercise = Quiz | Matching | Scenario | FreeText


@dataclass(frozen=True)
class ExerciseKind:
    """One kind of exercise, as every layer knows it.

    ``name`` is the value of ``kind:`` in an exercise file and of the record's ``kind``;
    ``answer_kinds`` are the kinds of item a workshop stores answers for (a quiz has one per
    question kind). Every layer keeps one table keyed by ``name`` (the loader's parsers, the
    widgets, the handouts, the time estimate, the workshop summary) and the workshop store
    accepts exactly :data:`ANSWER_KINDS`; ``tests/test_kinds.py`` checks that none is missing.
    """

    name: str
    record: type
    answer_kinds: tuple[str, ...]
    label: str  # Swedish, for trainers' messages


EXERCISE_KINDS: dict[str, ExerciseKind] = {
    kind.name: kind
    for kind in (
        ExerciseKind(name="quiz", record=Quiz, answer_kinds=("single_choice", "multiple_choice"), label="quiz"),
        ExerciseKind(name="matching", record=Matching, answer_kinds=("matching",), label="matchning"),
        ExerciseKind(name="scenario", record=Scenario, answer_kinds=("scenario",), label="scenario"),
        ExerciseKind(name="free_text", record=FreeText, answer_kinds=("free_text",), label="fritext"),
    )
}
ANSWER_KINDS: tuple[str, ...] = tuple(a for kind in EXERCISE_KINDS.values() for a in kind.answer_kinds)


@dataclass(frozen=True)
class ExerciseFile:
    """One exercise file as loaded: its path, schema version and exercises."""

    path: str
    schema_version: int
    exercises: tuple[Exercise, ...]


@dataclass(frozen=True)
class Section:
    """One section of a lesson: its text, minutes, examples, exercises, sources and generated blocks."""

    id: str
    title: Text
    minutes: int
    body: Text
    examples: dict[str, Text] = field(default_factory=dict)
    exercises: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    show: tuple[str, ...] = ()  # generated blocks after the body: BLOCKS or "figur:<id>"
    code: str | None = None  # Python for a code cell the learner may edit (self-study notebook)
    further_study: bool = False  # fördjupning: self-study shows the section, a workshop skips it


# Generated blocks a section can show after its text (``show:`` in lektion.yaml).
BLOCKS = {
    "troskelvarden": "tabellen över direktupphandlingsgränser och tröskelvärden (data/troskelvarden.yaml)",
    "samverkansformvaljaren": "Samverkansformväljaren, frågeverktyget för val av samverkansform",
    "ordlista": "den sökbara ordlistan (data/ordlista.yaml)",
}
FIGURE_PREFIX = "figur:"


@dataclass(frozen=True)
class Lesson:
    """A lesson (``lektion.yaml``): why and what, its sections, the discussion, key points and sources."""

    id: str
    title: Text
    why: Text
    questions: tuple[Text, ...]
    objectives: tuple[Text, ...]
    sections: tuple[Section, ...]
    discussion: dict[str, Text]
    discussion_minutes: int
    key_points: tuple[Text, ...]
    reflection: tuple[Text, ...]
    sources: tuple[str, ...]
    path: str = ""

    @property
    def minutes(self) -> int:
        """The lesson's length in minutes on its workshop path: its sections (not fördjupning) plus the discussion."""
        return sum(s.minutes for s in self.sections if not s.further_study) + self.discussion_minutes

    @property
    def self_study_minutes(self) -> int:
        """The lesson's length in minutes for self-study: every section, fördjupning included, plus the discussion."""
        return sum(s.minutes for s in self.sections) + self.discussion_minutes

    def section(self, section_id: str) -> Section:
        """The section with this id; KeyError if there is none."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def cited_sources(self) -> set[str]:
        """Every source id the lesson cites, in its list or in a section."""
        cited = set(self.sources)
        for s in self.sections:
            cited.update(s.sources)
        return cited


@dataclass(frozen=True)
class Source:
    """One entry of the sources list: title, year, full reference, short form for citations."""

    id: str
    title: str
    year: int | None  # None for undated material (web pages, drafts): never a guessed year
    reference: str
    short: str
    url: str | None = None
    note: str | None = None


def on_path(item: Any, workshop: bool) -> bool:
    """Whether a section, exercise or question is shown on this path: self-study shows everything,
    a workshop skips what is marked ``further_study`` (fördjupning)."""
    return not (workshop and getattr(item, "further_study", False))


def exercises_on_path(lesson: Lesson, exercises: Mapping[str, Any], workshop: bool) -> list[str]:
    """The ids of the lesson's exercises on this path, in lesson order (ids the kit lacks are left out)."""
    return [
        e
        for s in lesson.sections
        if on_path(s, workshop)
        for e in s.exercises
        if e in exercises and on_path(exercises[e], workshop)
    ]
