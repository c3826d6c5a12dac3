"""The workshop server's own pages and the guarded Voila page handler.

The start page, the join form (``/delta``), the facilitator's login (``/handledare``) and
``/status`` are served by this process without a kernel; :func:`guarded_voila_handler` puts the
limits of :mod:`samverkan.workshop.guard` in front of Voila's page handler.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import tornado.web

from samverkan.workshop import guard, pages
from samverkan.workshop.runtime import DASHBOARD_APP, PAGE_REQUEST, PARTICIPANT_APP, READER_APP
from samverkan.workshop.store import Store, StoreError, normalise_code
from samverkan.workshop.transform import VOILA_CSP

FACILITATOR_COOKIE = "samverkan_handledare"
KERNEL_ID = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"  # as Voila's routes name a kernel
WRONG_KEY = "Fel handledarnyckel. Skriv nyckeln som servern skrev ut när den startade."


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
    """The start page: the lessons and tools the server offers, and the way to join."""

    def get(self) -> None:
        """Send the start page (tornado hook)."""
        self.write_html(pages.start_page(self.apps, self.base))


class JoinHandler(_Base):
    """GET shows the form (a link may carry ``?kod=``); POST joins and redirects to the participant app."""

    def get(self) -> None:
        """Send the join form, with the code from ``?kod=`` filled in (tornado hook)."""
        code = normalise_code(self.get_query_argument("kod", ""))[:12]
        self.write_html(pages.join_page(self.base, code=code))

    async def post(self) -> None:
        """Check the join, redirect to the participant app with token and ticket, or say why not (tornado hook)."""
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
        """Log in with a key from the printed link, or show the login form (tornado hook)."""
        key = self.get_query_argument("nyckel", "")[:100]
        if key:
            await self._login(key, from_link=True)
        elif self.get_query_argument("fel", ""):
            self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY), status=403)
        else:
            self.write_html(pages.facilitator_login(self.base))

    async def post(self) -> None:
        """Log in with the key typed into the form (tornado hook)."""
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
        """Keep the store, apps, base URL and the Voila app whose pool and budget are reported (tornado hook)."""
        super().initialize(store, apps, base_url)
        self.app = app

    def get(self) -> None:
        """Send counts as JSON: participant pages ready, pool size, kernels running and freed (tornado hook)."""
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
            elif name == READER_APP:
                kind = "reader"
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
            if kind in ("other", "reader") and limit is not None and not limit.allow(self.request.remote_ip or ""):
                # Anonymous pages only: a participant's page is bounded by its token (one kernel, a few
                # loads in a row), the facilitator's by the key, so a storm from one address (which may be
                # the whole room's, behind one NAT) never keeps the room out.
                return self.refuse(429, pages.TOO_MANY_PAGES)
            if kind in ("other", "reader") and budget is not None:
                # The room first: no anonymous kernel while participants arrive, and few in a row after.
                if budget.room_arriving():
                    return self.refuse(503, pages.ROOM_ARRIVING)
                if not (budget.pace_reader() if kind == "reader" else budget.pace_other()):
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
    """Voila's file tree (``voila/tree``) is not offered: every request for it goes to the start page."""

    def get(self, *_args: Any) -> None:
        """Redirect to the server's base URL (tornado hook)."""
        self.redirect(self.settings.get("base_url", "/") or "/")
