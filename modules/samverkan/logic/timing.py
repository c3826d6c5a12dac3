"""How long a lesson takes: reading time per level plus time for its exercises.

The speeds and allowances live in ``data/tidsuppskattning.yaml`` (top-level key ``timing:``),
each with its source or marked as the kit's own assumption, so trainers change them there and
never here. The estimate is for one learner reading everything the lesson shows at one level:

* reading: words (as :mod:`readability` counts them) ÷ the level's words per minute;
* a quiz question: its prompt, choices, the right choices' feedback and the explanation read
  (what a learner who answers right sees), plus an answering allowance;
* a matching exercise: its prompt, categories, items and their feedback read, plus an allowance
  per item;
* a scenario: along its longest path (in time), each step's situation, choices and the chosen
  consequence read, plus an allowance per decision, and the ending read;
* a free text: its prompt and guidance read, plus a writing allowance;
* the discussion: the minutes the lesson's time plan gives it.

Tables, charts, the glossary and the Samverkansformväljaren are not counted. An estimate over
the budget is a warning for authors, never a content problem: it never fails ``samverkan
check`` and never stops a lesson, an app or a handout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from samverkan.content.kit import Kit
from samverkan.content.schema import (
    AUDIENCES,
    LEVEL_LABELS,
    LEVELS,
    FreeText,
    Lesson,
    Matching,
    Quiz,
    Scenario,
    Text,
    on_path,
)
from samverkan.content.timing_data import ALLOWANCES, BASES, Allowance, Speed, Timing  # noqa: F401 - re-exported

# -- the estimate ----------------------------------------------------------------


def _quiz_seconds(ex: Quiz, timing: Timing, level: str, audience: str | None, workshop: bool = False) -> float:
    total = timing.read([ex.title, ex.intro], level)
    for q in ex.questions:
        if (audience is None or audience in q.audience) and on_path(q, workshop):
            shown: list[Text | None] = [q.prompt, *(c.text for c in q.choices)]
            shown += [*(c.feedback for c in q.choices if c.correct), q.explanation]
            total += timing.read(shown, level) + timing.allow("quiz_question")
    return total


def _matching_seconds(ex: Matching, timing: Timing, level: str, audience: str | None, workshop: bool = False) -> float:
    shown = [
        ex.title,
        ex.prompt,
        *(c.label for c in ex.categories),
        *(i.text for i in ex.items),
        *(i.feedback for i in ex.items),
    ]
    return timing.read(shown, level) + len(ex.items) * timing.allow("matching_item")


def _scenario_seconds(ex: Scenario, timing: Timing, level: str, audience: str | None, workshop: bool = False) -> float:
    return timing.read([ex.title, ex.intro], level) + scenario_longest_path(ex, timing, level)[0]


def _free_text_seconds(ex: FreeText, timing: Timing, level: str, audience: str | None, workshop: bool = False) -> float:
    return timing.read([ex.title, ex.prompt, ex.guidance], level) + timing.allow("free_text")


# Seconds for one exercise, one function per exercise kind (EXERCISE_KINDS).
SECONDS: dict[str, Callable[[Any, Timing, str, str | None, bool], float]] = {
    "quiz": _quiz_seconds,
    "matching": _matching_seconds,
    "scenario": _scenario_seconds,
    "free_text": _free_text_seconds,
}


def exercise_seconds(
    ex: Any, timing: Timing, level: str, audience: str | None = None, *, workshop: bool = False
) -> float:
    """Seconds one learner (or table) needs for an exercise, as the module docstring says; on the
    workshop path (``workshop``), questions marked fördjupning are left out."""
    estimate = SECONDS.get(getattr(ex, "kind", ""))
    return estimate(ex, timing, level, audience, workshop) if estimate else 0.0


def scenario_longest_path(sc: Scenario, timing: Timing, level: str) -> tuple[float, int]:
    """(seconds, decisions) along the path through the scenario that takes longest."""
    steps = {s.id: s for s in sc.steps}
    memo: dict[str, tuple[float, int]] = {}
    visiting: set[str] = set()

    def cost(step_id: str) -> tuple[float, int]:
        if step_id in memo:
            return memo[step_id]
        step = steps.get(step_id)
        if step is None or step_id in visiting:  # the loader reports broken graphs; never loop here
            return 0.0, 0
        visiting.add(step_id)
        if step.is_outcome:
            result = (timing.read([step.outcome, step.explanation], level), 0)
        else:
            here = timing.read([step.situation, *(c.text for c in step.choices)], level) + timing.allow("scenario_step")
            best = (0.0, 0)
            for c in step.choices:
                after = cost(c.next)
                candidate = (timing.read([c.consequence], level) + after[0], after[1])
                best = max(best, candidate)
            result = (here + best[0], best[1] + 1)
        visiting.discard(step_id)
        memo[step_id] = result
        return result

    return cost(sc.start)


@dataclass
class SectionEstimate:
    """One section's estimate: seconds of reading and of exercises, against the minutes it plans."""

    id: str
    planned: int  # minutes in the lesson's time plan
    reading: float  # seconds
    exercises: float  # seconds

    @property
    def minutes(self) -> float:
        """The estimate in minutes: reading plus exercises."""
        return (self.reading + self.exercises) / 60.0

    @property
    def over(self) -> bool:
        """Whether the estimate is longer than the section's planned minutes."""
        return self.minutes > self.planned


