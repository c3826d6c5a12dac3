"""Voila apps: a lesson's exercises on their own, as used at a workshop table.

Parameters come from the page address, for example
``/voila/render/03-principer.ipynb?audience=fortroendevald&level=lattlast``.
Unknown or hostile values fall back to the defaults with a visible note;
they never raise on the page.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

from samverkan.schema import AUDIENCE_LABELS, AUDIENCES, LEVELS


def query_params(query: str | None = None) -> dict[str, str]:
    """The page's query parameters (Voila puts them in ``QUERY_STRING``), each value at most 200 characters."""
    raw = os.environ.get("QUERY_STRING", "") if query is None else query
    parsed = parse_qs(raw[:2000], keep_blank_values=False)
    return {k: v[0][:200] for k, v in parsed.items() if v}


def lesson_app(lesson_id: str, query: str | None = None):
    """A widget with the lesson's exercises for the audience and level in the address."""
    import ipywidgets as widgets

    from samverkan.lesson import LessonView, open_lesson
    from samverkan.render import escape

    params = query_params(query)
    notes = []
    audience = params.get("audience")
    if audience is not None and audience not in AUDIENCES:
        notes.append(f"Okänd målgrupp {audience[:40]!r} i adressen; alla övningar visas.")
        audience = None
    level = params.get("level", "standard")
    if level not in LEVELS:
        notes.append(f"Okänd nivå {level[:40]!r} i adressen; standardtext visas.")
        level = "standard"
    view: LessonView = open_lesson(lesson_id, audience=audience or "tjansteperson", level=level)
    ids = [e for s in view.lesson.sections for e in s.exercises]
    if audience is None:
        # A mixed room: every exercise, every question.
        from samverkan.widgets import exercise_widget

        items = [exercise_widget(view.kit.exercises[e], level=level, sources=view.sources) for e in ids]
        who = "alla"
    else:
        items = view.exercises()
        who = AUDIENCE_LABELS[audience]
    header = widgets.HTML(
        f'<p class="sv-progress">Övningar för {escape(who)} · '
        f'{"lättläst" if level == "lattlast" else "standardtext"} · {len(items)} övningar</p>'
        + "".join(f'<p role="alert">{escape(n)}</p>' for n in notes)
    )
    return widgets.VBox([header, *items])


def tool(name: str, level: str = "standard"):
    """A kit tool for a notebook: ``samverkansformvaljaren`` or ``ordlista``."""
    from samverkan.errors import ParameterError
    from samverkan.schema import check_params

    check_params(None, level, audience_required=False)
    if name == "samverkansformvaljaren":
        from samverkan.widgets.samverkansform import samverkansform_widget

        return samverkansform_widget(level=level)
    if name == "ordlista":
        from samverkan.widgets.glossary import glossary_widget

        return glossary_widget(level=level)
    raise ParameterError(f"Okänt verktyg {name!r}. Verktyg: samverkansformvaljaren, ordlista.")


def tool_app(name: str, query: str | None = None):
    """The tool as a Voila app; ``?level=lattlast`` in the address gives easy-to-read text."""
    import ipywidgets as widgets

    from samverkan.render import escape

    level = query_params(query).get("level", "standard")
    note = ""
    if level not in LEVELS:
        note = f'<p role="alert">{escape(f"Okänd nivå {level[:40]!r} i adressen; standardtext visas.")}</p>'
        level = "standard"
    w = tool(name, level=level)
    return widgets.VBox([widgets.HTML(note), w]) if note else w
