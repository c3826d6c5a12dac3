"""The glossary (ordlista) as a searchable widget."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from samverkan.content.datafiles import Term, search_terms, swedish_key
from samverkan.render.markdown import escape
from samverkan.widgets.base import STYLE, ExerciseWidget, guard, heading

MAX_SHOWN = 80


class GlossaryWidget(ExerciseWidget):
    """Named parts: ``.query`` (Text, searches as you type), ``.count`` (status), ``.results``."""

    def __init__(self, terms: Mapping[str, Term], **kwargs: Any):
        super().__init__(**kwargs)
        self.terms = dict(terms)
        self.title = widgets.HTML(STYLE + heading("Ordlista"))
        self.query = widgets.Text(
            value="",
            placeholder="till exempel IOP eller bidrag",
            description="Sök i ordlistan:",
            style={"description_width": "initial"},
            continuous_update=True,
            layout=widgets.Layout(width="28em"),
        )
        self.count = widgets.HTML()
        self.results = widgets.HTML()
        self.query.observe(self._on_search, names="value")
        self.children = [self.title, self.query, self.count, self.status, self.results]
        self._on_search()

    def matches(self, query: str) -> list[Term]:
        """The terms that match ``query`` (its first 200 characters); every term, in Swedish order, when empty."""
        if not query.strip():
            return sorted(self.terms.values(), key=lambda t: swedish_key(t.term))
        return search_terms(self.terms, query[:200], self.level)

    @guard
    def _on_search(self, _change: Any = None) -> None:
        hits = self.matches(self.query.value)
        q = self.query.value.strip()
        if not hits:
            self.count.value = f'<p class="sv-progress" role="status">Inga termer matchar ”{escape(q[:80])}”.</p>'
            self.results.value = ""
            return
        shown = hits[:MAX_SHOWN]
        what = f"som matchar ”{escape(q[:80])}”" if q else "i ordlistan"
        self.count.value = f'<p class="sv-progress" role="status">{len(hits)} termer {what}.</p>'
        items = []
        for t in shown:
            see = ""
            if t.see_also:
                names = ", ".join(escape(self.terms[s].term) for s in t.see_also if s in self.terms)
                see = f"<p><em>Se också:</em> {names}</p>" if names else ""
            cite = "; ".join(escape(self.sources[s].short) for s in t.sources if s in self.sources)
            cite = f'<p class="sv-progress">Källa: {cite}</p>' if cite else ""
            items.append(
                f'<dt id="term-{t.id}"><strong>{escape(t.term)}</strong></dt>'
                f"<dd>{self.html(t.definition)}{see}{cite}</dd>"
            )
        self.results.value = f'<dl class="sv-glossary">{"".join(items)}</dl>'
