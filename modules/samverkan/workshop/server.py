"""``samverkan serve``: the workshop server.

Voila on ``voila_apps/`` with what a conference room needs:

* a Swedish start page at ``/`` and a join page at ``/delta`` (plain HTML from
  this process: they load at once even when the whole room arrives together);
* the participant app preheated: ``--room-size`` kernels run
  ``deltagare.ipynb`` up to the point where it waits for its request, so a
  participant's page is ready in milliseconds instead of 1.5 s or more;
* sources stripped, no tracebacks, idle kernels culled after 15 minutes;
* kernels that survive bursts: IPC sockets instead of TCP ports (no port race
  between kernels starting at the same moment) and no IPython history database
  (150 kernels writing one SQLite history file gave "database is locked" on
  the page);
* the store created on first start, and the facilitator key printed;
* pages rewritten to ``lang="sv"`` and without the Font Awesome links to a
  CDN (nothing leaves the machine; the buttons have text, so no icon is missed),
  with a Swedish title, a main landmark and radio buttons grouped for the
  keyboard and screen readers (:class:`SwedishPageTransform`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import tornado.web
from tornado.web import OutputTransform

from samverkan.errors import ParameterError, SamverkanError
from samverkan.workshop import guard, pages
from samverkan.workshop.store import Store, StoreError, normalise_code

PARTICIPANT_APP = "deltagare.ipynb"
DASHBOARD_APP = "handledarvy.ipynb"
PREPARED_MARK = 'id="cell-id=cell-01"'  # deltagare.ipynb's prepare() cell, as nbconvert renders it
CULL_IDLE_SECONDS = 900
QUIET_SECONDS = 3.0  # no arrival for this long: start refilling the reserve
CDN_LINK = re.compile(rb'<link rel="stylesheet" href="https://cdn\.jsdelivr\.net/[^"]*"[^>]*>\s*')
# nbconvert's lab template imports mermaid from a CDN when a page has a diagram (none here): the script goes.
MERMAID_SCRIPT = re.compile(rb'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*?</script>\s*', re.S)
FACILITATOR_COOKIE = "samverkan_handledare"
KERNEL_ID = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"  # as Voila's routes name a kernel
WRONG_KEY = "Fel handledarnyckel. Skriv nyckeln som servern skrev ut när den startade."
# What a Voila page here may load: only this server (no CDN, no other host), inline scripts and styles as
# Voila's templates have them, images from data: and blob: URLs (the charts).
VOILA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'self'"
)
PAGE_REQUEST: contextvars.ContextVar[tuple[str, str | None]] = contextvars.ContextVar("samverkan_page_request")
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


class _Base(tornado.web.RequestHandler):
    def initialize(self, store: Store, apps: list, base_url: str) -> None:
        self.store = store
        self.apps = apps
        self.base = base_url

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'")

    def write_html(self, html: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(html)


class StartHandler(_Base):
    def get(self) -> None:
        self.write_html(pages.start_page(self.apps, self.base))


class JoinHandler(_Base):
    """GET shows the form (a link may carry ``?kod=``); POST joins and redirects to the participant app."""

    def get(self) -> None:
        code = normalise_code(self.get_query_argument("kod", ""))[:12]
        self.write_html(pages.join_page(self.base, code=code))

    async def post(self) -> None:
        code = self.get_body_argument("kod", "")[:40]
        group = self.get_body_argument("bord", "")[:40]
        # No limit per address here: behind a conference's NAT the whole room shares one, and a script
        # that used it up kept the room out (83 of 100 failed in bench/attacks.py). A join stores nothing;
        # the place is taken when the page opens with the ticket (Store.redeem), which costs a kernel.
        loop = asyncio.get_running_loop()
        try:
            if self.store.cached_session(code) is not None:  # no database, no thread: answer at once
                session, token, ticket = self.store.join_ticket(code, group)
            else:
                session, token, ticket = await loop.run_in_executor(None, self.store.join_ticket, code, group)
        except StoreError as exc:
            self.write_html(
                pages.join_page(self.base, code=normalise_code(code)[:12], group=group, message=str(exc)), status=400
            )
            return
        params = {"kod": session.code, "p": token, "biljett": ticket}
        if group.strip():
            params["bord"] = group.strip()
        self.redirect(f"{self.base}voila/render/{PARTICIPANT_APP}?{urlencode(params)}", status=303)


class FacilitatorLogin(_Base):
    """``/handledare``: the facilitator's key, typed or from the printed link, becomes a cookie.

    The key never stays in the address bar (which a projector shows) or in the browser's history:
    a valid key sets an HttpOnly, SameSite=Strict session cookie and redirects to the dashboard
    without it. The dashboard's page passes the key to its kernel from the cookie.
    """

    async def get(self) -> None:
        key = self.get_query_argument("nyckel", "")[:100]
        if key:
            await self._login(key, from_link=True)
        elif self.get_query_argument("fel", ""):
            self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY), status=403)
        else:
            self.write_html(pages.facilitator_login(self.base))

    async def post(self) -> None:
        await self._login(self.get_body_argument("nyckel", "")[:100])

    async def _login(self, key: str, from_link: bool = False) -> None:
        pages_limit = self.settings.get("samverkan_pages")
        if pages_limit is not None and not pages_limit.allow(self.request.remote_ip or ""):
            self.write_html(pages.facilitator_login(self.base, message=pages.TOO_MANY_PAGES), status=429)
            return
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(None, self.store.check_key, key)
        if not ok:
            if from_link:  # not even a wrong key stays in the address bar
                self.redirect(f"{self.base}handledare?fel=1", status=303)
                return
            self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY), status=403)
            return
        self.set_cookie(
            FACILITATOR_COOKIE, normalise_code(key), httponly=True, samesite="Strict", path=self.base or "/"
        )
        self.redirect(f"{self.base}voila/render/{DASHBOARD_APP}", status=303)


class StatusHandler(_Base):
    """How many preheated participant pages are ready (no session data): for the start-up line and benchmarks."""

    def initialize(self, store: Store, apps: list, base_url: str, app: Any = None) -> None:
        super().initialize(store, apps, base_url)
        self.app = app

    def get(self) -> None:
        ready, size = self.app.pool_status() if self.app else (0, 0)
        budget = getattr(self.app, "budget", None)
        status = {"deltagarplatser_klara": ready, "deltagarplatser": size}
        if budget is not None:  # counts only: how many kernels run, and how many the budget has freed
            status.update(karnor=len(budget.km.list_kernel_ids()), frigjorda_karnor=budget.shut_down)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(status))


def guarded_voila_handler(base: Any) -> type:
    """Voila's page handler with the workshop's limits in front (see :mod:`samverkan.workshop.guard`)."""

    class GuardedVoilaHandler(base):
        def set_default_headers(self) -> None:
            super().set_default_headers()
            self.set_header("Content-Security-Policy", VOILA_CSP)
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("X-Content-Type-Options", "nosniff")

        def refuse(self, status: int, message: str) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Retry-After", "30")
            self.finish(pages.busy_page(self.base_url, message))

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            # Voila's error page shows English and, with tracebacks on, server paths: never either here.
            message = pages.SERVER_FULL if status_code == 503 else "Sidan kunde inte visas. Ladda om sidan om en stund."
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(pages.busy_page(self.base_url, message))

        def _set_query(self, params: dict[str, str]) -> None:
            # Voila gives the kernel request.query (QUERY_STRING); template and theme overrides would
            # bypass the preheated kernels and start a new one each, so they never pass.
            self.request.query = urlencode(params)
            self.request.query_arguments = {k: [v.encode()] for k, v in params.items()}
            self.request.arguments = dict(self.request.query_arguments)

        async def get(self, path: str | None = None) -> None:
            s = self.settings
            budget: guard.KernelBudget | None = s.get("samverkan_budget")
            store: Store | None = s.get("samverkan_store")
            limit = s.get("samverkan_pages")
            params = {
                k: self.get_query_argument(k)[:200]
                for k in self.request.query_arguments
                if k not in ("template", "theme")
            }
            name = (path or "").rsplit("/", 1)[-1]
            kind, token = "other", None
            if name == PARTICIPANT_APP and store is not None:
                token = params.get("p", "")
                code = normalise_code(params.get("kod", ""))[:12]
                known = False
                loop = asyncio.get_running_loop()
                if token and params.get("biljett"):
                    # Straight from the join form: the place is taken now (a reload finds it taken already).
                    try:
                        await loop.run_in_executor(
                            None, store.redeem, code, token, params["biljett"], params.get("bord")
                        )
                        known = True
                    except StoreError as exc:
                        self.set_status(409)
                        self.set_header("Content-Type", "text/html; charset=utf-8")
                        return self.finish(pages.join_page(self.base_url, code=code, message=str(exc)))
                elif token:
                    try:
                        await loop.run_in_executor(None, store.participant, token)
                        known = True
                    except StoreError:
                        known = False
                if not known:  # the join form needs no kernel: the server's own page
                    if limit is not None and not limit.allow(self.request.remote_ip or ""):
                        return self.refuse(429, pages.TOO_MANY_PAGES)
                    return self.redirect(f"{self.base_url}delta" + (f"?{urlencode({'kod': code})}" if code else ""))
                if budget is not None and not budget.tab_allowed(token):
                    return self.refuse(429, pages.TOO_MANY_TABS)
                kind = "participant"
            elif name == DASHBOARD_APP and store is not None:
                given = params.pop("nyckel", "")
                if given:  # the printed link: the key goes into a cookie and out of the address bar
                    return self.redirect(f"{self.base_url}handledare?{urlencode({'nyckel': given})}", status=303)
                cookie = self.get_cookie(FACILITATOR_COOKIE, "")[:100]
                loop = asyncio.get_running_loop()
                if not cookie or not await loop.run_in_executor(None, store.check_key, cookie):
                    # The login is the server's own page: no kernel for someone without the key.
                    return self.redirect(f"{self.base_url}handledare", status=303)
                params["nyckel"] = cookie
                kind = "facilitator"
            if kind == "other" and limit is not None and not limit.allow(self.request.remote_ip or ""):
                # Anonymous pages only: a participant's page is bounded by its token (one kernel, a few
                # loads in a row), the facilitator's by the key, so a storm from one address (which may be
                # the whole room's, behind one NAT) never keeps the room out.
                return self.refuse(429, pages.TOO_MANY_PAGES)
            if kind == "other" and budget is not None:
                # The room first: no anonymous kernel while participants arrive, and few in a row after.
                if budget.room_arriving():
                    return self.refuse(503, pages.ROOM_ARRIVING)
                if not budget.pace_other():
                    return self.refuse(503, pages.SERVER_BUSY)
            self._set_query(params)
            if budget is not None:
                pool = budget.pool_kernels() if kind == "participant" else 0
                if not pool and not budget.may_start(kind):
                    return self.refuse(503, pages.SERVER_FULL)
            ticket = PAGE_REQUEST.set((kind, token))
            try:
                await super().get(path)
            finally:
                PAGE_REQUEST.reset(ticket)

    return GuardedVoilaHandler


class TreeRedirect(tornado.web.RequestHandler):
    def get(self, *_args: Any) -> None:
        self.redirect(self.settings.get("base_url", "/") or "/")


def _voila_class():
    from voila.app import Voila

    class SamverkanVoila(Voila):
        """Voila plus the start page, the join page and a status endpoint."""

        store: Store | None = None
        apps: list = []
        room_size: int = 0

        def initialize(self, argv: Any = None) -> None:
            super().initialize(argv)
            # traitlets sets the app logger to DEBUG and filters in the handler, so every message from
            # every kernel built a debug LogRecord in Voila, nbclient and the activity watcher (5 % of
            # the server's CPU while a room arrives). Filter at the logger instead.
            self.log.setLevel(self.log_level)
            # Generated notebooks are not signed; Voila's warning about it says nothing to a facilitator.
            self.log.addFilter(lambda record: "is not trusted" not in record.getMessage())
            # One log for the server, tornado and the kit, every line without addresses, tokens or keys,
            # and at most guard.LOG_LINES_PER_MINUTE a minute (a script must not fill the disk or the screen).
            import logging

            privacy = guard.PrivacyFilter()
            for handler in self.log.handlers:
                handler.addFilter(privacy)
            for name in ("tornado", "samverkan"):
                other = logging.getLogger(name)
                other.parent, other.propagate = self.log, True

        def init_handlers(self) -> list:
            from voila.request_info_handler import RequestInfoSocketHandler
            from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
            from voila.tornado.handler import TornadoVoilaHandler
            from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

            kwargs = {"store": self.store, "apps": self.apps, "base_url": self.base_url}
            base = self.server_url
            mine = [
                (base, StartHandler, kwargs),
                (base + "delta", JoinHandler, kwargs),
                (base + "handledare", FacilitatorLogin, kwargs),
                (base + "status", StatusHandler, {**kwargs, "app": self}),
                (base + r"voila/tree(.*)", TreeRedirect),
            ]
            budget_of = lambda: getattr(self, "budget", None)  # noqa: E731
            replace = {
                VoilaKernelWebsocketHandler: guard.websocket_class(VoilaKernelWebsocketHandler, budget_of),
                RequestInfoSocketHandler: guard.request_info_class(
                    RequestInfoSocketHandler, lambda kid: kid in self.kernel_manager
                ),
                TornadoVoilaHandler: guarded_voila_handler(TornadoVoilaHandler),
            }
            handlers = []
            for entry in super().init_handlers():
                pattern, cls, *rest = entry
                if cls is VoilaShutdownKernelHandler:
                    handlers.append(
                        (pattern.replace("(.*)", KERNEL_ID), guard.KernelShutdown, {"budget_of": budget_of})
                    )
                    continue
                handlers.append((pattern, replace.get(cls, cls), *rest))
            return mine + handlers

        def init_settings(self) -> dict:
            settings = super().init_settings()
            # The kernel manager has started the room's N kernels. From now on, keep only a small
            # reserve for late-comers and reloads: Voila would otherwise start a new kernel for every
            # one used, and N kernel starts in the middle of the arrival burst take the CPU the
            # arriving participants need (measured: p50 4.4 s instead of 0.6 s for 10 people).
            km = self.kernel_manager
            # Before the first kernel connects (the pool's start-up tasks run once the loop does):
            # libzmq fixes a context's socket limit when its first socket is made.
            import zmq

            km.context.set(zmq.MAX_SOCKETS, socket_budget(self.room_size))
            if hasattr(km, "kernel_pools_config") and self.room_size:
                pools = dict(km.kernel_pools_config)
                pools[PARTICIPANT_APP] = {"pool_size": reserve_size(self.room_size)}
                km.kernel_pools_config = pools
                # self.budget is made below; the check runs later, when the pool refills
                km.fill_if_needed = _refill_when_quiet(km, km.fill_if_needed, lambda: self.budget.may_refill())
            settings["transforms"] = [SwedishPageTransform]
            settings["log_function"] = guard.log_request  # no addresses, no query strings
            settings["websocket_max_message_size"] = guard.MAX_FRAME_BYTES
            settings["ws_ping_timeout"] = settings.get("ws_ping_interval", 30000)  # a dead client is noticed in 30 s
            limits = guard.limits_for(self.room_size, reserve_size(self.room_size) if self.room_size else 0)
            self.budget: guard.KernelBudget = guard.KernelBudget(km, limits, PARTICIPANT_APP)
            _count_pages(km, self.budget)
            settings["samverkan_budget"] = self.budget
            settings["samverkan_store"] = self.store
            settings["samverkan_pages"] = guard.ClientLimits(limits.client_pages_burst, limits.client_pages_per_second)
            return settings

        def pool_status(self) -> tuple[int, int]:
            """(kernels that have run ``prepare()`` and wait for a participant, room size)."""
            km = getattr(self, "kernel_manager", None)
            pool = getattr(km, "_pools", {}).get(PARTICIPANT_APP, [])
            ready = 0
            for task in pool:
                if not task.done() or task.cancelled() or task.exception() is not None:
                    continue
                # Voila's pool task is done once the kernel runs; the notebook is still executing.
                # The kernel is ready when the prepare cell's output has been rendered.
                cache = task.result()["renderer"].rendered_cache
                if any(PREPARED_MARK in chunk for chunk in cache):
                    ready += 1
            return ready, self.room_size

        def start(self) -> None:
            import tornado.ioloop

            announced = {"done": False}

            def report() -> None:
                if announced["done"]:
                    return
                ready, size = self.pool_status()
                if size and ready >= size and not announced["done"]:
                    announced["done"] = True
                    print(f"Alla {size} deltagarplatser är förberedda. Rummet kan gå in nu.", flush=True)

            tornado.ioloop.PeriodicCallback(report, 2000).start()
            tornado.ioloop.IOLoop.current().add_callback(lambda: self.budget.start())
            super().start()

    return SamverkanVoila


def _count_pages(km: Any, budget: guard.KernelBudget) -> None:
    """Tell the budget which kernel each page request got (preheated or new), and refuse a new kernel
    beyond the budget. The page handler says what kind of page asks (:data:`PAGE_REQUEST`).

    Only the page handler calls these on the instance; the pool starts its kernels through the class
    (``super().start_kernel``), so a preheated kernel belongs to nobody until a page takes it.
    """
    from jupyter_core.utils import ensure_async

    start, rendered = km.start_kernel, km.get_rendered_notebook

    async def start_kernel(*args: Any, **kwargs: Any) -> str:
        kind, token = PAGE_REQUEST.get(("other", None))
        if not budget.may_start(kind):
            raise tornado.web.HTTPError(503)
        kernel_id = await ensure_async(start(*args, **kwargs))
        budget.handed(kernel_id, kind, token)
        return kernel_id

    async def get_rendered_notebook(*args: Any, **kwargs: Any) -> Any:
        render_task, cache, kernel_id = await rendered(*args, **kwargs)
        kind, token = PAGE_REQUEST.get(("participant", None))
        budget.handed(kernel_id, kind, token)
        return render_task, cache, kernel_id

    km.start_kernel = start_kernel
    km.get_rendered_notebook = get_rendered_notebook


def _refill_when_quiet(km: Any, fill: Any, allowed: Any = lambda: True) -> Any:
    """Refill the participant reserve one kernel at a time, and only when no one has arrived for a moment.

    Voila starts a replacement for every kernel taken. Starting a kernel costs
    the server about a second of its own CPU (Voila prepares a renderer for it
    on the event loop), so a refill in the middle of an arrival burst stalls
    every page in flight (measured: the last 5 of 50 waited 3-5 s instead of
    0.2 s). Here a refill waits until :data:`QUIET_SECONDS` have passed since
    the last arrival, starts one kernel, and when that is up, the next.
    """
    import time

    loop = asyncio.get_event_loop()
    state: dict[str, Any] = {"last": 0.0, "timer": None}

    def attempt() -> None:
        state["timer"] = None
        pool = km._pools.get(PARTICIPANT_APP, [])
        wait = state["last"] + QUIET_SECONDS - time.monotonic()
        if wait > 0:
            state["timer"] = loop.call_later(wait, attempt)
            return
        if any(not task.done() for task in pool):
            return  # one is starting; its done-callback tries again
        target = km.kernel_pools_config[PARTICIPANT_APP]["pool_size"]
        if len(pool) >= target:
            return
        if not allowed():  # the room's kernels are all in use: wait for one to be freed
            state["timer"] = loop.call_later(QUIET_SECONDS, attempt)
            return
        config = dict(km.kernel_pools_config)
        config[PARTICIPANT_APP] = {**config[PARTICIPANT_APP], "pool_size": len(pool) + 1}
        km.kernel_pools_config = config
        try:
            fill(delay=0, notebook_name=PARTICIPANT_APP)
        finally:
            config = dict(km.kernel_pools_config)
            config[PARTICIPANT_APP] = {**config[PARTICIPANT_APP], "pool_size": target}
            km.kernel_pools_config = config
        pool = km._pools.get(PARTICIPANT_APP, [])
        if pool and not pool[-1].done():
            pool[-1].add_done_callback(lambda _t: loop.call_soon(attempt))

    def refill(delay: float | None = None, notebook_name: str | None = None, **kwargs: Any) -> None:
        if notebook_name != PARTICIPANT_APP:
            return fill(delay=delay, notebook_name=notebook_name, **kwargs)
        state["last"] = time.monotonic()  # called by Voila each time a participant takes a kernel
        if state["timer"] is None:
            state["timer"] = loop.call_later(QUIET_SECONDS, attempt)
        return None

    return refill


def install_fast_dates() -> None:
    """Parse the dates in Jupyter message headers with the standard library instead of dateutil.

    The server deserialises every message from every kernel, often more than once (the
    activity watcher, nbclient, the websocket), and jupyter_client parses each header date
    with ``dateutil.isoparse``: 16 µs a date against 0.2 µs for ``datetime.fromisoformat``,
    which gives the same datetime for the dates Jupyter writes. Anything else (no time zone,
    a format Python does not read) still goes to jupyter_client's own parser.
    """
    import datetime as dt

    from jupyter_client import jsonutil

    original = getattr(jsonutil.parse_date, "samverkan_original", jsonutil.parse_date)

    def parse_date(s: Any) -> Any:
        if isinstance(s, str) and jsonutil.ISO8601_PAT.match(s):
            try:
                parsed = dt.datetime.fromisoformat(s)
            except ValueError:
                return original(s)
            return parsed if parsed.tzinfo is not None else original(s)
        return original(s)

    parse_date.samverkan_original = original  # type: ignore[attr-defined]
    jsonutil.parse_date = parse_date  # extract_dates() looks it up in the module each call


def install_template_cache() -> None:
    """Compile each page template once per server, not once per participant.

    Voila gives every preheated kernel its own nbconvert exporter, and so its own Jinja
    environment. The page's head is rendered while the kernel is preheated, but the templates
    the rest of the page includes are compiled when the participant arrives: a fifth of the
    server's CPU in a room of 150 arriving together. All exporters here share a Jinja bytecode
    cache instead. Jinja checks each template's source against the cached entry, so an edited
    template is compiled again.
    """
    import weakref

    from jinja2 import BytecodeCache
    from nbconvert.exporters.templateexporter import TemplateExporter

    if getattr(TemplateExporter._create_environment, "samverkan_cached", False):
        return
    compiled: dict[str, bytes] = {}

    class SharedBytecode(BytecodeCache):
        def __init__(self, environment: Any):
            self.environment = weakref.ref(environment)

        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            env = self.environment()
            how = repr((env.is_async, sorted(env.extensions))) if env is not None else ""
            return super().get_cache_key(name, filename) + how

        def load_bytecode(self, bucket: Any) -> None:
            code = compiled.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket: Any) -> None:
            compiled[bucket.key] = bucket.bytecode_to_string()

    create = TemplateExporter._create_environment

    def create_environment(self: Any) -> Any:
        environment = create(self)
        environment.bytecode_cache = SharedBytecode(environment)
        return environment

    create_environment.samverkan_cached = True  # type: ignore[attr-defined]
    TemplateExporter._create_environment = create_environment  # type: ignore[method-assign]


# Budgets per participant place, with a margin: each place holds ZeroMQ sockets on the kernel manager's
# shared context (the activity watcher's, and the four kernel channels of the participant's browser), and
# file descriptors in the server (about 22 per prepared place at rest, measured; a connected browser adds
# its channels and its own connection).
SOCKETS_PER_PLACE = 8
FILES_PER_PLACE = 40


def socket_budget(room_size: int) -> int:
    """ZeroMQ sockets the kernel manager's context may open. With libzmq's default of 1023, a room of
    300 arriving in 30 s had 196 failed pages ("Too many open files"); a room of 150 fitted."""
    places = room_size + reserve_size(room_size) + 20  # + facilitator views and reloads
    return max(1023, SOCKETS_PER_PLACE * places)


def raise_file_limit(room_size: int) -> str | None:
    """Raise this process's limit on open files to what the room needs, as far as the system allows.

    Many desktop systems start programs with a limit of 1024 open files, enough for about 25
    participants here. Returns a warning in Swedish when the system's hard limit is too low.
    """
    import resource

    places = room_size + reserve_size(room_size) + 20
    needed = 256 + FILES_PER_PLACE * places
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target >= needed:
        return None
    fits = max(0, (target - 256) // FILES_PER_PLACE - 20)
    return (
        f"Obs! Datorn låter servern öppna högst {target} filer, och ett rum med {room_size} deltagare behöver "
        f"ungefär {needed}. Det räcker till ungefär {fits} deltagare. Höj gränsen (till exempel "
        f"ulimit -n {needed} innan du startar) eller minska --room-size."
    )


def reserve_size(room_size: int) -> int:
    """Preheated kernels kept ready once the room's own are in use."""
    return min(10, max(1, room_size // 10))


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or 127.0.0.1."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def write_kernelspec(folder: Path) -> None:
    """A ``python3`` kernelspec that shadows the default one for this server's kernels only."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    sys.executable,
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                    "--HistoryManager.enabled=False",
                    "--HistoryManager.hist_file=:memory:",
                ],
                "display_name": "Python 3 (Samverkansverkstaden)",
                "language": "python",
                "metadata": {"debugger": False},
            }
        ),
        encoding="utf-8",
    )


def app_list(kit: Any) -> list[tuple[str, str, str]]:
    from samverkan.render.markdown import plain

    apps = []
    for lesson_id, lesson in sorted(kit.lessons.items()):
        apps.append(
            (
                plain(lesson.title, "standard"),
                f"{lesson_id}.ipynb",
                f"{lesson.minutes} min" if getattr(lesson, "minutes", None) else "",
            )
        )
    apps.append(("Samverkansformväljaren", "samverkansformvaljaren.ipynb", "vilken samverkansform passar?"))
    apps.append(("Ordlista", "ordlista.ipynb", "begreppen förklarade"))
    return apps


def page_titles(apps: list[tuple[str, str, str]]) -> dict[str, str]:
    """Each Voila page's title (Voila would show the file name, such as "03-principer")."""
    titles = {path: f"{title} – Samverkansverkstaden" for title, path, _text in apps}
    titles[PARTICIPANT_APP] = "Dina övningar – Samverkansverkstaden"
    titles[DASHBOARD_APP] = "Handledarvy – Samverkansverkstaden"
    return titles


def serve(
    host: str = "127.0.0.1", port: int = 8866, db: str | None = None, room_size: int = 30, log_level: str = "WARN"
) -> int:
    """Start the workshop server; returns when it stops."""
    from traitlets.config import Config

    from samverkan.content import loader, paths

    if not 0 <= room_size <= 400:
        raise ParameterError("--room-size ska vara mellan 0 och 400 deltagare.")
    if not 0 < port < 65536:
        raise ParameterError("--port ska vara ett tal mellan 1 och 65535.")
    root = paths.kit_root()
    kit = loader.load_kit(root)
    if kit.problems:
        for problem in kit.problems:
            print(problem, file=sys.stderr)
        raise SamverkanError(
            "Innehållet har fel (se ovan); rätta dem och starta igen. Kontrollera med: samverkan check"
        )
    apps_dir = paths.voila_apps_dir()
    for app in (PARTICIPANT_APP, DASHBOARD_APP):
        if not (apps_dir / app).exists():
            raise SamverkanError(f"{apps_dir / app} saknas. Skapa apparna med: samverkan notebooks")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado will
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ParameterError(
                f"Kan inte lyssna på {host}:{port} ({exc.strerror}). "
                "Välj en annan port med --port, eller avsluta servern som redan kör där."
            ) from None
    store = Store(db)
    key = store.facilitator_key()

    state = Path(tempfile.mkdtemp(prefix="samverkan-serve-"))
    atexit.register(shutil.rmtree, state, ignore_errors=True)
    write_kernelspec(state / "jupyter")
    public_host = lan_address() if host in ("0.0.0.0", "", "::") else host
    public = f"http://{public_host}:{port}/"
    # Behind a reverse proxy the room uses the proxy's address, not this process's (docs/driftsattning.md).
    proxied = os.environ.get("SAMVERKAN_PUBLIC_URL", "").strip()
    if proxied:
        if not re.fullmatch(r"https?://[^\s/?#@]+/", proxied):  # the proxy's root: the pages link from /
            raise ParameterError(
                f"SAMVERKAN_PUBLIC_URL={proxied[:80]!r} ska vara proxyns adress utan sökväg och "
                "sluta med /, till exempel https://verkstad.kommun.se/."
            )
        public = proxied
    os.environ.update(
        {
            "SAMVERKAN_DB": store.url,
            "SAMVERKAN_HOME": str(root),
            "SAMVERKAN_PUBLIC_URL": public,
            "JUPYTER_PATH": os.pathsep.join(filter(None, [str(state / "jupyter"), os.environ.get("JUPYTER_PATH")])),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "MPLBACKEND": "Agg",
            "SAMVERKAN_ROOM_SIZE": str(room_size),  # the default number of places in a new session
            # The preheated kernel asks the server for its request on this address:
            "VOILA_APP_IP": "127.0.0.1" if host in ("0.0.0.0", "", "::") else host,
        }
    )

    c = Config()
    c.Voila.ip = host
    c.Voila.port = port
    c.Voila.port_retries = 0  # the printed address must be the real one
    c.Voila.open_browser = False
    from voila.voila_identity_provider import VoilaIdentityProvider

    c.Voila.identity_provider_class = guard.anonymous_identity(VoilaIdentityProvider)  # no identity cookie
    c.Voila.log_level = log_level
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.file_allowlist = [r".*\.(png|jpg|gif|svg|css)"]
    c.VoilaConfiguration.preheat_kernel = room_size > 0
    c.VoilaConfiguration.default_pool_size = 0
    c.VoilaKernelManager.kernel_pools_config = {
        "default": {"pool_size": 0},
        PARTICIPANT_APP: {"pool_size": room_size},
    }
    # No fixed refill delay (tried: 15 s): Voila hands out pool entries in order, so a late-comer
    # after the room's kernels got the pending entry and waited the whole delay (12-17 s in
    # chromium). _refill_when_quiet() decides when to refill instead.
    c.VoilaKernelManager.fill_delay = 0
    c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_SECONDS
    c.MappingKernelManager.cull_interval = 60
    c.KernelManager.transport = "ipc"

    install_fast_dates()
    install_template_cache()
    limit_warning = raise_file_limit(room_size)
    cls = _voila_class()
    cls.store = store
    cls.apps = app_list(kit)
    SwedishPageTransform.titles = page_titles(cls.apps)
    cls.room_size = room_size

    where = (
        store.url[len("sqlite:///") :]
        if store.url.startswith("sqlite:///")
        else store.engine.url.render_as_string(hide_password=True)
    )
    print(
        "Samverkansverkstaden startar.\n"
        f"  Deltagarna öppnar:  {public}  och skriver koden från handledarvyn\n"
        f"  Handledarvyn:       {public}handledare?nyckel={key}\n"
        f"  Handledarnyckel:    {key}\n"
        f"  Svaren sparas i:    {where}\n"
        + (
            f"  Säkerhetskopia:     samverkan backup KOPIA.sqlite --db {where}  (går bra medan servern kör)\n"
            if store.url.startswith("sqlite:///")
            else ""
        )
        + (
            f"  Förbereder {room_size} deltagarplatser; det tar ungefär {max(5, room_size // 2)} sekunder.\n"
            if room_size
            else ""
        )
        + "Avsluta med Ctrl+C. Sparade svar finns kvar när servern startas igen.",
        flush=True,
    )
    if limit_warning:
        print(limit_warning, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("Obs! Servern nås från nätverket. Använd den bara på ett nätverk du litar på.", flush=True)
    try:
        cls.launch_instance(argv=[str(apps_dir)], config=c)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    return 0
