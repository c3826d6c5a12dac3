"""Samverkansformväljaren's outcome as HTML: for the widget, its downloadable summary and ``--html``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from samverkan.content.samverkansform import Model
from samverkan.content.schema import Source
from samverkan.logic.decision import Outcome, join_phrases, kronor
from samverkan.render.markdown import Markup, escape, to_html
from samverkan.render.page import page

SUMMARY_CSS = Markup(
    "body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5;color:#111}"
    "th,td{text-align:left;vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ccc}"
)


def summary_html(o: Outcome, model: Model, level: str, sources: Mapping[str, Source]) -> Markup:
    """The outcome as HTML: the verdict first, then conditions, alternatives, reasons, flags and sources."""

    def md(text: Any) -> Markup:
        return to_html(text, level, sources)

    # The verdict first, in one sentence; then the conditions it rests on and the alternatives.
    parts = [f'<h4 class="sv-verdict">Förslag: {escape(o.verdict)}</h4>']
    if o.conditions:
        parts.append(
            "<h5>Förslaget förutsätter</h5><ul>" + "".join(f"<li>{escape(c)}</li>" for c in o.conditions) + "</ul>"
        )
    if o.alternatives:
        items = "".join(
            f"<li><strong>{escape(a['label'])}</strong>"
            + (f", {escape(join_phrases(a['conditions']))}" if a["conditions"] else "")
            + "</li>"
            for a in o.details["alternatives"]
        )
        parts.append(f"<h5>Alternativ</h5><ul>{items}</ul>")
    parts.append(md(o.summary))
    if o.procedure:
        label = model.procedures[o.procedure].label
        parts.append(f"<p><strong>Förfarande: {escape(label)}.</strong></p>{md(o.procedure_text or '')}")
    if o.reasons:
        parts.append("<h5>Därför</h5><ul>" + "".join(f"<li>{md(r)}</li>" for r in o.reasons) + "</ul>")
    if o.depends_on:
        items = "".join(f"<li>{escape(d['question'])}</li>" for d in o.details["depends_on"])
        parts.append(f"<h5>Det beror på</h5><p>Svara på de här frågorna för att avgöra formen:</p><ul>{items}</ul>")
    if o.red_flags:
        items = "".join(
            f"<li><strong>⚠ {escape(r['label'])}.</strong> {md(r['text'])}</li>" for r in o.details["red_flags"]
        )
        parts.append(f"<h5>Varningssignaler</h5><ul>{items}</ul>")
    possible = o.details.get("reserved_possible", [])
    if o.reserved_options or possible:
        items = "".join(
            f"<li><strong>{escape(r['label'])}.</strong> {md(r['text'])}</li>" for r in o.details["reserved_options"]
        )
        items += "".join(
            f"<li><strong>{escape(r['label'])}</strong>, {escape(join_phrases(r['conditions']))}. {md(r['text'])}</li>"
            for r in possible
        )
        parts.append(f"<h5>Reserverad upphandling som kan vara möjlig</h5><ul>{items}</ul>")
    if o.checks:
        parts.append("<h5>Kontrollera också</h5><ul>" + "".join(f"<li>{md(c)}</li>" for c in o.checks) + "</ul>")
    refs = "".join(
        f"<li>{escape(r['short'])}: {escape(r['reference'])}"
        + (f' <a href="{escape(r["url"])}">{escape(r["url"])}</a>' if r.get("url") else "")
        + "</li>"
        for r in o.references
    )
    parts.append(f"<h5>Källor</h5><ul>{refs}</ul>")
    parts.append(f'<p class="sv-legal"><em>{escape(o.disclaimer)}</em></p>')
    return Markup("".join(parts))


def answers_html(answers: Mapping[str, Any], model: Model, level: str) -> Markup:
    """The answers as a table of question and answer ("Vet inte" for none)."""
    rows = []
    for q in model.questions:
        value = answers.get(q.key)
        if value is None:
            shown = "Vet inte"
        elif q.kind in ("yesno", "choice"):
            opt = q.option(value)
            shown = opt.label if opt else str(value)
        elif q.kind == "number":
            shown = kronor(value)
        else:
            shown = value.isoformat()
        rows.append(f'<tr><th scope="row">{escape(q.question.get(level))}</th><td>{escape(shown)}</td></tr>')
    return Markup(
        '<table><thead><tr><th scope="col">Fråga</th><th scope="col">Svar</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def summary_document(
    o: Outcome, model: Model, answers: Mapping[str, Any], level: str, sources: Mapping[str, Source], today: dt.date
) -> str:
    """A self-contained HTML page with the summary and the answers, dated ``today``."""
    body = Markup("<h1>Samverkansformväljaren</h1><p>Skapad {}.</p><h2>Resultat</h2>{}<h2>Svaren</h2>{}").format(
        today.isoformat(), summary_html(o, model, level, sources), answers_html(answers, model, level)
    )
    return page("Samverkansformväljaren: sammanfattning", body, SUMMARY_CSS, main=False)
