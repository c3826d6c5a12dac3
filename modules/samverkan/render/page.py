"""One page template for every standalone HTML page the kit writes or serves.

Handouts and the facilitator guide (:mod:`samverkan.build`), the workshop's start and join pages and
its report (:mod:`samverkan.workshop`), and the Samverkansformväljaren's downloadable summary all
come from ``templates/page.html.j2``: the same document shell (``lang``, charset, the viewport
that phones need for reflow, the title), each with its own stylesheet. The template autoescapes:
``title`` is text; ``body`` and ``css`` must be :class:`markupsafe.Markup` built by the caller.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
    )
    return env.get_template("page.html.j2")


def page(
    title: str, body: Markup, css: Markup, *, lang: str = "sv", main: bool = True, scripts: tuple[str, ...] = ()
) -> str:
    """A whole HTML document: ``title`` (text, escaped), ``body`` and ``css`` (HTML and CSS, trusted);
    ``scripts``: addresses of script files (never inline script: the server pages' CSP forbids it)."""
    return _template().render(title=title, body=Markup(body), css=Markup(css), lang=lang, main=main, scripts=scripts)
