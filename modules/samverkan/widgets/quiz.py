"""Quiz widget: one question at a time, feedback per answer, a running score."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import traitlets

from samverkan.content.schema import Question, Quiz, on_path
from samverkan.errors import ParameterError
from samverkan.logic.grading import Feedback, check_answer
from samverkan.render.markdown import Markup, plain
from samverkan.widgets.base import STYLE, AnswerEvent, ExerciseWidget, guard, heading, lean, verdict_html


class MultiChoice(widgets.VBox):
    """Checkboxes, one per choice; ``value`` is the tuple of chosen indices."""

    value = traitlets.Tuple()

    def __init__(self, labels: list[str], **kwargs: Any):
        self.checkboxes = [
            lean(widgets.Checkbox, value=False, description=label, indent=False, layout=dict(width="auto"))
            for label in labels
        ]
        super().__init__(children=self.checkboxes, **kwargs)
        for box in self.checkboxes:
            box.observe(self._sync, names="value")

    def _sync(self, _change: Any = None) -> None:
        self.value = tuple(i for i, b in enumerate(self.checkboxes) if b.value)

    @traitlets.observe("value")
    def _push(self, change: Any) -> None:
        chosen = set(change["new"])
        for i, box in enumerate(self.checkboxes):
            if box.value != (i in chosen):
                box.value = i in chosen


class QuizWidget(ExerciseWidget):
    """A quiz: ``.choices``, ``.check_button``, ``.feedback``, ``.score`` and navigation.

    Questions not meant for ``audience`` are left out, and so are questions marked fördjupning
    when ``workshop`` is true (self-study shows them, marked). ``results`` maps a question id to
    its latest :class:`~samverkan.logic.grading.Feedback`.
    """

    def __init__(self, quiz: Quiz, **kwargs: Any):
        super().__init__(**kwargs)
        self.quiz = quiz
        self.questions: list[Question] = [
            q
            for q in quiz.questions
            if (self.audience is None or self.audience in q.audience) and on_path(q, self.workshop)
        ]
        self.results: dict[str, Feedback] = {}
        self.position = 0
        self.title = lean(widgets.HTML, STYLE + heading(plain(quiz.title, self.level)))
        self.intro = lean(widgets.HTML, self.html(quiz.intro))
        self.progress = lean(widgets.HTML)
        self.prompt = lean(widgets.HTML)
        self.choices: widgets.RadioButtons | MultiChoice = lean(widgets.RadioButtons)
        self.check_button = lean(
            widgets.Button,
            description="Rätta svaret",
            button_style="primary",
            icon="check",
            tooltip="Rätta ditt svar på frågan",
        )
        self.feedback = lean(widgets.HTML)
        self.prev_button = lean(
            widgets.Button, description="Föregående fråga", icon="arrow-left", tooltip="Gå till föregående fråga"
        )
        self.next_button = lean(
            widgets.Button, description="Nästa fråga", icon="arrow-right", tooltip="Gå till nästa fråga"
        )
        self.score = lean(widgets.HTML)
        self.check_button.on_click(self._on_check)
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)
        self.nav = lean(widgets.HBox, [self.prev_button, self.next_button])
        self.choice_box = lean(widgets.VBox)
        if not self.questions:
            self.children = [
                self.title,
                lean(widgets.HTML, "<p>Den här övningen har inga frågor för din målgrupp.</p>"),
            ]
            return
        self.children = [
            self.title,
            self.intro,
            self.progress,
            self.prompt,
            self.choice_box,
            self.check_button,
            self.feedback,
            self.status,
            self.nav,
            self.score,
        ]
        self._show(0)

    def _restore(self, saved: Any) -> None:
        for q in self.questions:
            if q.id not in saved:
                continue
            try:
                self.results[q.id] = check_answer(q, saved[q.id])
            except ParameterError:
                continue
        if self.questions:
            unanswered = [i for i, q in enumerate(self.questions) if q.id not in self.results]
            self._show(unanswered[0] if unanswered else 0)

    def send_unsaved(self) -> None:
        """Send the unsent choices or text (see :meth:`ExerciseWidget.send_unsaved`)."""
        if self.unsaved():
            self._on_check()

    def unsaved(self) -> bool:
        """Whether the question on screen has a choice that has not been checked (Rätta svaret) as it stands."""
        chosen = self._chosen()
        if chosen is None or chosen == ():
            return False
        done = self.results.get(self.question.id)
        if done is None:
            return True
        return tuple(sorted(done.chosen)) != tuple(sorted(chosen if isinstance(chosen, tuple) else (chosen,)))

    @property
    def question(self) -> Question:
        """The question on screen."""
        return self.questions[self.position]

    def _show(self, position: int) -> None:
        self.position = position
        q = self.question
        n = len(self.questions)
        deeper = " · fördjupning" if q.further_study else ""
        self.progress.value = f'<p class="sv-progress">Fråga {position + 1} av {n}{deeper}</p>'
        hint = " <em>(Flera svar kan vara rätt.)</em>" if q.kind == "multiple_choice" else ""
        self.prompt.value = self.html(q.prompt) + (f"<p>{hint}</p>" if hint else "")
        labels = [plain(c.text, self.level) for c in q.choices]
        if q.kind == "single_choice":
            # The tooltip names the group for assistive technology (the workshop server's page script
            # turns it into the radio group's aria-label); the question itself is shown above.
            self.choices = lean(
                widgets.RadioButtons,
                options=labels,
                index=None,
                layout=dict(width="auto"),
                description="",
                tooltip=f"Svar på fråga {position + 1}: {plain(q.prompt, self.level)}"[:300],
            )
        else:
            self.choices = MultiChoice(labels)
        self.choice_box.children = [self.choices]
        previous = self.results.get(q.id)
        if previous is not None:
            if q.kind == "single_choice":
                self.choices.index = previous.chosen[0]
            else:
                self.choices.value = previous.chosen
            self.feedback.value = self._feedback_html(q, previous)
        else:
            self.feedback.value = ""
        self.prev_button.disabled = position == 0
        self.next_button.disabled = position == n - 1
        self._update_score()

    def _chosen(self) -> Any:
        if isinstance(self.choices, MultiChoice):
            return self.choices.value
        return self.choices.index

    def _feedback_html(self, q: Question, fb: Feedback) -> Markup:
        parts: list[Markup] = []
        for text in fb.messages:
            parts.append(self.html(text))
        if fb.missed and not fb.correct:
            parts.append(Markup("<p>Du har missat {} rätt svar.</p>").format(fb.missed))
        if fb.explanation is not None:
            parts.append(self.html(fb.explanation))
        parts.append(Markup(self.legal_note(self.quiz)))
        partly = q.kind == "multiple_choice" and not fb.correct and any(q.choices[i].correct for i in fb.chosen)
        return verdict_html(fb.correct, Markup("").join(parts), partly=partly)

    def _update_score(self) -> None:
        right = sum(fb.correct for fb in self.results.values())
        answered = len(self.results)
        total = len(self.questions)
        self.score.value = f'<p class="sv-progress">Rätt svar: {right} av {total} (besvarade: {answered})</p>'

    @guard
    def _on_check(self, _button: Any = None) -> None:
        chosen = self._chosen()
        if chosen is None or chosen == ():
            raise ParameterError("Välj ett svar innan du rättar.")
        q = self.question
        fb = check_answer(q, chosen)
        self.results[q.id] = fb
        self.feedback.value = self._feedback_html(q, fb)
        self._update_score()
        value = fb.chosen[0] if q.kind == "single_choice" else list(fb.chosen)
        self._emit(AnswerEvent(self.quiz.id, q.id, q.kind, value, fb.correct))

    @guard
    def _on_prev(self, _button: Any = None) -> None:
        if self.position > 0:
            self._show(self.position - 1)

    @guard
    def _on_next(self, _button: Any = None) -> None:
        if self.position < len(self.questions) - 1:
            self._show(self.position + 1)
