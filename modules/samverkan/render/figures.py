"""Charts from ``data/figurer.yaml``: a PNG for the eye and a text version for everyone.

Every chart has a text alternative (WCAG 2.1 AA, 1.1.1): the ``alt`` text
names the chart type and every value, and a data table follows the image.
Values are written in Swedish number format.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path

from samverkan.content.datafiles import Figure, read_figure_data
from samverkan.content.schema import Source
from samverkan.render.markdown import escape


def number(value: float) -> str:
    """Swedish format: 265 700, 3,3."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


def alt_text(fig: Figure, rows: list[tuple[str, float]]) -> str:
    """The chart's text alternative in Swedish: its kind, title and every value with its unit."""
    kind = "Liggande stapeldiagram" if fig.kind == "barh" else "Stapeldiagram"
    values = "; ".join(f"{label}: {number(v)} {fig.unit}" for label, v in rows)
    return f"{kind}: {fig.title}. {values}."


def png(fig: Figure, rows: list[tuple[str, float]]) -> bytes:
    """The figure drawn as a bar chart (or horizontal bars for "barh") from ``rows``, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r[0] for r in rows]
    values = [r[1] for r in rows]
    f, ax = plt.subplots(figsize=(7, 3.6 if fig.kind == "bar" else 2.8), dpi=110)
    colour = "#1f4e79"  # dark blue: contrast 8.6:1 on white
    if fig.kind == "barh":
        bars = ax.barh(labels[::-1], values[::-1], color=colour)
        ax.set_xlabel(fig.y_label)
        ax.bar_label(bars, labels=[number(v) for v in values[::-1]], padding=3, fontsize=10)
        ax.set_xlim(0, max(values) * 1.18)
    else:
        bars = ax.bar(labels, values, color=colour)
        ax.set_xlabel(fig.x_label)
        ax.set_ylabel(fig.y_label)
        ax.bar_label(bars, labels=[number(v) for v in values], padding=3, fontsize=10)
        ax.set_ylim(0, max(values) * 1.15)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: number(v)))
    ax.set_title(fig.title, fontsize=12)
    return finish_png(f, ax)


def finish_png(f, ax) -> bytes:  # noqa: ANN001 - matplotlib Figure and Axes
    """Tidy the axes, lay out, and return the figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    ax.spines[["top", "right"]].set_visible(False)
    f.tight_layout()
    buf = io.BytesIO()
    f.savefig(buf, format="png")
    plt.close(f)
    return buf.getvalue()


def figure_html(fig: Figure, data_dir: Path, sources: Mapping[str, Source]) -> str:
    """The chart as an <figure> with alt text, caption with sources, and the data as a table."""
    rows = read_figure_data(fig, data_dir)
    image = base64.b64encode(png(fig, rows)).decode("ascii")
    cite = ", ".join(escape(sources[s].short) for s in fig.sources if s in sources)
    note = f" {escape(fig.note)}" if fig.note else ""
    table = "".join(f'<tr><th scope="row">{escape(label)}</th><td>{number(v)}</td></tr>' for label, v in rows)
    return (
        f'<figure class="sv-figure" style="margin:1em 0">'
        f'<img src="data:image/png;base64,{image}" alt="{escape(alt_text(fig, rows))}" style="max-width:100%">'
        f"<figcaption>Källa: {cite}.{note}</figcaption>"
        f"<details><summary>Visa diagrammets siffror som tabell</summary>"
        f"<table><caption>{escape(fig.title)}</caption>"
        f'<thead><tr><th scope="col">{escape(fig.x_label)}</th><th scope="col">{escape(fig.y_label)}</th></tr></thead>'
        f"<tbody>{table}</tbody></table></details></figure>"
    )
