"""Preview: a content file rendered as a learner sees it, again every time it is saved.

A trainer edits ``exercises/03-principer/ovningar.yaml`` in any editor and
sees the exercises, working, in the browser; on every save the preview
checks the file and renders it anew, without restarting anything. A
mistake shows the kit's Swedish error with file and line, and the last
version without errors stays visible below it.

Two ways in:

* ``samverkan preview FILE`` starts Voila on ``notebooks/forhandsvisning.ipynb``
  and passes the file in ``SAMVERKAN_PREVIEW_FILE``;
* in JupyterLab, open ``notebooks/forhandsvisning.ipynb`` and set ``fil``.

Exercise files show their exercises as widgets; a lesson file shows the
lesson's text and exercises; a workshop plan shows its agenda;
``handledare.md`` shows the facilitator notes. Other content files are
checked, and the result is shown.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from samverkan.content.schema import AUDIENCE_LABELS, AUDIENCES, LEVEL_LABELS, LEVELS, check_params
from samverkan.render.markdown import escape
from samverkan.widgets import inbound as _inbound  # noqa: F401 - importing the widgets package installs the inbound guard

PREVIEW_ENV = "SAMVERKAN_PREVIEW_FILE"
INTERVAL = 0.5  # seconds between looks at the file


def resolve(path: str | Path) -> Path:
    """An absolute path: as given, else relative to the kit's folder, else to the current folder."""
    from samverkan.content import paths

    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    in_kit = paths.kit_root() / p
    return in_kit if in_kit.exists() or not p.exists() else p.resolve()


