"""Samverkansformväljaren as a step-by-step questionnaire.

One question at a time with progress shown, a way back, "Vet inte" on every
question, and a summary that opens with the verdict in one sentence (köp or stöd,
then the form), then the conditions and alternatives, the reasons, red flags, what
to check next and the references. The summary can be downloaded as a self-contained
HTML file (a data: link, so nothing is written on the server).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import ipywidgets as widgets

from samverkan.content import samverkansform as sf
from samverkan.content.datafiles import as_date
from samverkan.errors import ParameterError, ThresholdError
from samverkan.logic import decision
from samverkan.render.decision import answers_html, summary_document, summary_html
from samverkan.render.markdown import Markup, escape, to_html
from samverkan.widgets.base import STYLE, AnswerEvent, ExerciseWidget, guard, heading

TOOL_ID = "samverkansformvaljaren"


def _parse_number(text: str) -> float | None:
    raw = text.strip().lower().replace("kr", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ParameterError(
            "Skriv beloppet med siffror, till exempel 450 000, eller lämna rutan tom om du inte vet."
        ) from None
    if value < 0 or value != value or value > 1e12:
        raise ParameterError("Beloppet ska vara 0 eller större.")
    return value


def _parse_date(text: str) -> dt.date | None:
    if not text.strip():
        return None
    day = as_date(text)
    if day is None:
        raise ParameterError("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-01-15, eller lämna rutan tom.")
    return day


class SamverkansformWidget(ExerciseWidget):
    """Named parts: ``.progress_bar``, ``.question``, ``.choice`` (RadioButtons), ``.entry`` (Text),
    ``.back_button``, ``.next_button``, ``.result_button``, ``.restart_button``, ``.summary``,
    ``.download``."""

    def __init__(self, model: sf.Model, periods: list, *, today: dt.date | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.model, self.periods = model, periods
        self.today = today or dt.date.today()
        self.answers: dict[str, Any] = {}
        self.index = 0
        self.outcome: decision.Outcome | None = None
        current = next((p for p in periods if p.covers(self.today)), None)
        valid = (
            f"Beloppsgränserna kommer från kitets tabell; i dag gäller perioden {current.label}."
            if current
            else "Kitets tabell över beloppsgränser täcker inte dagens datum."
        )
        self.title = widgets.HTML(STYLE + heading("Samverkansformväljaren"))
        self.intro = widgets.HTML(
            "<p>Svara på frågorna om en samverkan ni planerar. Verktyget säger först om det är ett köp "
            "eller ett stöd, och föreslår sedan en form (upphandling, valfrihetssystem, bidrag eller IOP) "
            "med de villkor förslaget bygger på och skälen. "
            "<strong>Vet inte</strong> är alltid ett giltigt svar. Du kan gå tillbaka och ändra, "
            f'eller visa resultatet när som helst.</p><p class="sv-legal"><em>{escape(sf.DISCLAIMER)} '
            f"{escape(valid)}</em></p>"
        )
        n = len(model.questions)
        self.progress_bar = widgets.IntProgress(
            value=0, min=0, max=n, description="Framsteg:", style={"description_width": "initial"}
        )
        self.progress_text = widgets.HTML()
        self.question = widgets.HTML()
        self.choice = widgets.RadioButtons(
            options=[],
            index=None,
            description="Ditt svar:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self.entry = widgets.Text(value="", description="Ditt svar:", style={"description_width": "initial"})
        self.back_button = widgets.Button(
            description="Föregående", icon="arrow-left", tooltip="Gå till föregående fråga"
        )
        self.next_button = widgets.Button(
            description="Nästa",
            button_style="primary",
            icon="arrow-right",
            tooltip="Spara svaret och gå till nästa fråga",
        )
        self.result_button = widgets.Button(
            description="Visa resultat",
            icon="flag-checkered",
            tooltip="Visa förslaget utifrån svaren hittills; obesvarade frågor räknas som vet inte",
        )
        self.restart_button = widgets.Button(
            description="Börja om", icon="refresh", tooltip="Töm alla svar och börja om"
        )
        self.summary = widgets.HTML()
        self.download = widgets.HTML()
        self.back_button.on_click(self._on_back)
        self.next_button.on_click(self._on_next)
        self.result_button.on_click(self._on_result)
        self.restart_button.on_click(self._on_restart)
        self.step_box = widgets.VBox()
        self.buttons = widgets.HBox([self.back_button, self.next_button, self.result_button, self.restart_button])
        self.children = [
            self.title,
            self.intro,
            self.progress_bar,
            self.progress_text,
            self.step_box,
            self.status,
            self.buttons,
            self.summary,
            self.download,
        ]
        self._render()

    # -- navigation -----------------------------------------------------------
    @property
    def current(self) -> sf.QuestionDef:
        """The question on screen."""
        return self.model.questions[self.index]

    def _render(self) -> None:
        q = self.current
        n = len(self.model.questions)
        self.progress_bar.value = self.index
        self.progress_text.value = f'<p class="sv-progress" role="status">Fråga {self.index + 1} av {n}</p>'
        help_html = to_html(q.help, self.level, self.sources) if q.help else ""
        self.question.value = (
            f'<div class="sv-box"><p><strong>{escape(q.question.get(self.level))}</strong></p>{help_html}</div>'
        )
        saved = self.answers.get(q.key)
        if q.kind in ("yesno", "choice"):
            self.choice.options = [o.label for o in q.options]
            values = [o.value for o in q.options]
            self.choice.index = values.index(saved) if saved in values else None
            self.step_box.children = [self.question, self.choice]
        else:
            if q.kind == "number":
                self.entry.placeholder = "till exempel 450 000 (tomt = vet inte)"
                self.entry.value = "" if saved is None else f"{int(saved):,}".replace(",", " ")
            else:
                self.entry.placeholder = "ÅÅÅÅ-MM-DD (tomt = vet inte)"
                self.entry.value = saved.isoformat() if saved else self.today.isoformat()
            self.step_box.children = [self.question, self.entry]
        self.back_button.disabled = self.index == 0
        self.next_button.description = "Nästa" if self.index < n - 1 else "Visa resultat"

    def _store(self) -> None:
        q = self.current
        if q.kind in ("yesno", "choice"):
            if self.choice.index is None:
                raise ParameterError("Välj ett svar, eller välj Vet inte.")
            value = q.options[self.choice.index].value
            if value == sf.UNKNOWN:
                self.answers.pop(q.key, None)
            else:
                self.answers[q.key] = value
        else:
            value = _parse_number(self.entry.value) if q.kind == "number" else _parse_date(self.entry.value)
            if value is None:
                self.answers.pop(q.key, None)
            else:
                self.answers[q.key] = value

    @guard
    def _on_next(self, _button: Any = None) -> None:
        self._store()
        if self.index < len(self.model.questions) - 1:
            self.index += 1
            self._render()
        else:
            self.show_result()

    @guard
    def _on_back(self, _button: Any = None) -> None:
        if self.index > 0:
            self.index -= 1
            self.summary.value = self.download.value = ""
            self._render()

    @guard
    def _on_result(self, _button: Any = None) -> None:
        q = self.current
        answered_here = (self.choice.index is not None) if q.kind in ("yesno", "choice") else True
        if answered_here:
            self._store()
        self.show_result()

    @guard
    def _on_restart(self, _button: Any = None) -> None:
        self.answers.clear()
        self.index = 0
        self.outcome = None
        self.summary.value = self.download.value = ""
        self._render()

    # -- the result -------------------------------------------------------------
    def show_result(self) -> decision.Outcome:
        """Decide from the answers, show the verdict and a download link, pass it to ``on_answer``; returns it."""
        answers, problems = sf.check_answers(self.answers, self.model, "svaren")
        if problems:
            raise ParameterError(problems[0].message)
        try:
            self.outcome = decision.decide(answers, self.model, self.periods, self.sources, level=self.level)
        except ThresholdError as exc:
            raise ParameterError(str(exc)) from None
        self.progress_bar.value = len(self.model.questions)
        self.summary.value = f'<div class="sv-box" role="status">{self.summary_html()}</div>'
        doc = self.summary_document()
        href = "data:text/html;charset=utf-8;base64," + base64.b64encode(doc.encode("utf-8")).decode("ascii")
        self.download.value = (
            f'<p><a download="samverkansform-sammanfattning.html" href="{href}">'
            "Spara sammanfattningen som HTML-fil</a></p>"
        )
        self._emit(
            AnswerEvent(
                TOOL_ID,
                TOOL_ID,
                "samverkansform",
                self.outcome.form,
                None,
                {"procedure": self.outcome.procedure, "category": self.outcome.category},
            )
        )
        return self.outcome

    def summary_html(self) -> Markup:
        """The outcome as HTML (empty before a result)."""
        if self.outcome is None:
            return Markup("")
        return summary_html(self.outcome, self.model, self.level, self.sources)

    def answers_html(self) -> Markup:
        """The answers so far as a table."""
        return answers_html(self.answers, self.model, self.level)

    def summary_document(self) -> str:
        """A self-contained HTML page with the answers and the summary."""
        if self.outcome is None:
            self.show_result()
        assert self.outcome is not None
        return summary_document(self.outcome, self.model, self.answers, self.level, self.sources, self.today)
