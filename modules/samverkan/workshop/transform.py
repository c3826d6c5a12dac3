"""How the workshop server rewrites the pages Voila renders: Swedish, no CDN, landmarks, a policy.

:class:`SwedishPageTransform` holds a page back until its head is complete, then sets
``lang="sv"``, removes the links to a CDN and the mermaid script (nothing leaves the machine),
puts Voila's loading screen in Swedish, adds a main landmark and groups radio buttons for the
keyboard and screen readers. :data:`VOILA_CSP` is the Content-Security-Policy of every Voila page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape as html_escape
from typing import Any

from tornado.web import OutputTransform

CDN_LINK = re.compile(rb'<link rel="stylesheet" href="https://cdn\.jsdelivr\.net/[^"]*"[^>]*>\s*')
# nbconvert's lab template imports mermaid from a CDN when a page has a diagram (none here): the script goes.
MERMAID_SCRIPT = re.compile(rb'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*?</script>\s*', re.S)

# What a Voila page here may load: only this server (no CDN, no other host), inline scripts and styles as
# Voila's templates have them, images from data: and blob: URLs (the charts).
VOILA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'self'"
)
HEAD_LIMIT = 1 << 20  # a page whose head is not complete after 1 MB is passed on as it is
# Voila's loading screen in Swedish: "Running deltagare..." (templates/base/spinner.macro.html.j2) and
# "Executing 2 of 3" / "Reading 2 of 3" (voila_setup.macro.html.j2); the spinner's "spin" is decoration.
LOADING_TEXTS = tuple(
    (re.compile(a), b.encode())
    for a, b in (
        (rb'(<h2 id="loading_text">)Running [^<]*</h2>', r"\1Sidan laddas …</h2>"),
        (rb"`Executing \$\{cell_index\} of \$\{cell_count\}`", "`Förbereder del ${cell_index} av ${cell_count}`"),
        (rb"`Reading \$\{cell_index\} of \$\{cell_count\}`", "`Läser del ${cell_index} av ${cell_count}`"),
        (rb'<svg class="spinner" ', '<svg class="spinner" aria-hidden="true" focusable="false" '),
        (rb"<title>spin</title>", ""),
    )
)
# Added to every page Voila renders here (the lesson apps, the tools, the participant app, the
# dashboard). ipywidgets' RadioButtons renders its inputs without a shared ``name`` and without a
# group role, so a screen reader announced each answer as "1 of 1" and Tab stopped at every answer.
# The script gives each group ``role="radiogroup"``, a name (the widget's visible description, or its
# tooltip) and one ``name`` for its inputs, so that the arrow keys move between the answers.
# (The focus outline is in the widgets' own style, samverkan.widgets.base.FOCUS_CSS.)
A11Y_HEAD = b"""<script>
(function () {
  var groups = 0;
  function groupName(box) {
    var label = box.parentElement && box.parentElement.querySelector(":scope > .widget-label");
    var text = label && label.style.display !== "none" ? label.textContent.trim() : "";
    return text || (label && label.title) || "Svarsalternativ";
  }
  function fix() {
    document.querySelectorAll(".widget-radio-box").forEach(function (box) {
      if (!box.dataset.svGroup) {
        box.dataset.svGroup = "sv-radio-" + (++groups);
        box.setAttribute("role", "radiogroup");
      }
      var name = groupName(box);
      if (box.getAttribute("aria-label") !== name) box.setAttribute("aria-label", name);
      box.querySelectorAll("input[type=radio]").forEach(function (input) {
        if (input.name !== box.dataset.svGroup) input.name = box.dataset.svGroup;
      });
    });
  }
  new MutationObserver(fix).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>
"""


def _expander(template: bytes) -> Callable[[re.Match[bytes]], bytes]:
    """A replacement function that expands ``template`` (with its group references) for a match."""
    return lambda match: match.expand(template)


class SwedishPageTransform(OutputTransform):
    """Every HTML page this server sends: ``lang="sv"``, a Swedish title, no CDN links, the page's
    main landmark, and :data:`A11Y_HEAD`.

    Voila streams its pages in pieces that can split a tag (its first piece ends inside
    ``<html lang="``), so the page is held back until its head and the start of its body
    have arrived, and rewritten as a whole.
    """

    titles: dict[str, str] = {}  # notebook file name -> page title (set by serve())

    def __init__(self, request: Any):
        super().__init__(request)
        self.path = request.path
        self.voila = "/voila/render/" in request.path
        self.pending: bytearray | None = None

    def transform_first_chunk(
        self, status_code: int, headers: Any, chunk: bytes, finishing: bool
    ) -> tuple[int, Any, bytes]:
        """Start holding back an HTML page to rewrite it; other responses pass unchanged (tornado hook)."""
        if not headers.get("Content-Type", "").startswith("text/html"):
            return status_code, headers, chunk
        if "Content-Length" in headers and not finishing:
            return status_code, headers, chunk  # a fixed-length stream (a static file): leave it
        self.pending = bytearray()
        chunk = self._feed(chunk, finishing)
        if "Content-Length" in headers:
            headers["Content-Length"] = str(len(chunk))
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """Pass a chunk on, or hold it back while the page's head is still incomplete (tornado hook)."""
        return chunk if self.pending is None else self._feed(chunk, finishing)

    def _feed(self, chunk: bytes, finishing: bool) -> bytes:
        assert self.pending is not None
        self.pending += chunk
        complete = b'id="rendered_cells"' in self.pending or not self.voila
        if not (finishing or complete or len(self.pending) > HEAD_LIMIT):
            return b""
        page, self.pending = bytes(self.pending), None
        return self.rewrite(page)

    def rewrite(self, page: bytes) -> bytes:
        """The page rewritten: ``lang="sv"``, its title, no CDN or mermaid; Voila pages get the a11y parts too."""
        page = re.sub(rb"<html(\s[^>]*)?>", b'<html lang="sv">', page, count=1)
        page = CDN_LINK.sub(b"", page)
        page = MERMAID_SCRIPT.sub(b"", page)
        title = self.titles.get(self.path.rsplit("/", 1)[-1])
        if title:
            tag = b"<title>" + html_escape(title).encode() + b"</title>"
            page = re.sub(rb"<title>[^<]*</title>", lambda _m: tag, page, count=1)
        if not self.voila:
            return page  # this server's own pages have their landmarks and focus styles, and no script
        page = page.replace(b"</head>", A11Y_HEAD + b"</head>", 1)
        for english, swedish in LOADING_TEXTS:
            page = english.sub(_expander(swedish), page, count=1)
        return page.replace(b'<div id="rendered_cells"', b'<div id="rendered_cells" role="main"', 1)