class PreviewWidget(widgets.VBox):
    """Named parts: ``.audience``, ``.level`` (Dropdowns), ``.status``, ``.problems``, ``.body``."""

    def __init__(
        self, path: str | Path, audience: str = "tjansteperson", level: str = "standard", interval: float = INTERVAL
    ):
        check_params(audience, level)
        super().__init__()
        self.path = resolve(path)
        self.interval = interval
        self._stamp: tuple | None = None
        self._task: asyncio.Task | None = None
        self.renders = 0  # how many times the body was rebuilt (tests and the status line use it)
        from samverkan.content import paths
        from samverkan.errors import display_path

        self.label = display_path(self.path, paths.kit_root())
        self.title = widgets.HTML(
            f"<h2>Förhandsvisning av <code>{escape(self.label)}</code></h2>"
            "<p>Spara filen i din editor, så visas ändringen här inom en sekund. "
            "Du behöver inte starta om något.</p>"
        )
        self.audience = widgets.Dropdown(
            options=[(AUDIENCE_LABELS[a].capitalize(), a) for a in AUDIENCES], value=audience, description="Målgrupp:"
        )
        self.level = widgets.Dropdown(
            options=[(LEVEL_LABELS[lv].capitalize(), lv) for lv in LEVELS], value=level, description="Nivå:"
        )
        self.status = widgets.HTML()
        self.problems = widgets.HTML()
        self.body = widgets.VBox()
        self.audience.observe(lambda _c: self.refresh(force=True), names="value")
        self.level.observe(lambda _c: self.refresh(force=True), names="value")
        self.children = [self.title, widgets.HBox([self.audience, self.level]), self.status, self.problems, self.body]
        self.refresh(force=True)

    # -- watching ---------------------------------------------------------------
    def _file_stamp(self) -> tuple | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def refresh(self, force: bool = False) -> bool:
        """Render again if the file changed (or ``force``); returns whether it did."""
        stamp = self._file_stamp()
        if not force and stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            self._render()
        except Exception as exc:
            self._show_problems([f"Förhandsvisningen kunde inte visa filen: {type(exc).__name__}: {exc}"])
        return True

    def watch(self) -> None:
        """Look at the file every ``interval`` seconds on the kernel's event loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def stop(self) -> None:
        """Stop watching the file (cancel the watch loop, if any)."""
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.refresh()

    # -- rendering ----------------------------------------------------------------
    def _show_problems(self, lines: list[str]) -> None:
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        keep = " Nedanför visas den senaste versionen utan fel." if self.body.children else ""
        self.problems.value = (
            f'<div class="sv-status" role="alert"><p><strong>Filen har fel, rätta och spara '
            f"igen.</strong>{keep}</p><ul>{items}</ul></div>"
        )
        self.status.value = f'<p class="sv-progress" role="status">Läst {_now()}: {len(lines)} fel.</p>'

    def _ok(self, what: str) -> None:
        self.problems.value = ""
        self.renders += 1
        self.status.value = f'<p class="sv-progress" role="status">Läst {_now()}: inga fel. {escape(what)}</p>'

    def _render(self) -> None:
        from samverkan.content import loader, paths

        if self._stamp is None:
            self._show_problems([f"{self.label}: filen finns inte (har den bytt namn?)"])
            return
        if self.path.suffix == ".md":
            from samverkan.render.markdown import render_markdown

            text = self.path.read_text(encoding="utf-8", errors="replace")
            self.body.children = [widgets.HTML(render_markdown(text))]
            self._ok("Handledarstödet visas som i handledarversionen av utskrifterna.")
            return
        root = paths.kit_root()
        kit = loader.load_kit(root, [self.path])
        if kit.problems:
            self._show_problems([str(p) for p in kit.problems])
            return
        result = loader.load_file(self.path, root=root)
        audience, level = self.audience.value, self.level.value
        if result.exercise_file is not None:
            from samverkan.widgets import exercise_widget

            parts: list[Any] = []
            for ex in result.exercise_file.exercises:
                if audience not in ex.audience:
                    others = " och ".join(AUDIENCE_LABELS[a] for a in AUDIENCES if a in ex.audience)
                    parts.append(
                        widgets.HTML(
                            f"<p><em>Övningen <code>{escape(ex.id)}</code> är skriven för "
                            f"{others}; byt målgrupp för att se den.</em></p>"
                        )
                    )
                    continue
                parts.append(widgets.HTML(f'<hr><p class="sv-progress">Övning <code>{escape(ex.id)}</code></p>'))
                parts.append(exercise_widget(ex, level=level, audience=audience, sources=kit.sources))
            self.body.children = parts
            self._ok(f"{len(result.exercise_file.exercises)} övningar.")
        elif result.lesson is not None:
            self.body.children = self._lesson(result.lesson, kit, audience, level)
            self._ok(f"Lektionen {result.lesson.id}, {result.lesson.minutes} minuter.")
        elif result.plan is not None:
            from samverkan.logic.agenda import agenda_rows

            rows = "".join(
                f"<tr><td>{escape(r['clock'] or str(r['from']))}</td><td>{r['minutes']}</td>"
                f"<td>{escape(r['item'].title or (r['lesson'].title.standard if r['lesson'] else ''))}</td></tr>"
                for r in agenda_rows(result.plan, kit)
            )
            self.body.children = [
                widgets.HTML(
                    f'<h3>{escape(result.plan.title)}</h3><table><thead><tr><th scope="col">Tid</th>'
                    f'<th scope="col">Minuter</th><th scope="col">Punkt</th></tr></thead><tbody>{rows}</tbody></table>'
                    "<p>Bygg handledarguiden och utskrifterna med <code>samverkan kit</code>.</p>"
                )
            ]
            self._ok("Verkstadsplanen går ihop.")
        else:
            self.body.children = [
                widgets.HTML(
                    "<p>Filen är giltig. Förhandsvisning med widgetar finns för "
                    "övningsfiler, lektionsfiler, verkstadsplaner och handledare.md.</p>"
                )
            ]
            self._ok("")

    def _lesson(self, lesson, kit, audience: str, level: str) -> list:  # noqa: ANN001
        from samverkan.apps.lesson import LessonView
        from samverkan.render.markdown import render_markdown

        view = LessonView(lesson, kit, audience, level)

        def md(text: str) -> widgets.HTML:
            return widgets.HTML(render_markdown(text))

        parts: list[Any] = [md(f"# {view.md(lesson.title)}\n\n" + view.intro_markdown())]
        for section in lesson.sections:
            parts.append(md(view.section_markdown(section.id)))
            for ex in section.exercises:
                parts.append(view.exercise(ex))
        parts.append(md(view.discussion_markdown()))
        parts.append(md(view.end_markdown()))
        return parts


def _now() -> str:
    return dt.datetime.now().strftime("%H:%M:%S")


def preview(
    fil: str | Path | None = None, audience: str = "tjansteperson", level: str = "standard", watch: bool = True
) -> PreviewWidget:
    """The preview of ``fil`` (``SAMVERKAN_PREVIEW_FILE`` wins, as set by ``samverkan preview``)."""
    chosen = os.environ.get(PREVIEW_ENV) or fil
    if not chosen:
        from samverkan.errors import ParameterError

        raise ParameterError(
            'Ange vilken fil som ska förhandsvisas, till exempel fil = "exercises/03-principer/ovningar.yaml".'
        )
    w = PreviewWidget(
        chosen,
        audience=os.environ.get("SAMVERKAN_PREVIEW_AUDIENCE", audience),
        level=os.environ.get("SAMVERKAN_PREVIEW_LEVEL", level),
    )
    if watch:
        try:
            w.watch()
        except RuntimeError:  # no running event loop (plain Python): the caller calls refresh()
            pass
    return w
