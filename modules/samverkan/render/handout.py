"""Exercises and tools as static HTML, for printed or mailed handouts.

``samverkan build`` runs the lesson notebooks with ``SAMVERKAN_HANDOUT=1``.
Then :class:`~samverkan.apps.lesson.LessonView` shows each exercise as two HTML
outputs instead of a widget:

* the learner part: the questions with empty boxes to tick, the matching
  table, the scenario's situations and choices, lines to write on;
* the answer key (``facit``): right answers, feedback, the scenario's
  consequences and ratings. Its output carries the metadata
  ``{"samverkan": {"part": "facit"}}`` so the learner handout leaves it out.

Every text is escaped or rendered from Markdown with HTML escaped, as in the
widgets: HTML in a content file is never executed.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable, Mapping
from typing import Any

from samverkan.content.schema import (
    AUDIENCE_LABELS,
    AUDIENCES,
    RATING_LABELS,
    Exercise,
    FreeText,
    Matching,
    Quiz,
    Scenario,
    Source,
    Text,
)
from samverkan.render.markdown import escape, to_html

HANDOUT_ENV = "SAMVERKAN_HANDOUT"
FACIT = {"samverkan": {"part": "facit"}}
LETTERS = string.ascii_uppercase

LEGAL = (
    '<p class="sv-legal"><em>Utbildning, inte juridisk rådgivning: bedöm alltid det enskilda fallet '
    "med stöd av er upphandlings- eller juristfunktion.</em></p>"
)


def handout_mode() -> bool:
    """Whether lessons render for a handout (set by ``samverkan build`` for its kernels)."""
    return os.environ.get(HANDOUT_ENV, "") not in ("", "0")


class _Render:
    def __init__(self, level: str, audience: str, sources: Mapping[str, Source] | None):
        self.level, self.audience, self.sources = level, audience, sources or {}

    def html(self, text: Text | str | None) -> str:
        return to_html(text, self.level, self.sources)

    def inline(self, text: Text | str | None) -> str:
        """Markdown for a short text, without the paragraph around it."""
        out = self.html(text)
        if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
            out = out[3:-4]
        return out


def _frame(kind: str, title: str, body: str, *, facit: bool = False, further: bool = False) -> str:
    cls = "sv-handout-facit" if facit else "sv-handout-exercise"
    kicker = ("Facit" if facit else "Övning") + (" · fördjupning" if further else "")
    return (
        f'<section class="{cls}" data-kind="{kind}"><p class="sv-kicker">{kicker}</p><h3>{title}</h3>{body}</section>'
    )


def exercise_parts(
    ex: Exercise, level: str, audience: str, sources: Mapping[str, Source] | None = None
) -> tuple[str, str]:
    """The learner's part and the answer key of one exercise, as HTML."""
    r = _Render(level, audience, sources)
    title = escape(ex.title.get(level))
    if audience not in ex.audience:
        others = " och ".join(AUDIENCE_LABELS[a] for a in AUDIENCES if a in ex.audience)
        note = f"<p><em>Den här övningen är skriven för {others}. Du kan hoppa över den.</em></p>"
        return _frame(ex.kind, title, note), ""
    learner, key = PARTS[ex.kind](ex, r)
    if getattr(ex, "legal", False) and key:
        key += LEGAL
    return _frame(ex.kind, title, learner, further=ex.further_study), (
        _frame(ex.kind, title, key, facit=True, further=ex.further_study) if key else ""
    )


def _quiz(ex: Quiz, r: _Render) -> tuple[str, str]:
    learner = [r.html(ex.intro)] if ex.intro else []
    key = []
    questions = [q for q in ex.questions if r.audience in q.audience]
    for n, q in enumerate(questions, 1):
        how = "Välj ett svar." if q.kind == "single_choice" else "Välj ett eller flera svar."
        options = "".join(
            f'<li><span class="sv-box-tick" aria-hidden="true">☐</span> '
            f"<strong>{LETTERS[i]}.</strong> {r.inline(c.text)}</li>"
            for i, c in enumerate(q.choices)
        )
        deeper = " (fördjupning)" if q.further_study else ""
        learner.append(
            f'<div class="sv-question"><p><strong>{n}. {r.inline(q.prompt)}</strong> '
            f'<em>{how}{deeper}</em></p><ul class="sv-options">{options}</ul></div>'
        )
        right = ", ".join(LETTERS[i] for i in sorted(q.correct_indices))
        feedback = "".join(
            f"<li><strong>{LETTERS[i]} {'✓' if c.correct else '✗'}</strong>"
            + (f": {r.inline(c.feedback)}" if c.feedback else "")
            + "</li>"
            for i, c in enumerate(q.choices)
        )
        expl = r.html(q.explanation) if q.explanation else ""
        key.append(
            f'<div class="sv-question"><p><strong>{n}. Rätt svar: {right}</strong></p><ul>{feedback}</ul>{expl}</div>'
        )
    return "".join(learner), "".join(key)


