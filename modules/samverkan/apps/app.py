"""Voila apps: a lesson's exercises on their own, as used at a workshop table.

Parameters come from the page address, for example
``/voila/render/03-principer.ipynb?audience=fortroendevald&level=lattlast``.
Unknown or hostile values fall back to the defaults with a visible note;
they never raise on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from samverkan.apps.params import query_params
from samverkan.content.schema import AUDIENCE_LABELS, AUDIENCES, LEVELS, Source

if TYPE_CHECKING:  # ipywidgets is imported when an app is built, not when this module is
    import ipywidgets as widgets

    from samverkan.widgets.glossary import GlossaryWidget
    from samverkan.widgets.samverkansform import SamverkansformWidget


def lesson_app(lesson_id: str, query: str | None = None) -> widgets.VBox:
    """A widget with the lesson's exercises for the audience and level in the address."""
    import ipywidgets as widgets

    from samverkan.apps.lesson import LessonView, open_lesson
    from samverkan.render.markdown import escape

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
    # At a workshop table: the workshop path, without what is marked fördjupning.
    view: LessonView = open_lesson(lesson_id, audience=audience or "tjansteperson", level=level, workshop=True)
    ids = view.exercise_ids()
    if audience is None:
        # A mixed room: every exercise, every question.
        from samverkan.widgets import exercise_widget

        items = [exercise_widget(view.kit.exercises[e], level=level, sources=view.sources, workshop=True) for e in ids]
        who = "alla"
    else:
        items = view.exercises()
        who = AUDIENCE_LABELS[audience]
    header = widgets.HTML(
        f'<p class="sv-progress">Övningar för {escape(who)} · '
        f"{'lättläst' if level == 'lattlast' else 'standardtext'} · {len(items)} övningar</p>"
        + "".join(f'<p role="alert">{escape(n)}</p>' for n in notes)
    )
    return widgets.VBox([header, *items])


def tool(name: str, level: str = "standard") -> SamverkansformWidget | GlossaryWidget:
    """A kit tool for a notebook: ``samverkansformvaljaren`` or ``ordlista``."""
    from samverkan.content.schema import check_params
    from samverkan.errors import ParameterError

    check_params(None, level, audience_required=False)
    if name == "samverkansformvaljaren":
        return samverkansform_widget(level=level)
    if name == "ordlista":
        return glossary_widget(level=level)
    raise ParameterError(f"Okänt verktyg {name!r}. Verktyg: samverkansformvaljaren, ordlista.")


def tool_app(name: str, query: str | None = None) -> widgets.Widget:
    """The tool as a Voila app; ``?level=lattlast`` in the address gives easy-to-read text."""
    import ipywidgets as widgets

    from samverkan.render.markdown import escape

    level = query_params(query).get("level", "standard")
    note = ""
    if level not in LEVELS:
        note = f'<p role="alert">{escape(f"Okänd nivå {level[:40]!r} i adressen; standardtext visas.")}</p>'
        level = "standard"
    w = tool(name, level=level)
    return widgets.VBox([widgets.HTML(note), w]) if note else w


def samverkansform_widget(
    level: str = "standard", sources: Mapping[str, Source] | None = None, **kwargs: Any
) -> SamverkansformWidget:
    """The Samverkansformväljaren with the kit's model and thresholds; content problems raise ContentError."""
    from samverkan.content.loader import load_decision
    from samverkan.widgets.samverkansform import SamverkansformWidget

    model, periods, kit_sources, _cases = load_decision()
    return SamverkansformWidget(model, periods, level=level, sources=sources or kit_sources, **kwargs)


def glossary_widget(
    level: str = "standard", sources: Mapping[str, Source] | None = None, **kwargs: Any
) -> GlossaryWidget:
    """The kit's glossary (data/ordlista.yaml); content problems raise ContentError."""
    from samverkan.content.loader import load_kit
    from samverkan.errors import ContentError, Problem
    from samverkan.widgets.glossary import GlossaryWidget

    kit = load_kit()
    own = [p for p in kit.problems if p.file.endswith(("ordlista.yaml", "kallor.yaml"))]
    if own:
        raise ContentError(own)
    if "terms" not in kit.data:
        raise ContentError([Problem("data/ordlista.yaml", None, "", "ordlistan saknas")])
    return GlossaryWidget(kit.data["terms"], level=level, sources=sources or kit.sources, **kwargs)
