"""Free-text widget: a reflection answer, size-limited, with guidance after sending."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from samverkan.content.schema import FreeText
from samverkan.errors import ParameterError
from samverkan.render.markdown import escape, plain
from samverkan.widgets.base import STYLE, AnswerEvent, ExerciseWidget, guard, heading, lean


class FreeTextWidget(ExerciseWidget):
    """Named parts: ``.answer`` (Textarea), ``.submit_button``, ``.counter``, ``.guidance``."""

    def __init__(self, exercise: FreeText, *, saved_note: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.exercise = exercise
        self.sent = ""  # the text as last sent
        self.title = lean(widgets.HTML, STYLE + heading(plain(exercise.title, self.level)))
        self.prompt = lean(widgets.HTML, self.html(exercise.prompt))
        self.answer = lean(
            widgets.Textarea,
            value="",
            placeholder="Skriv ditt svar här. Skriv inga namn eller personuppgifter.",
            description="Ditt svar:",
            style={"description_width": "initial"},
            layout=dict(width="100%", height="7em"),
        )
        self.counter = lean(widgets.HTML)
        self.submit_button = lean(
            widgets.Button,
            description="Skicka svar",
            button_style="primary",
            icon="paper-plane",
            tooltip="Skicka ditt svar",
        )
        self.guidance = lean(widgets.HTML)
        self.saved_note = saved_note or "Ditt svar sparas inte; det finns bara på den här sidan."
        self.answer.observe(self._on_type, names="value")
        self.submit_button.on_click(self._on_submit)
        self._on_type()
        self.children = [
            self.title,
            self.prompt,
            self.answer,
            self.counter,
            self.submit_button,
            self.status,
            self.guidance,
        ]

    @guard
    def _on_type(self, _change: Any = None) -> None:
        n, limit = len(self.answer.value), self.exercise.max_length
        over = " – för långt, korta texten" if n > limit else ""
        self.counter.value = f'<p class="sv-progress">{n} av högst {limit} tecken{over}</p>'

    def send_unsaved(self) -> None:
        """Send the unsent choices or text (see :meth:`ExerciseWidget.send_unsaved`)."""
        if self.unsaved():
            self._on_submit()

    def unsaved(self) -> bool:
        """Whether the box holds text that has not been sent as it stands."""
        text = self.answer.value.strip()
        return bool(text) and text != self.sent

    def _restore(self, saved: Any) -> None:
        text = saved.get(self.exercise.id)
        if isinstance(text, str) and text.strip():
            self.answer.value = text[: self.exercise.max_length]
            self.sent = self.answer.value.strip()
            self._show_guidance("Ditt sparade svar står i rutan. Du kan ändra det och skicka igen.")

    def _show_guidance(self, message: str) -> None:
        body = f"<p><strong>Tack!</strong> {escape(message)}</p>"
        if self.exercise.guidance is not None:
            body += f"<p><strong>Att tänka på:</strong></p>{self.html(self.exercise.guidance)}"
        self.guidance.value = f'<div class="sv-box" role="status">{body}</div>'

    @guard
    def _on_submit(self, _button: Any = None) -> None:
        text = self.answer.value.strip()
        if not text:
            raise ParameterError("Skriv något innan du skickar.")
        if len(text) > self.exercise.max_length:
            raise ParameterError(f"Svaret är för långt ({len(text)} tecken). Högst {self.exercise.max_length} tecken.")
        self.status.value = ""
        self._emit(AnswerEvent(self.exercise.id, self.exercise.id, "free_text", text))
        if self.status.value:
            return  # the host could not store it: the status line says why; no thanks
        self.sent = text
        self._show_guidance(self.saved_note)