def _matching(ex: Matching, r: _Render) -> tuple[str, str]:
    cats = "".join(f"<li><strong>{LETTERS[i]}.</strong> {r.inline(c.label)}</li>" for i, c in enumerate(ex.categories))
    rows = "".join(
        f'<tr><td>{n}.</td><td>{r.inline(it.text)}</td><td class="sv-write"></td></tr>'
        for n, it in enumerate(ex.items, 1)
    )
    learner = (
        f'{r.html(ex.prompt)}<p><strong>Välj bland:</strong></p><ul class="sv-options">{cats}</ul>'
        f'<table class="sv-table"><thead><tr><th scope="col">Nr</th><th scope="col">Påstående</th>'
        f'<th scope="col">Ditt svar (bokstav)</th></tr></thead><tbody>{rows}</tbody></table>'
    )
    letter = {c.id: LETTERS[i] for i, c in enumerate(ex.categories)}
    key_rows = "".join(
        f"<tr><td>{n}.</td><td><strong>{letter[it.category]}</strong> {r.inline(ex.category(it.category).label)}</td>"
        f"<td>{r.inline(it.feedback) if it.feedback else ''}</td></tr>"
        for n, it in enumerate(ex.items, 1)
    )
    key = (
        f'<table class="sv-table"><thead><tr><th scope="col">Nr</th><th scope="col">Rätt svar</th>'
        f'<th scope="col">Återkoppling</th></tr></thead><tbody>{key_rows}</tbody></table>'
    )
    return learner, key


def _scenario_order(ex: Scenario) -> list:
    """Steps in reading order: breadth first from the start, then any the graph does not reach."""
    order, seen, queue = [], set(), [ex.start]
    while queue:
        sid = queue.pop(0)
        if sid in seen:
            continue
        seen.add(sid)
        step = ex.step(sid)
        order.append(step)
        queue.extend(c.next for c in step.choices)
    return order + [s for s in ex.steps if s.id not in seen]


def _scenario(ex: Scenario, r: _Render) -> tuple[str, str]:
    steps = _scenario_order(ex)
    situations = [s for s in steps if not s.is_outcome]
    endings = [s for s in steps if s.is_outcome]
    label = {s.id: f"läge {n}" for n, s in enumerate(situations, 1)}
    label.update({s.id: f"slut {n}" for n, s in enumerate(endings, 1)})
    learner = [r.html(ex.intro)] if ex.intro else []
    learner.append("<p><em>Börja i läge 1. Välj tillsammans och gå vidare dit valet leder.</em></p>")
    key = []
    for s in situations:
        choices = "".join(
            f"<li><strong>{LETTERS[i]}.</strong> {r.inline(c.text)} → <em>{label[c.next]}</em></li>"
            for i, c in enumerate(s.choices)
        )
        learner.append(
            f'<div class="sv-step"><h4>{label[s.id].capitalize()}</h4>{r.html(s.situation)}'
            f'<ul class="sv-options">{choices}</ul></div>'
        )
        consequences = "".join(
            f"<li><strong>{LETTERS[i]}</strong> ({r.inline(c.text)}): {r.inline(c.consequence)} "
            f"→ <em>{label[c.next]}</em></li>"
            for i, c in enumerate(s.choices)
        )
        key.append(
            f'<div class="sv-step"><h4>{label[s.id].capitalize()}: vad varje val leder till</h4>'
            f"<ul>{consequences}</ul></div>"
        )
    for s in endings:
        learner.append(f'<div class="sv-step"><h4>{label[s.id].capitalize()}</h4>{r.html(s.outcome)}</div>')
        rating = RATING_LABELS.get(s.rating or "", "")
        key.append(
            f'<div class="sv-step"><h4>{label[s.id].capitalize()}: {escape(rating)}</h4>'
            f"{r.html(s.explanation) if s.explanation else ''}</div>"
        )
    return "".join(learner), "".join(key)


def _free_text(ex: FreeText, r: _Render) -> tuple[str, str]:
    guidance = f'<p class="sv-progress">{r.inline(ex.guidance)}</p>' if ex.guidance else ""
    learner = (
        f"{r.html(ex.prompt)}{guidance}"
        '<div class="sv-write-area" aria-label="Plats för ditt svar"></div>'
        '<p class="sv-progress">Skriv inte namn på personer.</p>'
    )
    return learner, ""


# The learner's part and the answer key, one function per exercise kind (EXERCISE_KINDS).
PARTS: dict[str, Callable[[Any, _Render], tuple[str, str]]] = {
    "quiz": _quiz,
    "matching": _matching,
    "scenario": _scenario,
    "free_text": _free_text,
}


def glossary_html(terms: Mapping, level: str, sources: Mapping[str, Source] | None) -> str:
    """The whole glossary as a definition list (the same text as the searchable widget)."""
    from samverkan.content.datafiles import swedish_key

    r = _Render(level, AUDIENCES[0], sources)
    items = []
    for t in sorted(terms.values(), key=lambda t: swedish_key(t.term)):
        cite = "; ".join(escape(r.sources[s].short) for s in t.sources if s in r.sources)
        cite = f' <span class="sv-progress">({cite})</span>' if cite else ""
        items.append(f"<dt><strong>{escape(t.term)}</strong></dt><dd>{r.html(t.definition)}{cite}</dd>")
    return f'<section class="sv-handout-block"><h3>Ordlista</h3><dl class="sv-glossary">{"".join(items)}</dl></section>'


def decision_tool_html(model, level: str, sources: Mapping[str, Source] | None) -> str:  # noqa: ANN001
    """Where to find Samverkansformväljaren, and the questions it asks (for discussion on paper)."""
    questions = "".join(f"<li>{escape(q.question.get(level))}</li>" for q in model.questions)
    return (
        '<section class="sv-handout-block"><h3>Samverkansformväljaren</h3>'
        "<p>Samverkansformväljaren är ett verktyg i kitet. Den föreslår bidrag, IOP, upphandling eller "
        "valfrihetssystem och visar skälen. Använd den i Jupyter (<code>samverkansformvaljaren.ipynb</code>), "
        "i verkstadens app eller med kommandot <code>samverkan samverkansform svar.yaml</code>. "
        "Svaret <em>vet inte</em> är alltid tillåtet.</p>"
        f"<p>Frågorna som verktyget ställer:</p><ol>{questions}</ol>{LEGAL}</section>"
    )
