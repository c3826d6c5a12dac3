"""The workshop server's kernels and process: the preheated pool, its refill, and the limits of the process.

Voila's kernel manager is adjusted here: pages are counted per kind of page (:func:`count_pages`),
the reserve of preheated participant kernels is refilled only when arrivals pause
(:func:`refill_when_quiet`), header dates are parsed quickly (:func:`install_fast_dates`),
templates are compiled once (:func:`install_template_cache`), and the socket and file limits
follow the room size.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import tornado.web

from samverkan.workshop import guard

PARTICIPANT_APP = "deltagare.ipynb"
READER_APP = "lasare.ipynb"  # the lesson reader (self-study), a kind of page with its own share
DASHBOARD_APP = "handledarvy.ipynb"
QUIET_SECONDS = 3.0  # no arrival for this long: start refilling the reserve
PAGE_REQUEST: contextvars.ContextVar[tuple[str, str | None]] = contextvars.ContextVar("samverkan_page_request")


def count_pages(km: Any, budget: guard.KernelBudget) -> None:
    """Tell the budget which kernel each page request got (preheated or new), and refuse a new kernel
    beyond the budget. The page handler says what kind of page asks (:data:`PAGE_REQUEST`).

    Only the page handler calls these on the instance; the pool starts its kernels through the class
    (``super().start_kernel``), so a preheated kernel belongs to nobody until a page takes it.
    """
    from jupyter_core.utils import ensure_async

    start = km.start_kernel
    rendered = getattr(km, "get_rendered_notebook", None)  # only the preheating manager (--room-size > 0)

    async def start_kernel(*args: Any, **kwargs: Any) -> str:
        kind, token = PAGE_REQUEST.get(("other", None))
        if not budget.may_start(kind):
            raise tornado.web.HTTPError(503)
        kernel_id = await ensure_async(start(*args, **kwargs))
        budget.handed(kernel_id, kind, token)
        return kernel_id

    async def get_rendered_notebook(*args: Any, **kwargs: Any) -> Any:
        assert rendered is not None
        render_task, cache, kernel_id = await rendered(*args, **kwargs)
        kind, token = PAGE_REQUEST.get(("participant", None))
        budget.handed(kernel_id, kind, token)
        return render_task, cache, kernel_id

    km.start_kernel = start_kernel
    if rendered is not None:
        km.get_rendered_notebook = get_rendered_notebook


def refill_when_quiet(km: Any, fill: Any, allowed: Any = lambda: True) -> Any:
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
