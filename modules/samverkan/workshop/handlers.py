"""The workshop server's own pages and the guarded Voila page handler.

The start page, the join form (``/delta``), the facilitator's login (``/handledare``) and
``/status`` are served by this process without a kernel; :func:`guarded_voila_handler` puts the
limits of :mod:`samverkan.workshop.guard` in front of Voila's page handler.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import tornado.web

from samverkan.workshop import guard, pages
from samverkan.workshop.runtime import DASHBOARD_APP, PAGE_REQUEST, PARTICIPANT_APP, READER_APP
from samverkan.workshop.store import TOKEN_RE, Store, StoreError, normalise_code
from samverkan.workshop.transform import VOILA_CSP

FACILITATOR_COOKIE = "samverkan_handledare"
# A returning browser: the participant's random token (nothing personal), so that joining the same
# session again from the same browser continues as the same participant instead of taking a new place.
PARTICIPANT_COOKIE = "samverkan_deltagare"
PARTICIPANT_COOKIE_DAYS = 1
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
        known = self.get_cookie(PARTICIPANT_COOKIE, "")[:64]
        if known and TOKEN_RE.fullmatch(known):
            try:
                participant = await loop.run_in_executor(None, self.store.participant, known)
            except StoreError:
                participant = None
            if participant is not None and participant.session.code == normalise_code(code)[:12]:
                # The same browser joins the same session again: it continues as the same participant.
                params = {"kod": participant.session.code, "p": known}
                self.redirect(f"{self.base}voila/render/{PARTICIPANT_APP}?{urlencode(params)}", status=303)
                return
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
        target = self._target(self.get_query_argument("till", ""))
        if key:
            await self._login(key, from_link=True)
        elif self.get_query_argument("fel", ""):
            self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY, target=target), status=403)
        else:
            self.write_html(pages.facilitator_login(self.base, target=target))

    @staticmethod
    def _target(value: str) -> str:
        """Where to go after the login: ``storbild`` (the presenter page) or the dashboard ("")."""
        return "storbild" if value == "storbild" else ""

    async def post(self) -> None:
        """Log in with the key typed into the form (tornado hook)."""
        await self._login(self.get_body_argument("nyckel", "")[:100])

    async def _login(self, key: str, from_link: bool = False) -> None:
        target = self._target(self.get_argument("till", ""))
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
            self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY, target=target), status=403)
            return
        self.set_cookie(
            FACILITATOR_COOKIE, normalise_code(key), httponly=True, samesite="Strict", path=self.base or "/"
        )
        if target == "storbild":
            self.redirect(f"{self.base}handledare/storbild", status=303)
            return
        self.redirect(f"{self.base}voila/render/{DASHBOARD_APP}", status=303)


class KeyChecks:
    """Facilitator keys from cookies, checked and remembered a while (the key's hash takes 60 000 rounds,
    and the presenter page asks once a second). An unknown key costs a hash only within the client's
    page budget and at most :data:`AT_ONCE` at a time in all, so a script sending made-up cookies gets
    "no" and the room keeps its CPU (300 at once kept the join page waiting 13 s before this)."""

    REMEMBER_SECONDS = 30.0
    AT_ONCE = 2

    def __init__(self) -> None:
        self.checked: dict[str, float] = {}
        self.running = 0

    async def ok(self, store: Store, key: str, client: str, limit: Any) -> bool:
        """Whether ``key`` is a valid facilitator key (``limit``: the server's ClientLimits, or None)."""
        if not key:
            return False
        digest = hashlib.sha256(key.encode()).hexdigest()
        if self.checked.get(digest, 0.0) > time.monotonic():
            return True
        if limit is not None and not limit.allow(client):
            return False
        if self.running >= self.AT_ONCE:
            return False
        self.running += 1
        try:
            ok = await asyncio.get_running_loop().run_in_executor(None, store.check_key, key)
        finally:
            self.running -= 1
        if ok:
            if len(self.checked) > 100:
                self.checked.clear()
            self.checked[digest] = time.monotonic() + self.REMEMBER_SECONDS
        return ok


KEY_CHECKS = KeyChecks()  # one per server process


class _Facilitator(_Base):
    """A page for the facilitator only: the key's cookie is checked (see :class:`KeyChecks`)."""

    def initialize(
        self, store: Store, apps: list, base_url: str, kit: Any = None, public: str = "/", rooms: Any = None
    ) -> None:
        """Keep the store, apps, base URL, the kit, the participants' address and the broadcaster (tornado hook)."""
        super().initialize(store, apps, base_url)
        self.kit = kit
        self.public = public
        self.rooms = rooms

    async def is_facilitator(self) -> bool:
        """Whether the request carries a valid facilitator cookie."""
        cookie = self.get_cookie(FACILITATOR_COOKIE, "")[:100]
        return await KEY_CHECKS.ok(
            self.store, cookie, self.request.remote_ip or "", self.settings.get("samverkan_pages")
        )

    async def session_from(self, code: str) -> Any:
        """The session with this code, or None (an unknown code shows the list of sessions)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.store.session_by_code, code[:40])
        except StoreError:
            return None


class PresenterHandler(_Facilitator):
    """``/handledare/storbild``: the projector's page (GET) and the facilitator's controls (POST)."""

    async def get(self) -> None:
        """Send the presenter page for ``?pass=``, or the list of sessions (tornado hook)."""
        from samverkan.workshop import presenter

        if not await self.is_facilitator():
            return self.redirect(f"{self.base}handledare?{urlencode({'till': 'storbild'})}", status=303)
        loop = asyncio.get_running_loop()
        session = await self.session_from(self.get_query_argument("pass", ""))
        if session is None:
            sessions = await loop.run_in_executor(None, self.store.sessions)
            return self.write_html(presenter.choose_page(self.base, sessions))
        show_join = self.get_query_argument("visa", "") == "anslutning"
        message = presenter.MESSAGES.get(self.get_query_argument("meddelande", ""), "")
        html = await loop.run_in_executor(
            None, presenter.presenter_page, self.base, self.store, self.kit, session, self.public, show_join, message
        )
        self.write_html(html)

    async def post(self) -> None:
        """Carry out one control (next, previous, show the result, countdown, mode, release), then show
        the page again (tornado hook). Only the values the controls send are accepted."""
        from samverkan.workshop import presenter

        origin = self.request.headers.get("Origin", "null")
        if origin != "null" and urlsplit(origin).netloc not in (self.request.host, urlsplit(self.public).netloc):
            # Never a form from another site (the cookie is SameSite=Strict as well; a proxy may change Host).
            # "null": our pages send no referrer, so the browser's own form posts say Origin: null.
            return self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY), status=403)
        if not await self.is_facilitator():
            return self.write_html(pages.facilitator_login(self.base, message=WRONG_KEY), status=403)
        session = await self.session_from(self.get_body_argument("pass", ""))
        if session is None:
            return self.redirect(f"{self.base}{presenter.PATH}", status=303)
        action = self.get_body_argument("atgard", "")[:20]
        values = {k: self.get_body_argument(k, "")[:80] for k in ("ovning", "sekunder", "visa")}
        loop = asyncio.get_running_loop()
        try:
            message = await loop.run_in_executor(None, presenter.act, self.store, self.kit, session, action, values)
            if self.rooms is not None:  # participants' pages follow now, not at the next look
                await loop.run_in_executor(None, self.rooms.tick)
        except StoreError:
            message = "fel"
        query = {"pass": session.code}
        if message:
            query["meddelande"] = message
        self.redirect(f"{self.base}{presenter.PATH}?{urlencode(query)}", status=303)


class PresenterState(_Facilitator):
    """``/handledare/storbild/lage``: the stage as JSON, asked for once a second by the presenter page."""

    async def get(self) -> None:
        """Send {version, html, status, revealed, deadline, now} (tornado hook)."""
        from samverkan.workshop import presenter

        if not await self.is_facilitator():
            self.set_status(403)
            self.finish({"fel": "Logga in som handledare igen."})
            return
        session = await self.session_from(self.get_query_argument("pass", ""))
        if session is None:
            self.set_status(404)
            self.finish({"fel": "Passet finns inte."})
            return
        show_join = self.get_query_argument("visa", "") == "anslutning"
        now = await asyncio.get_running_loop().run_in_executor(
            None, presenter.stage, self.store, self.kit, session, self.public, show_join
        )
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(
            json.dumps(
                {
                    "version": now.version,
                    "html": now.html,
                    "status": now.status,
                    "revealed": now.revealed,
                    "deadline": now.deadline,
                    "now": time.time(),
                },
                ensure_ascii=False,
            )
        )


class PresenterScript(_Base):
    """``/handledare/storbild.js``: the presenter page's script (a file: the CSP allows no inline script)."""

    def get(self) -> None:
        """Send the script (tornado hook)."""
        from samverkan.workshop import presenter

        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.finish(presenter.SCRIPT)


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
                self.set_cookie(
                    PARTICIPANT_COOKIE,
                    token,
                    httponly=True,
                    samesite="Lax",
                    path=self.base_url or "/",
                    expires_days=PARTICIPANT_COOKIE_DAYS,
                )
            elif name == READER_APP:
                kind = "reader"
            elif name == DASHBOARD_APP and store is not None:
                given = params.pop("nyckel", "")
                if given:  # the printed link: the key goes into a cookie and out of the address bar
                    return self.redirect(f"{self.base_url}handledare?{urlencode({'nyckel': given})}", status=303)
                cookie = self.get_cookie(FACILITATOR_COOKIE, "")[:100]
                if not await KEY_CHECKS.ok(store, cookie, self.request.remote_ip or "", limit):
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
