"""Scenario widget: a situation, choices with consequences, and an ending that explains."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from samverkan.content.schema import RATING_LABELS, Scenario
from samverkan.errors import ParameterError
from samverkan.logic.grading import ScenarioRun
from samverkan.render.markdown import Markup, plain
from samverkan.widgets.base import STYLE, AnswerEvent, ExerciseWidget, guard, heading, lean


class ScenarioWidget(ExerciseWidget):
    """Named parts: ``.situation``, ``.choices``, ``.choose_button``, ``.consequence``,
    ``.continue_button``, ``.back_button``, ``.restart_button``, ``.outcome``.
    """

    def __init__(self, scenario: Scenario, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.run = ScenarioRun(scenario)
        self.title = lean(widgets.HTML, STYLE + heading(plain(scenario.title, self.level)))
        self.intro = lean(widgets.HTML, self.html(scenario.intro))
        self.progress = lean(widgets.HTML)
        self.situation = lean(widgets.HTML)
        self.choices = lean(
            widgets.RadioButtons,
            options=[],
            index=None,
            layout=dict(width="auto"),
            tooltip="Vad gör du? Välj ett alternativ",
        )
        self.choose_button = lean(
            widgets.Button,
            description="Välj",
            button_style="primary",
            icon="check",
            tooltip="Välj det markerade alternativet",
        )
        self.consequence = lean(widgets.HTML)
        self.continue_button = lean(
            widgets.Button, description="Fortsätt", icon="arrow-right", tooltip="Gå vidare i scenariot"
        )
        self.back_button = lean(
            widgets.Button, description="Ångra senaste valet", icon="undo", tooltip="Gå tillbaka ett steg"
        )
        self.restart_button = lean(
            widgets.Button, description="Börja om", icon="refresh", tooltip="Börja om scenariot från början"
        )
        self.outcome = lean(widgets.HTML)
        self.choose_button.on_click(self._on_choose)
        self.continue_button.on_click(self._on_continue)
        self.back_button.on_click(self._on_back)
        self.restart_button.on_click(self._on_restart)
        self.body = lean(widgets.VBox)
        self.children = [
            self.title,
            self.intro,
            self.progress,
            self.body,
            self.status,
            lean(widgets.HBox, [self.back_button, self.restart_button]),
        ]
        self._render_step()

    def _restore(self, saved: Any) -> None:
        """Replay the saved choice at each step from the start, as far as the saved answers go."""
        seen = set()
        while not self.run.step.is_outcome and self.run.current in saved and self.run.current not in seen:
            seen.add(self.run.current)
            try:
                self.run.choose(saved[self.run.current])
            except ParameterError:
                break
        self._render_step()

    def _render_step(self) -> None:
        step = self.run.step
        done = len(self.run.path)
        self.back_button.disabled = done == 0
        if step.is_outcome:
            self.progress.value = f'<p class="sv-progress">Slut på scenariot efter {done} val.</p>'
            rating = RATING_LABELS.get(step.rating or "", "Utfall")
            self.outcome.value = (
                f'<div class="sv-box" role="status"><p><strong>{rating}:</strong></p>'
                f"{self.html(step.outcome)}{self.html(step.explanation)}{self.legal_note(self.scenario)}"
                f"{self._path_summary()}</div>"
            )
            self.body.children = [self.outcome]
            return
        self.progress.value = f'<p class="sv-progress">Val {done + 1}</p>'
        self.situation.value = self.html(step.situation)
        self.choices.options = [plain(c.text, self.level) for c in step.choices]
        self.choices.index = None
        self.consequence.value = ""
        self.body.children = [self.situation, self.choices, self.choose_button]

    def _path_summary(self) -> str:
        if not self.run.path:
            return ""
        items = []
        for step_id, index in self.run.path:
            choice = self.scenario.step(step_id).choices[index]
            items.append(Markup("<li>{}</li>").format(plain(choice.text, self.level)))
        return Markup("<p>Dina val:</p><ol>{}</ol>").format(Markup("").join(items))

    @guard
    def _on_choose(self, _button: Any = None) -> None:
        if self.choices.index is None:
            raise ParameterError("Välj ett alternativ först.")
        step_id = self.run.current
        index = self.choices.index
        consequence = self.run.choose(index)
        self.consequence.value = f'<div class="sv-box" role="status">{self.html(consequence)}</div>'
        self.body.children = [self.situation, self.consequence, self.continue_button]
        self.back_button.disabled = False
        nxt = self.run.step
        self._emit(
            AnswerEvent(
                self.scenario.id,
                step_id,
                "scenario",
                index,
                None,
                {"outcome": nxt.id, "rating": nxt.rating} if nxt.is_outcome else {},
            )
        )

    @guard
    def _on_continue(self, _button: Any = None) -> None:
        self._render_step()

    @guard
    def _on_back(self, _button: Any = None) -> None:
        self.run.back()
        self._render_step()

    @guard
    def _on_restart(self, _button: Any = None) -> None:
        self.run.restart()
        self._render_step()
