"""Matching widget: put each statement in the right category (for example a role)."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from samverkan.content.schema import Matching
from samverkan.errors import ParameterError
from samverkan.logic.grading import MatchingScore, grade_matching
from samverkan.render.markdown import Markup, plain
from samverkan.widgets.base import (
    STYLE,
    AnswerEvent,
    ExerciseWidget,
    PlaceholderDropdown,
    guard,
    heading,
    lean,
    verdict_html,
)

PLACEHOLDER = "Välj …"


class MatchingWidget(ExerciseWidget):
    """Named parts: ``.dropdowns`` (one per item), ``.check_button``, ``.item_feedback``, ``.score``."""

    def __init__(self, exercise: Matching, **kwargs: Any):
        super().__init__(**kwargs)
        self.exercise = exercise
        self.result: MatchingScore | None = None
        self.graded: dict[str, str | None] | None = None  # the choices as they were last graded (sent)
        options = [(PLACEHOLDER, None)] + [(plain(c.label, self.level), c.id) for c in exercise.categories]
        self.title = lean(widgets.HTML, STYLE + heading(plain(exercise.title, self.level)))
        self.prompt = lean(widgets.HTML, self.html(exercise.prompt))
        self.dropdowns: list[widgets.Dropdown] = []
        self.item_feedback: list[widgets.HTML] = []
        rows = []
        for n, item in enumerate(exercise.items, start=1):
            text = lean(widgets.HTML, Markup("<p><strong>{}.</strong> {}</p>").format(n, plain(item.text, self.level)))
            dropdown = lean(
                PlaceholderDropdown,  # "Välj …" is shown until a category is chosen
                options=options,
                value=None,
                description=f"Påstående {n}:",
                tooltip=plain(item.text, self.level),
                style={"description_width": "initial"},
                layout=dict(width="max-content"),
            )
            feedback = lean(widgets.HTML)
            self.dropdowns.append(dropdown)
            self.item_feedback.append(feedback)
            rows.append(lean(widgets.VBox, [text, dropdown, feedback], layout=dict(margin="0 0 .6em 0")))
        self.items_box = lean(widgets.VBox, rows)
        self.check_button = lean(
            widgets.Button, description="Rätta", button_style="primary", icon="check", tooltip="Rätta alla dina val"
        )
        self.reset_button = lean(
            widgets.Button, description="Börja om", icon="refresh", tooltip="Töm alla val och börja om"
        )
        self.score = lean(widgets.HTML)
        self.check_button.on_click(self._on_check)
        self.reset_button.on_click(self._on_reset)
        self.children = [
            self.title,
            self.prompt,
            self.items_box,
            lean(widgets.HBox, [self.check_button, self.reset_button]),
            self.status,
            self.score,
        ]

    def assignments(self) -> dict[str, str | None]:
        """The category chosen for each item, by item id (None: not chosen yet)."""
        return {item.id: dd.value for item, dd in zip(self.exercise.items, self.dropdowns)}

    def send_unsaved(self) -> None:
        """Send the unsent choices or text (see :meth:`ExerciseWidget.send_unsaved`)."""
        if self.unsaved():
            self._on_check()

    def unsaved(self) -> bool:
        """Whether categories are chosen that have not been graded (and so not sent) as they stand."""
        now = self.assignments()
        return any(v is not None for v in now.values()) and now != self.graded

    def _restore(self, saved: Any) -> None:
        chosen = saved.get(self.exercise.id)
        if not isinstance(chosen, dict):
            return
        known = {c.id for c in self.exercise.categories}
        for item, dd in zip(self.exercise.items, self.dropdowns):
            if chosen.get(item.id) in known:
                dd.value = chosen[item.id]
        if any(dd.value is not None for dd in self.dropdowns):
            self._grade(emit=False)

    @guard
    def _on_check(self, _button: Any = None) -> None:
        self._grade(emit=True)

    def _grade(self, *, emit: bool) -> None:
        answers = self.assignments()
        if all(v is None for v in answers.values()):
            raise ParameterError("Gör minst ett val innan du rättar.")
        result = grade_matching(self.exercise, answers)
        self.result = result
        self.graded = answers
        for item, res, fb in zip(self.exercise.items, result.results, self.item_feedback):
            if res.chosen is None:
                fb.value = '<div class="sv-feedback" role="status">Inget val ännu.</div>'
                continue
            right = plain(self.exercise.category(item.category).label, self.level)
            body = Markup("") if res.correct else Markup("Rätt svar: <strong>{}</strong>.").format(right)
            body += self.html(item.feedback) if item.feedback else Markup("")
            fb.value = verdict_html(res.correct, body)
        self.score.value = (
            f'<p class="sv-progress">Rätt: {result.score} av {result.total}'
            f" (besvarade: {result.answered})</p>{self.legal_note(self.exercise)}"
        )
        if emit:
            self._emit(
                AnswerEvent(
                    self.exercise.id,
                    self.exercise.id,
                    "matching",
                    {k: v for k, v in answers.items() if v is not None},
                    result.score == result.total,
                    {"score": result.score, "total": result.total},
                )
            )

    @guard
    def _on_reset(self, _button: Any = None) -> None:
        for dd, fb in zip(self.dropdowns, self.item_feedback):
            dd.value = None  # "Välj …"
            fb.value = ""
        self.score.value = ""
        self.result = None
        self.graded = None