@dataclass
class LessonEstimate:
    """A lesson's estimate for one level and audience: the frame, each section and the discussion."""

    lesson: str
    level: str
    audience: str
    budget: int  # the lesson's own minutes (sections plus discussion)
    frame_reading: float  # seconds: why, questions, objectives, discussion prompts, key points, reflection
    discussion: int  # minutes from the time plan
    sections: list[SectionEstimate] = field(default_factory=list)

    @property
    def reading_minutes(self) -> float:
        """Minutes of reading: the frame and every section."""
        return (self.frame_reading + sum(s.reading for s in self.sections)) / 60.0

    @property
    def exercise_minutes(self) -> float:
        """Minutes of exercises, all sections together."""
        return sum(s.exercises for s in self.sections) / 60.0

    @property
    def minutes(self) -> float:
        """The whole estimate in minutes: reading, exercises and the planned discussion."""
        return self.reading_minutes + self.exercise_minutes + self.discussion

    @property
    def over(self) -> bool:
        """Whether the estimate is longer than the lesson's own minutes."""
        return self.minutes > self.budget


def estimate(
    lesson: Lesson, kit: Kit, timing: Timing, level: str, audience: str, *, workshop: bool = True
) -> LessonEstimate:
    """The estimate for one learner of ``audience`` reading ``lesson`` at ``level``: on the workshop
    path (the default) without what is marked fördjupning, else (self-study) everything."""
    frame = [
        lesson.title,
        lesson.why,
        *lesson.questions,
        *lesson.objectives,
        *lesson.discussion.values(),
        *lesson.key_points,
        *lesson.reflection,
    ]
    budget = lesson.minutes if workshop else lesson.self_study_minutes
    est = LessonEstimate(lesson.id, level, audience, budget, timing.read(frame, level), lesson.discussion_minutes)
    for s in lesson.sections:
        if not on_path(s, workshop):
            continue
        reading = timing.read([s.title, s.body, s.examples.get(audience)], level)
        exercises = sum(
            exercise_seconds(kit.exercises[e], timing, level, audience, workshop=workshop)
            for e in s.exercises
            if e in kit.exercises and audience in kit.exercises[e].audience and on_path(kit.exercises[e], workshop)
        )
        est.sections.append(SectionEstimate(s.id, s.minutes, reading, exercises))
    return est


def lesson_estimates(lesson: Lesson, kit: Kit, timing: Timing, *, workshop: bool = True) -> dict[str, LessonEstimate]:
    """Per level, the estimate for the audience whose version takes longest (workshop path by default)."""
    return {
        level: max(
            (estimate(lesson, kit, timing, level, a, workshop=workshop) for a in AUDIENCES), key=lambda e: e.minutes
        )
        for level in LEVELS
    }


def minutes_text(x: float) -> str:
    """Minutes with one decimal and a Swedish decimal comma: 15,4."""
    return f"{x:.1f}".replace(".", ",")


def warning(e: LessonEstimate) -> str | None:
    """The warning for one lesson and level, or None when it fits its minutes and time plan."""
    over = [f"{s.id} {minutes_text(s.minutes)} min mot {s.planned}" for s in e.sections if s.over]
    if not e.over and not over:
        return None
    head = f"Varning: {e.lesson}, {LEVEL_LABELS[e.level]}: "
    parts = []
    if e.over:
        parts.append(f"uppskattningen {minutes_text(e.minutes)} min är mer än lektionens {e.budget} min")
    if over:
        parts.append(f"avsnitt över tidsplanen: {', '.join(over)}")
    return head + "; ".join(parts) + "."


def report(kit: Kit, lesson_ids: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """(lines, warnings) for ``samverkan check``: each lesson's estimate against its time plan.

    Empty when the kit has no valid timing file. Warnings never count as problems.
    """
    timing = kit.data.get("timing")
    if timing is None:
        return [], []
    ids = sorted(kit.lessons) if lesson_ids is None else [i for i in lesson_ids if i in kit.lessons]
    if not ids:
        return [], []
    speeds = " och ".join(f"{timing.speeds[lv].words_per_minute} ord/min i {LEVEL_LABELS[lv]}" for lv in LEVELS)
    lines = [
        f"Uppskattad tid per lektion (läsning med {speeds}, övningar enligt {kit.data_files['timing']}, "
        "diskussion enligt tidsplanen; för den målgrupp vars version tar längst tid). Tiden gäller verkstaden, "
        "som hoppar över det som är märkt fördjupning; i egen takt läser man allt:"
    ]
    warnings = []
    for lid in ids:
        lesson = kit.lessons[lid]
        parts = []
        for level, e in lesson_estimates(lesson, kit, timing).items():
            parts.append(
                f"{LEVEL_LABELS[level]} {minutes_text(e.minutes)} min (läsning {minutes_text(e.reading_minutes)}, "
                f"övningar {minutes_text(e.exercise_minutes)}, diskussion {e.discussion})"
            )
            w = warning(e)
            if w:
                warnings.append(w)
        own = lesson_estimates(lesson, kit, timing, workshop=False)
        alone = ", ".join(f"{LEVEL_LABELS[lv]} {minutes_text(e.minutes)} min" for lv, e in own.items())
        lines.append(f"  {lid}, {lesson.minutes} min enligt tidsplanen: " + "; ".join(parts))
        lines.append(f"    i egen takt, med fördjupning: {alone}")
    return lines, warnings
