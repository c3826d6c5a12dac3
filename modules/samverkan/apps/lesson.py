"""What a lesson notebook calls: one line per cell.

    L = open_lesson("03-principer", audience=audience, level=level)
    L.show_intro()
    L.show_section("principerna")
    L.exercise("principer-quiz")
    L.show_end()

``audience`` changes examples and the discussion prompt; ``level`` switches
every learner text to its easy-to-read (lättläst) variant. Prose lives in
``exercises/<id>/lektion.yaml`` rather than in Markdown cells because a
Markdown cell cannot follow the ``level`` parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from samverkan.content import loader
from samverkan.content.schema import (
    AUDIENCE_LABELS,
    AUDIENCES,
    Lesson,
    Source,
    Text,
    check_params,
    exercises_on_path,
    on_path,
)
from samverkan.errors import ContentError, ParameterError
from samverkan.render.markdown import markdown_text

if TYPE_CHECKING:  # ipywidgets is imported when a lesson shows its exercises
    import ipywidgets as widgets

    from samverkan.widgets.base import ExerciseWidget

DISCLAIMER = (
    "*Kitet är en utbildning, inte juridisk rådgivning. Bedöm alltid det enskilda fallet "
    "med stöd av er upphandlings- eller juristfunktion.*"
)


def _display(markdown: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(markdown))


@dataclass
class LessonView:
    """One lesson for one audience and level: the Markdown and widgets its notebook cells display."""

    lesson: Lesson
    kit: loader.Kit
    audience: str
    level: str
    handout: bool = False  # static exercises and tools for a printed handout (samverkan build)
    workshop: bool = False  # the workshop path: what is marked fördjupning is left out

    # -- text helpers -----------------------------------------------------
    @property
    def sources(self) -> dict[str, Source]:
        """The kit's sources by id (what the lesson's citations refer to)."""
        return self.kit.sources

    def md(self, text: Text | str | None) -> str:
        """Content text as Markdown; '<' is escaped so HTML in a content file shows as text."""
        return markdown_text(text, self.level, self.sources).replace("<", "&lt;")

    def _list(self, texts: Iterable[Text], numbered: bool = False) -> str:
        return "\n".join(f"{i}. {self.md(t)}" if numbered else f"- {self.md(t)}" for i, t in enumerate(texts, 1))

    # -- the frame ----------------------------------------------------------
    def intro_markdown(self) -> str:
        """The opening as Markdown: version, why it matters, questions, objectives and a table of times."""
        L = self.lesson
        who = AUDIENCE_LABELS[self.audience]
        level = "lättläst" if self.level == "lattlast" else "standard"
        shown = [s for s in L.sections if on_path(s, self.workshop)]
        rows = "\n".join(
            f"| {self.md(s.title)}{' (fördjupning)' if s.further_study else ''} | {s.minutes} min |" for s in shown
        )
        if L.discussion_minutes:
            rows += f"\n| Diskussion | {L.discussion_minutes} min |"
        minutes = L.minutes if self.workshop else L.self_study_minutes
        return (
            f"*Version för {who}, {level} text.*\n\n"
            f"## Varför det här är viktigt för dig\n\n{self.md(L.why)}\n\n"
            f"## Frågor som lektionen besvarar\n\n{self._list(L.questions)}\n\n"
            f"## Efter lektionen kan du\n\n{self._list(L.objectives)}\n\n"
            f"## Tid\n\nLektionen tar ungefär **{minutes} minuter**.\n\n"
            f"| Del | Tid |\n|---|---|\n{rows}\n"
        )

    def section_markdown(self, section_id: str) -> str:
        """One section as Markdown: title, minutes, text and this audience's example (unknown id: refused)."""
        try:
            s = self.lesson.section(section_id)
        except KeyError:
            known = ", ".join(x.id for x in self.lesson.sections)
            raise ParameterError(f"Avsnittet {section_id!r} finns inte i lektionen. Avsnitt: {known}.") from None
        unit = "minut" if s.minutes == 1 else "minuter"
        deeper = " Fördjupning: en verkstad hoppar över avsnittet." if s.further_study else ""
        out = f"## {self.md(s.title)}\n\n*Ungefär {s.minutes} {unit}.{deeper}*\n\n{self.md(s.body)}\n"
        example = s.examples.get(self.audience)
        if example is not None:
            out += f"\n> **Exempel för {AUDIENCE_LABELS[self.audience]}:** {self.md(example)}\n"
        return out

    def discussion_markdown(self) -> str:
        """The discussion prompt for this audience as Markdown, with the other audience's angle if it has one."""
        prompt = self.lesson.discussion.get(self.audience)
        other = [a for a in AUDIENCES if a != self.audience][0]
        out = f"## Diskutera\n\n**För {AUDIENCE_LABELS[self.audience]}:** {self.md(prompt)}\n"
        if other in self.lesson.discussion:
            out += f"\n*Vinkeln för {AUDIENCE_LABELS[other]}:* {self.md(self.lesson.discussion[other])}\n"
        return out

    def end_markdown(self) -> str:
        """The ending as Markdown: key points, questions to reflect on, sources and the disclaimer."""
        L = self.lesson
        return (
            f"## Det viktigaste\n\n{self._list(L.key_points)}\n\n"
            f"## Att fundera vidare på\n\n{self._list(L.reflection, numbered=True)}\n\n"
            f"{self.sources_markdown()}\n\n{DISCLAIMER}\n"
        )

    def sources_markdown(self) -> str:
        """The "Källor" list: every source the lesson's files cite, in Markdown, sorted by short form."""
        lines = []
        cited = self.lesson.cited_sources() | self.kit.sources_cited_in(self.lesson.id)
        for sid in sorted(cited, key=lambda s: (self.sources[s].short.lower(), s)):
            src = self.sources[sid]
            link = f" <{src.url}>" if src.url else ""
            lines.append(f"- **{src.short}**: {src.reference}.{link}")
        return "## Källor\n\n" + "\n".join(lines)

    # -- what notebook cells call -------------------------------------------
    def show_intro(self) -> None:
        """Display the opening (see :meth:`intro_markdown`)."""
        _display(self.intro_markdown())

    def show_section(self, section_id: str) -> None:
        """Display a section's text, then the blocks its ``show:`` list asks for."""
        from IPython.display import display

        _display(self.section_markdown(section_id))
        for block in self.blocks(section_id):
            display(block)

    def blocks(self, section_id: str) -> list:
        """What the section's ``show:`` list asks for: tables, charts, the glossary, the tool."""
        from IPython.display import HTML, Markdown

        from samverkan.content import paths
        from samverkan.content.schema import FIGURE_PREFIX

        out: list[Any] = []
        for name in self.lesson.section(section_id).show:
            if name.startswith(FIGURE_PREFIX):
                from samverkan.render.figures import figure_html

                fig = self.kit.data["figures"][name[len(FIGURE_PREFIX) :]]
                out.append(HTML(figure_html(fig, paths.data_dir(), self.sources)))
            elif name == "troskelvarden":
                from samverkan.render.thresholds import thresholds_markdown

                out.append(Markdown(thresholds_markdown(self._data("thresholds"), self.sources)))
            elif name == "ordlista" and self.handout:
                from samverkan.render.handout import glossary_html

                out.append(HTML(glossary_html(self._data("terms"), self.level, self.sources)))
            elif name == "samverkansformvaljaren" and self.handout:
                from samverkan.render.handout import decision_tool_html

                out.append(HTML(decision_tool_html(self._data("decision"), self.level, self.sources)))
            elif name == "ordlista":
                from samverkan.widgets.glossary import GlossaryWidget

                out.append(GlossaryWidget(self._data("terms"), level=self.level, sources=self.sources))
            elif name == "samverkansformvaljaren":
                from samverkan.widgets.samverkansform import SamverkansformWidget

                out.append(
                    SamverkansformWidget(
                        self._data("decision"), self._data("thresholds"), level=self.level, sources=self.sources
                    )
                )
        return out

    def _data(self, kind: str):
        if kind not in self.kit.data:
            from samverkan.errors import Problem

            files = {"thresholds": "troskelvarden.yaml", "terms": "ordlista.yaml", "decision": "samverkansform.yaml"}
            raise ContentError(
                [Problem(f"data/{files[kind]}", None, "", "filen saknas eller har fel; kör 'samverkan check'")]
            )
        return self.kit.data[kind]

    def show_discussion(self) -> None:
        """Display the discussion prompt (see :meth:`discussion_markdown`)."""
        _display(self.discussion_markdown())

    def show_end(self) -> None:
        """Display the ending (see :meth:`end_markdown`)."""
        _display(self.end_markdown())

    def exercise(self, exercise_id: str, **kwargs: Any) -> ExerciseWidget | widgets.HTML | None:
        """The widget for one exercise, in this lesson's audience and level.

        In a handout (``samverkan build``) the exercise is displayed as static HTML
        instead: the learner's part, then the answer key marked as ``facit``; then None is returned.
        """
        ex = self.kit.exercises.get(exercise_id)
        if ex is None:
            raise ParameterError(
                f"Övningen {exercise_id!r} finns inte. Kör 'samverkan check' för att se vad som saknas."
            )
        if self.handout:
            from IPython.display import HTML, display

            from samverkan.render.handout import FACIT, exercise_parts

            learner, key = exercise_parts(ex, self.level, self.audience, self.sources)
            display(HTML(learner))
            if key:
                display(HTML(key), metadata=FACIT)
            return None
        from samverkan.widgets import exercise_widget

        if self.audience not in ex.audience:
            import ipywidgets as widgets

            others = " och ".join(AUDIENCE_LABELS[a] for a in AUDIENCES if a in ex.audience)
            return widgets.HTML(f"<p><em>Den här övningen är skriven för {others}. Du kan hoppa över den.</em></p>")
        kwargs.setdefault("workshop", self.workshop)
        return exercise_widget(ex, level=self.level, audience=self.audience, sources=self.sources, **kwargs)

    def exercise_ids(self) -> list[str]:
        """The lesson's exercises on this view's path, in lesson order (any audience)."""
        return exercises_on_path(self.lesson, self.kit.exercises, self.workshop)

    def exercises(self) -> list:
        """All of the lesson's exercises for this audience on this path, in lesson order (for a Voila app)."""
        return [self.exercise(e) for e in self.exercise_ids() if self.audience in self.kit.exercises[e].audience]


def open_lesson(
    lesson_id: str, audience: str = "tjansteperson", level: str = "standard", *, workshop: bool = False
) -> LessonView:
    """Load and check a lesson; any content problem stops here with Swedish messages.

    Self-study (the default) shows everything, fördjupning included and marked; ``workshop=True`` is
    the workshop path, which leaves out sections, exercises and questions marked fördjupning.
    """
    check_params(audience, level)
    kit = loader.load_kit()
    if lesson_id not in kit.lessons:
        broken = kit.problems_in(lesson_id)
        if broken:
            raise ContentError(broken)
        known = ", ".join(sorted(kit.lessons)) or "inga"
        raise ParameterError(f"Lektionen {lesson_id!r} finns inte. Lektioner: {known}.")
    lesson = kit.lessons[lesson_id]
    own = kit.problems_in(lesson_id) + [p for p in kit.problems if p.file.startswith("data/")]
    if own:
        raise ContentError(own)
    from samverkan.render.handout import handout_mode

    return LessonView(lesson, kit, audience, level, handout=handout_mode(), workshop=workshop)
