"""What keeps ``samverkan serve`` up when anyone in the room may be hostile.

Everyone in a conference room is an anonymous stranger on the same network. This
module holds the server's defences; ``server.py`` installs them:

* :class:`SafeKernelWebsocket`: the kernel websocket checks every frame before
  jupyter_server parses it (both message formats, bounded offsets, no binary
  buffers from a client, a rate per connection), parses what the server sends
  within bounds, keeps tracebacks and stderr from reaching the page, and closes a
  connection whose client does not read (bounded output buffer).
* :class:`OwnRequestInfoSocket`: the socket a preheated kernel waits on for its
  page request only ever removes its own entry, and refuses kernel ids that the
  server did not start.
* :class:`KernelShutdown`: closing a page frees its kernel at once (the page's
  beacon was refused for want of an xsrf cookie).
* :class:`KernelBudget`: a hard cap on kernels, one live kernel per participant
  token (a new tab takes over), and kernels without a page connected are shut
  down within seconds.
* :class:`ClientLimits`: per-client token buckets for anonymous page requests,
  sized so that a whole room behind one NAT never meets them. Joins have none (a
  room behind one NAT shares an address): a join stores nothing until its page
  opens (``Store.join_ticket`` / ``Store.redeem``).
* :func:`log_request` and :class:`PrivacyFilter`: the log names events, never IP
  addresses, tokens, keys or answers, and is rate-limited.
* :class:`AnonymousIdentity`: no identity cookie.

The limits are set from ``--room-size`` (see :func:`limits_for`); the README's
"Det servern vägrar och begränsar" says how to change them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import tornado.web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

log = logging.getLogger("samverkan.workshop.guard")

V1 = "v1.kernel.websocket.jupyter.org"
MAX_FRAME_BYTES = 1 << 20  # a widget update is at most a few kB; a free-text answer at most 20 000 characters
MAX_PARTS = 16  # a client's v1 frame has a channel and 4 message parts (more would be buffers)
MAX_PENDING_BYTES = 8 << 20  # output queued for a client that does not read before it is disconnected
MESSAGES_PER_SECOND = 40.0  # per connection, sustained; a real page sends a few a second
MESSAGE_BURST = 400.0
NO_SOCKET_GRACE = 30.0  # a page's kernel with no websocket this long after the page was sent: shut down
CLOSED_GRACE = 20.0  # a page's kernel whose last websocket closed this long ago: shut down
REAP_INTERVAL = 2.0
ARRIVAL_QUIET = 5.0  # no new anonymous kernel while a participant page was handed out this recently
OTHER_STARTS_BURST = 4.0  # anonymous kernels started in a row, then OTHER_STARTS_PER_SECOND
OTHER_STARTS_PER_SECOND = 0.5
READER_STARTS_BURST = 8.0  # reader kernels started in a row, then READER_STARTS_PER_SECOND
READER_STARTS_PER_SECOND = 1.0
TOKEN_TABS_BURST = 4.0  # one participant's page loads in a row before they must wait
TOKEN_TABS_PER_SECOND = 0.2
LOG_LINES_PER_MINUTE = 60


# -- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The server's budgets, all derived from the room size (see :func:`limits_for`)."""

    room_size: int
    reserve: int
    participant_kernels: int  # participant pages, preheated ones included
    other_kernels: int  # lesson apps, tools: anonymous pages that start a kernel each
    facilitator_kernels: int
    reader_kernels: int  # the lesson reader (self-study): anonymous pages with a share of their own
    client_pages_burst: float
    client_pages_per_second: float

    @property
    def total_kernels(self) -> int:
        """The cap on all kernels: participant, other and facilitator shares together."""
        return self.participant_kernels + self.other_kernels + self.facilitator_kernels + self.reader_kernels


