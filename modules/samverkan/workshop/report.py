"""``samverkan report KOD``: a session's answers as one self-contained HTML file.

papermill runs ``rapport.ipynb`` (next to this module) with the database and
the session code as parameters; every cell displays HTML built by
:class:`ReportData`. The HTML outputs are then joined into one page with its
own styles and the charts embedded as data, so the file opens offline, can be
mailed, and loads nothing from the network.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from markupsafe import Markup

from samverkan.build.kernels import ipc_kernel_manager
from samverkan.errors import ParameterError, SamverkanError
from samverkan.render.markdown import escape, plain
from samverkan.render.page import page as render_page
from samverkan.workshop.store import Store
from samverkan.workshop.summary import discussion_points, item_html, summarise

NOTEBOOK = Path(__file__).with_name("rapport.ipynb")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
       max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; line-height: 1.5; }
h1 { font-size: 1.9rem; border-bottom: 4px solid #1f4e79; padding-bottom: .2em; }
h2 { font-size: 1.4rem; margin-top: 2em; } h3 { font-size: 1.15rem; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #999; padding: .25em .6em; text-align: left; }
.sv-item { border-top: 1px solid #bbb; margin-top: 1em; }
.sv-progress { color: #333; } .sv-note { color: #333; font-size: .95rem; }
img { max-width: 100%; }
@media print { details { display: block; } details > summary { display: none; } }
"""


class ReportData:
    """What the report notebook shows, one method per part."""

    def __init__(self, db: str, session: str, kit: Any | None = None):
        if kit is None:
            from samverkan.content import loader, paths

            kit = loader.load_kit(paths.kit_root())
        self.store = Store(db or None, create=False)
        self.session = self.store.session_by_code(session)
        self.kit = kit
        self.rows = self.store.answers(self.session.id)
        self.items = summarise(self.kit, self.session, self.rows)
        self.stats = self.store.stats(self.session.id)
        self.lesson = self.kit.lessons.get(self.session.lesson)

    def _show(self, html: str) -> None:
        from IPython.display import HTML, display

        display(HTML(html))

    def header(self) -> str:
        """Show and return the heading: session name, lesson, level, code, when created and when reported."""
        s = self.session
        title = plain(self.lesson.title, "standard") if self.lesson else s.lesson
        created = s.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        html = (
            f"<h1>Rapport: {escape(s.name)}</h1>"
            f"<p>Lektion: <strong>{escape(title)}</strong> · "
            f"{'lättläst' if s.level == 'lattlast' else 'standardtext'} · kod {escape(s.code)} · "
            f"passet skapades {created} · rapporten skrevs {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}</p>"
            '<p class="sv-note">Svaren är anonyma: deltagarna har nummer i den ordning de gick med, '
            "och bord om de valde ett. Utbildning, inte juridisk rådgivning.</p>"
        )
        self._show(html)
        return html

    def overview(self) -> str:
        """Show and return the overview: participants, answers, share fully right, participants per table."""
        st = self.stats
        graded = [it for it in self.items if it.share_right is not None and it.answered]
        right = sum(it.right or 0 for it in graded)
        answered = sum(it.answered for it in graded)
        share = f"{round(100 * right / answered)} %" if answered else "–"
        groups = sorted(
            self.store.iter_groups(self.session.id), key=lambda g: (g[0] is None, _group_no(g[0]), g[0] or "")
        )
        rows = "".join(f'<tr><th scope="row">{escape(g or "Inget bord")}</th><td>{n}</td></tr>' for g, n in groups)
        html = (
            "<h2>Översikt</h2>"
            f"<ul><li>{st.participants} deltagare</li><li>{st.answers} svar</li>"
            f"<li>Andel helt rätta svar på frågor med rätt svar: {share}</li></ul>"
            + (
                f'<table><caption>Deltagare per bord</caption><thead><tr><th scope="col">Bord</th>'
                f'<th scope="col">Deltagare</th></tr></thead><tbody>{rows}</tbody></table>'
                if rows
                else ""
            )
        )
        self._show(html)
        return html

    def discussion(self) -> str:
        """Show and return what to discuss: the questions fewest got fully right, and the lesson's prompts."""
        hard = discussion_points(self.items)
        parts = ["<h2>Att samtala om</h2>"]
        if hard:
            parts.append("<p>Frågorna där färst svarade helt rätt:</p><ol>")
            for it in hard:
                parts.append(
                    f"<li><strong>{escape(it.prompt)}</strong> ({escape(it.title)}): "
                    f"{it.right} av {it.answered} helt rätt ({round(100 * (it.share_right or 0))} %).</li>"
                )
            parts.append("</ol>")
        else:
            parts.append("<p>För få svar för att peka ut svåra frågor.</p>")
        if self.lesson is not None and self.lesson.discussion:
            from samverkan.content.schema import AUDIENCE_LABELS

            parts.append("<p>Lektionens samtalsfrågor:</p><ul>")
            for audience, text in self.lesson.discussion.items():
                parts.append(
                    f"<li><strong>För {escape(AUDIENCE_LABELS.get(audience, audience))}:</strong> "
                    f"{escape(plain(text, self.session.level))}</li>"
                )
            parts.append("</ul>")
        html = "".join(parts)
        self._show(html)
        return html

    def questions(self) -> str:
        """Show and return every item's answers, question by question."""
        parts = ["<h2>Svaren fråga för fråga</h2>"]
        for it in self.items:
            parts.append(f'<section class="sv-item">{item_html(it, heading_level=3)}</section>')
        html = "".join(parts)
        self._show(html)
        return html


def _group_no(group: str | None) -> int:
    """The table's number for sorting ("Bord 12" → 12); 0 for no table or a name without a number."""
    words = (group or "").split()
    try:
        return int(words[-1]) if words else 0
    except ValueError:
        return 0


def build_report(session: str, db: str | None = None, out: str | Path | None = None, progress: bool = True) -> Path:
    """Run the report notebook over the stored answers and write one HTML file; returns its path."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    store = Store(db, create=False)
    found = store.session_by_code(session)  # a clear error before papermill starts a kernel
    out = Path(out) if out else Path.cwd() / f"rapport-{found.code}.html"
    if out.is_dir():
        raise ParameterError(
            f"--out: {out} är en mapp; ange ett filnamn, till exempel {out / ('rapport-' + found.code + '.html')}."
        )
    with tempfile.TemporaryDirectory(prefix="samverkan-rapport-") as tmp:
        executed = Path(tmp) / "rapport.ipynb"
        try:
            nb = pm.execute_notebook(
                str(NOTEBOOK),
                str(executed),
                parameters={"db": store.url, "session": found.code},
                progress_bar=progress,
                kernel_name="python3",
                cwd=tmp,
                kernel_manager_class=ipc_kernel_manager(),
                iopub_timeout=60,
            )
        except PapermillExecutionError as exc:
            raise SamverkanError(f"Rapporten kunde inte skapas: {exc.ename}: {exc.evalue}") from None
    store.close()
    out.write_text(report_html(nb, f"Rapport {found.code}: {found.name}"), encoding="utf-8")
    return out


def report_html(nb: Any, title: str) -> str:
    """The HTML outputs of an executed notebook as one page."""
    body = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                body.append(html if isinstance(html, str) else "".join(html))
    return render_page(title, Markup("\n".join(body)), Markup(CSS))