def limits_for(room_size: int, reserve: int, readers: int | None = None) -> Limits:
    """Budgets for a room of ``room_size``: a whole room may arrive at once from one address (a conference
    wifi behind one NAT) without meeting a per-client limit; a script from that address gets no more."""
    room = max(room_size, 1)
    return Limits(
        room_size=room_size,
        reserve=reserve,
        participant_kernels=room + reserve,
        other_kernels=max(8, room // 5),
        facilitator_kernels=4,
        reader_kernels=max(8, room // 5) if readers is None else readers,
        client_pages_burst=2.0 * room + 20,
        client_pages_per_second=max(2.0, room / 30),
    )


class TokenBucket:
    """A token bucket: up to ``capacity`` tokens, refilled at ``rate`` per second."""

    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity: float, rate: float):
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        """Take ``n`` tokens if the bucket (refilled for the time passed) has them; returns whether it did."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False


class ClientLimits:
    """Token buckets per client (kept in memory only, never logged or stored; at most ``max_clients``)."""

    def __init__(self, capacity: float, rate: float, max_clients: int = 10_000):
        self.capacity, self.rate, self.max_clients = capacity, rate, max_clients
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def allow(self, client: str) -> bool:
        """Whether ``client`` may make one more request now (takes a token from its bucket)."""
        bucket = self.buckets.get(client)
        if bucket is None:
            bucket = self.buckets[client] = TokenBucket(self.capacity, self.rate)
            if len(self.buckets) > self.max_clients:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(client)
        return bucket.take()


# -- the kernel budget ----------------------------------------------------------------------------


@dataclass
class Page:
    """A kernel handed to a page request."""

    kind: str  # "participant", "facilitator" or "other"
    token: str | None
    handed: float = field(default_factory=time.monotonic)
    sockets: int = 0
    ever_connected: bool = False
    last_closed: float = 0.0


class KernelBudget:
    """Which kernel serves which page, and the caps on them.

    * at most :attr:`Limits.total_kernels` kernels, and per kind of page its own share, so a storm
      of anonymous lesson pages cannot take the participants' or the facilitator's;
    * one live kernel per participant token: a second tab takes over, the first tab's kernel is shut down;
    * a page whose kernel gets no websocket within :data:`NO_SOCKET_GRACE` seconds, or whose last
      websocket closed :data:`CLOSED_GRACE` seconds ago, has its kernel shut down.
    """

    def __init__(self, km: Any, limits: Limits, participant_app: str):
        self.km = km
        self.limits = limits
        self.participant_app = participant_app
        self.pages: dict[str, Page] = {}
        self.by_token: dict[str, str] = {}
        self.token_tabs = ClientLimits(TOKEN_TABS_BURST, TOKEN_TABS_PER_SECOND, max_clients=20_000)
        self.shut_down = 0  # kernels this budget freed (tests and the benchmark read it)
        self._stopping: set[asyncio.Future] = set()  # shutdowns still running (a reference keeps each alive)
        self.last_participant = 0.0
        self.other_starts = TokenBucket(OTHER_STARTS_BURST, OTHER_STARTS_PER_SECOND)
        self.reader_starts = TokenBucket(READER_STARTS_BURST, READER_STARTS_PER_SECOND)
        # SAMVERKAN_KERNEL_GRACE (seconds) shortens both graces, for tests and for a machine short of memory
        grace = os.environ.get("SAMVERKAN_KERNEL_GRACE", "")
        custom = float(grace) if grace.replace(".", "", 1).isdigit() and float(grace) > 0 else None
        self.no_socket_grace = max(custom, 15.0) if custom else NO_SOCKET_GRACE  # a slow browser still connects
        self.closed_grace = custom or CLOSED_GRACE
        self._reaper: asyncio.Task | None = None

    # what is running
    def pool_kernels(self) -> int:
        """How many preheated kernels wait in the participant app's pool."""
        return len(getattr(self.km, "_pools", {}).get(self.participant_app, []))

    def may_start(self, kind: str) -> bool:
        """Whether a page of ``kind`` may start a new kernel now."""
        live = set(self.km.list_kernel_ids())
        pool = getattr(self.km, "_pools", {}).get(self.participant_app, [])
        if len(live) + sum(1 for t in pool if not t.done()) >= self.limits.total_kernels:
            return False
        mine = sum(1 for kid, page in self.pages.items() if page.kind == kind and kid in live)
        if kind == "participant":
            return mine + len(pool) < self.limits.participant_kernels
        if kind == "facilitator":
            return mine < self.limits.facilitator_kernels
        if kind == "reader":
            return mine < self.limits.reader_kernels
        return mine < self.limits.other_kernels

    def may_refill(self) -> bool:
        """Whether the participant reserve may start one more kernel."""
        return self.may_start("participant")

    def room_arriving(self) -> bool:
        """Whether participants are arriving (a participant page was handed out in the last few seconds)."""
        return time.monotonic() - self.last_participant < ARRIVAL_QUIET

    def pace_reader(self) -> bool:
        """Whether a reader page may start a kernel now: a few in a row, then one a second (its own pace,
        so lesson pages and readers do not wait for each other)."""
        return self.reader_starts.take()

    def pace_other(self) -> bool:
        """Whether an anonymous page may start a kernel now: at most a few in a row, then one every two
        seconds. A kernel start costs the server a second of CPU, so a storm of lesson pages would
        otherwise take the CPU an arriving room needs (bench/attacks.py: p95 17 s instead of 0.3 s)."""
        return self.other_starts.take()

    def tab_allowed(self, token: str) -> bool:
        """Whether the participant with ``token`` may load one more page now (a few in a row, then slower)."""
        return self.token_tabs.allow(token)

    # events
    def handed(self, kernel_id: str, kind: str, token: str | None) -> None:
        """Record that a kernel serves a page; the same participant token's earlier kernel is shut down."""
        self.pages[kernel_id] = Page(kind, token)
        if kind == "participant":
            self.last_participant = time.monotonic()
        if token:
            previous = self.by_token.get(token)
            self.by_token[token] = kernel_id
            if previous and previous != kernel_id:
                self.shutdown(previous, "a new tab took over")

    def socket_opened(self, kernel_id: str) -> None:
        """Count a websocket that opened to the kernel's page."""
        page = self.pages.get(kernel_id)
        if page is not None:
            page.sockets += 1
            page.ever_connected = True

    def socket_closed(self, kernel_id: str) -> None:
        """Count a websocket to the kernel's page that closed, and when."""
        page = self.pages.get(kernel_id)
        if page is not None:
            page.sockets = max(0, page.sockets - 1)
            page.last_closed = time.monotonic()

    def owns(self, kernel_id: str) -> bool:
        """Whether ``kernel_id`` serves a page (not a preheated kernel still waiting)."""
        return kernel_id in self.pages

    def shutdown(self, kernel_id: str, why: str) -> None:
        """Forget the kernel's page and shut the kernel down in the background (``why`` goes to the log)."""
        page = self.pages.pop(kernel_id, None)
        if page is not None and page.token and self.by_token.get(page.token) == kernel_id:
            del self.by_token[page.token]
        if kernel_id not in self.km:
            return
        self.shut_down += 1
        log.info("shutting down a kernel: %s", why)

        async def stop() -> None:
            try:
                await self.km.shutdown_kernel(kernel_id, now=True)
            except Exception as exc:  # already gone, or the manager is stopping: nothing to undo
                log.info("a kernel could not be shut down: %s", type(exc).__name__)
            finally:
                self._stopping.discard(task)

        task = asyncio.ensure_future(stop())
        self._stopping.add(task)  # a reference until it ends, so the task is not collected early

    def reap(self) -> None:
        """Forget pages whose kernel is gone; shut down kernels whose page never connected or has closed."""
        now = time.monotonic()
        live = set(self.km.list_kernel_ids())
        for kernel_id, page in list(self.pages.items()):
            if kernel_id not in live:
                self.pages.pop(kernel_id, None)
                if page.token and self.by_token.get(page.token) == kernel_id:
                    del self.by_token[page.token]
                continue
            if page.sockets:
                continue
            if not page.ever_connected and now - page.handed > self.no_socket_grace:
                self.shutdown(kernel_id, "no page connected to it")
            elif page.ever_connected and now - page.last_closed > self.closed_grace:
                self.shutdown(kernel_id, "its page was closed")

    def start(self) -> None:
        """Start the background loop that reaps every :data:`REAP_INTERVAL` seconds."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(REAP_INTERVAL)
                try:
                    self.reap()
                except Exception:
                    log.exception("kernel reaper failed")

        self._reaper = asyncio.ensure_future(loop())


# -- the kernel websocket -------------------------------------------------------------------------


def _v1_offsets(frame: bytes, max_parts: int) -> list[int] | None:
    """The offsets of a v1 frame, or None when they do not describe it (bounded work, whatever the frame)."""
    if len(frame) < 16:
        return None
    n = int.from_bytes(frame[:8], "little")
    if not 2 <= n <= max_parts + 1 or len(frame) < 8 * (n + 1):
        return None
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)]
    if offsets[0] != 8 * (n + 1) or any(b < a for a, b in zip(offsets, offsets[1:])) or offsets[-1] > len(frame):
        return None
    return offsets  # the channel is offsets[0]:offsets[1], part i is offsets[i + 1]:offsets[i + 2]


def v1_header(frame: bytes) -> dict | None:
    """The header of a v1 frame, parsed within bounds (Voila's own parser loops on a crafted count)."""
    offsets = _v1_offsets(frame, 4096)
    if offsets is None or len(offsets) < 3:
        return None
    try:
        return json.loads(frame[offsets[1] : offsets[2]])
    except (ValueError, UnicodeDecodeError):
        return None


def v1_part(frame: bytes, index: int) -> Any:
    """Message part ``index`` of a v1 frame (0 is the header, 3 the content) parsed as JSON, or None."""
    offsets = _v1_offsets(frame, 4096)
    if offsets is None or len(offsets) < index + 3:
        return None
    try:
        return json.loads(frame[offsets[index + 1] : offsets[index + 2]])
    except (ValueError, UnicodeDecodeError):
        return None


def check_client_frame(message: Any, subprotocol: str | None) -> str | None:
    """Why a frame from a client is refused, or None when it may be parsed by jupyter_server."""
    size = len(message)
    if size > MAX_FRAME_BYTES:
        return "frame too large"
    if subprotocol == V1:
        if not isinstance(message, bytes):
            return "text frame in the v1 format"
        offsets = _v1_offsets(message, MAX_PARTS)
        if offsets is None:
            return "malformed v1 frame"
        # header, parent header, metadata, content: a fifth part is a binary buffer
        if len(offsets) - 2 > 4:
            return "binary buffers"
        return None
    if isinstance(message, bytes):
        return "binary frame in the legacy format (buffers)"
    try:
        msg = json.loads(message)
    except ValueError:
        return "not JSON"
    if not isinstance(msg, dict) or not isinstance(msg.get("header"), dict):
        return "not a message"
    if msg.get("buffers"):
        return "binary buffers"
    return None


# Sent to a client instead of an error or a stderr stream: no traceback, no server path.
FILTERED_TYPES = {"error"}


def _outgoing_type(message: Any, subprotocol: str | None) -> tuple[str | None, str | None]:
    """(msg_type, stream name) of what the server is about to send, parsed within bounds."""
    if isinstance(message, bytes):
        if subprotocol != V1:
            return None, None  # a legacy binary message (a widget's buffers): nothing to parse here
        head = v1_header(message)
        if head is None:
            return None, None
        kind = head.get("msg_type")
        name = None
        if kind == "stream":
            content = v1_part(message, 3)
            name = content.get("name") if isinstance(content, dict) else None
        return kind, name
    if isinstance(message, str):
        if (
            '"execute_input"' not in message
            and '"error"' not in message
            and '"stderr"' not in message
            and '"execute_reply"' not in message
        ):
            return "other", None  # the common case: no parse at all
        try:
            msg = json.loads(message)
        except ValueError:
            return None, None
        kind = msg.get("header", {}).get("msg_type")
        if kind == "execute_reply" and msg.get("content", {}).get("status") == "error":
            return "error", None
        return kind, msg.get("content", {}).get("name") if kind == "stream" else None
    if isinstance(message, dict):
        kind = (message.get("header") or {}).get("msg_type")
        return kind, (message.get("content") or {}).get("name") if kind == "stream" else None
    return None, None


def websocket_class(base: Any, budget_of: Any) -> type:
    """A subclass of Voila's kernel websocket handler with the checks above.

    ``budget_of``: a callable giving the server's :class:`KernelBudget` (or None).
    """

    class SafeKernelWebsocket(base):
        def initialize(self, *args: Any, **kwargs: Any) -> None:
            super().initialize(*args, **kwargs)
            self._bucket = TokenBucket(MESSAGE_BURST, MESSAGES_PER_SECOND)
            self._pending = 0
            self._refused = 0
            self._counted_kernel: str | None = None

        def get_compression_options(self) -> Any:
            return None  # no per-message deflate: a small frame must not inflate to gigabytes

        async def get(self, kernel_id: str, *args: Any, **kwargs: Any) -> Any:
            budget = budget_of()
            if budget is not None and not budget.owns(kernel_id):
                # Only kernels that serve a page take a browser; a preheated kernel still waiting for its
                # participant is nobody's yet.
                raise tornado.web.HTTPError(404)
            return await super().get(kernel_id, *args, **kwargs)

        async def open(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
            budget = budget_of()
            if budget is not None:
                budget.socket_opened(kernel_id)
                self._counted_kernel = kernel_id
            await super().open(kernel_id, *args, **kwargs)

        def on_close(self) -> None:
            budget = budget_of()
            if budget is not None and self._counted_kernel:
                budget.socket_closed(self._counted_kernel)
                self._counted_kernel = None
            if getattr(self, "connection", None) is not None:
                super().on_close()

        @property
        def protocol(self) -> str | None:
            if getattr(self, "ws_connection", None) is None:
                return None
            return self.selected_subprotocol

        def on_message(self, message: Any) -> None:
            reason: str | None
            if not self._bucket.take():
                reason = "too many messages"
            else:
                reason = check_client_frame(message, self.protocol)
            if reason is not None:
                self._refused += 1
                if self._refused in (1, 10, 100, 1000):
                    log.warning(
                        "refused a websocket message (%s); %d refused on this connection", reason, self._refused
                    )
                if self._refused >= 1000:
                    self.close(1008, "too many refused messages")
                return
            try:
                super().on_message(message)
            except Exception as exc:
                log.warning("dropped a websocket message that could not be handled (%s)", type(exc).__name__)

        def write_message(self, message: Any, binary: bool = False) -> Any:
            if getattr(self, "ws_connection", None) is None or self.ws_connection.is_closing():
                return None  # closed (by the client, or by this guard): nothing more to send
            kind, stream = _outgoing_type(message, self.protocol)
            if kind == "execute_input" or kind in FILTERED_TYPES or (kind == "stream" and stream == "stderr"):
                return None  # never the code, a traceback or the kernel's stderr to a page
            size = len(message) if isinstance(message, (bytes, str)) else 0
            if self._pending + size > MAX_PENDING_BYTES:
                log.warning("closed a websocket whose client does not read (%d MB waiting)", self._pending >> 20)
                self.close(1008, "client does not read")
                return None
            try:
                # WebSocketHandler's own write, not Voila's (which parses binary headers without bounds)
                future = WebSocketHandler.write_message(self, message, binary=binary)
            except WebSocketClosedError:
                return None
            self._pending += size

            def done(_f: Any, n: int = size) -> None:
                self._pending -= n

            future.add_done_callback(done)
            return future

    return SafeKernelWebsocket


# -- the request-info socket and the shutdown beacon ----------------------------------------------


def request_info_class(base: Any, known: Any) -> type:
    """Voila's ``/voila/query/<kernel id>`` socket, fixed: refuses kernel ids the server did not start,
    takes one waiter per kernel, and on close removes only its own entry.

    ``known(kernel_id)``: whether the kernel manager has that kernel.
    """

    class OwnRequestInfoSocket(base):
        def check_origin(self, origin: str) -> bool:
            return True  # the preheated kernel connects from this machine without an Origin

        def open(self, kernel_id: str) -> None:
            self.kernel_id = None
            if not known(kernel_id) or kernel_id in base._waiters:
                self.close(1008)
                return
            self.kernel_id = kernel_id
            base._waiters[kernel_id] = self
            payload = base._cache.pop(kernel_id, None)
            if payload is not None:
                self.write_message(payload)

        def on_message(self, message: Any) -> None:
            return None

        def on_close(self) -> None:
            if self.kernel_id and base._waiters.get(self.kernel_id) is self:
                del base._waiters[self.kernel_id]

    return OwnRequestInfoSocket


class KernelShutdown(tornado.web.RequestHandler):
    """``POST /voila/api/shutdown/<kernel id>``: the beacon a page sends when it is closed.

    The kernel id is the capability (it is known only to the page that holds it), so no xsrf
    cookie is needed; only kernels that serve a page can be shut down this way.
    """

    def initialize(self, budget_of: Any) -> None:
        """Keep the callable that returns the kernel budget (tornado hook)."""
        self.budget_of = budget_of

    def check_xsrf_cookie(self) -> None:
        """Accept the beacon without an xsrf cookie: the kernel id is the capability (tornado hook)."""
        return None

    def post(self, kernel_id: str) -> None:
        """Shut down the kernel if it serves a page (204), else 404 (tornado hook)."""
        budget = self.budget_of()
        if budget is None or not budget.owns(kernel_id):
            self.set_status(404)
            self.finish()
            return
        budget.shutdown(kernel_id, "its page was closed (beacon)")
        self.set_status(204)
        self.finish()


# -- privacy: logs and cookies --------------------------------------------------------------------

_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b|::1\b")
_SECRET = re.compile(r"([?&](?:p|nyckel|kod|_xsrf|token|session_id)=)[^&\s\"']*", re.I)
_KERNEL = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # terminal escapes a client could put in a path


def redact(text: str) -> str:
    """``text`` without IP addresses, tokens, keys, kernel ids or control characters."""
    return _CONTROL.sub("?", _KERNEL.sub("<kärna>", _SECRET.sub(r"\1…", _IP.sub("<adress>", text))))


class PrivacyFilter(logging.Filter):
    """Redacts every record (see :func:`redact`) and lets at most :data:`LOG_LINES_PER_MINUTE` through."""

    def __init__(self, per_minute: int = LOG_LINES_PER_MINUTE):
        super().__init__()
        self.per_minute = per_minute
        self.window = 0.0
        self.lines = 0
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record and drop it past the per-minute limit (errors always pass) (logging hook)."""
        now = time.monotonic()
        if now - self.window >= 60:
            dropped, self.dropped = self.dropped, 0
            self.window, self.lines = now, 0
            if dropped:
                record.msg = f"({dropped} loggrader utelämnade den senaste minuten) " + str(record.msg)
        if self.lines >= self.per_minute and record.levelno < logging.ERROR:
            self.dropped += 1
            return False
        self.lines += 1
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.levelno < logging.ERROR:
            record.exc_info = None
        return True


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, without the client's address or the query string: only failures."""
    status = handler.get_status()
    if status < 400 or status in (404, 429, 503):
        return  # ordinary traffic and refusals the server chose: nothing to log per request
    log.warning("%d %s %s", status, handler.request.method, redact(handler.request.path[:200]).replace("\n", "?"))


def anonymous_identity(base: Any) -> type:
    """An identity provider that never sets the 30-day ``username-…`` cookie: every visitor is anonymous."""
    from jupyter_server.auth.identity import User

    class AnonymousIdentity(base):
        def get_user(self, handler: Any) -> User:
            return User(username="deltagare", name="Deltagare", display_name="Deltagare")

        def set_login_cookie(self, handler: Any, user: Any) -> None:
            return None

    return AnonymousIdentity
