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
import json
import logging
import os
import pickle
import re
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from samverkan.build.address import lan_address
from samverkan.errors import ParameterError, SamverkanError
from samverkan.workshop import guard
from samverkan.workshop.handlers import (
    KERNEL_ID,
    FacilitatorLogin,
    JoinHandler,
    PresenterHandler,
    PresenterScript,
    PresenterState,
    StartHandler,
    StatusHandler,
    TreeRedirect,
    guarded_voila_handler,
)
from samverkan.workshop.room import BROADCAST_SECONDS, ROOMS_ENV, Broadcaster
from samverkan.workshop.runtime import (
    DASHBOARD_APP,
    PARTICIPANT_APP,
    count_pages,
    install_fast_dates,
    install_template_cache,
    raise_file_limit,
    refill_when_quiet,
    reserve_size,
    socket_budget,
)
from samverkan.workshop.store import Store
from samverkan.workshop.transform import SwedishPageTransform

PREPARED_MARK = 'id="cell-id=cell-01"'  # deltagare.ipynb's prepare() cell, as nbconvert renders it
CULL_IDLE_SECONDS = 900


def _voila_class():
    from voila.app import Voila

    class SamverkanVoila(Voila):
        """Voila plus the start page, the join page and a status endpoint."""

        store: Store | None = None
        kit: Any = None
        public: str = "/"
        rooms: Broadcaster | None = None
        apps: list = []
        room_size: int = 0
        readers: int | None = None  # reader pages at once (--readers); None: the default share

        def initialize(self, argv: Any = None) -> None:
            super().initialize(argv)
            # traitlets sets the app logger to DEBUG and filters in the handler, so every message from
            # every kernel built a debug LogRecord in Voila, nbclient and the activity watcher (5 % of
            # the server's CPU while a room arrives). Filter at the logger instead.
            self.log.setLevel(self.log_level)
            # Generated notebooks are not signed; Voila's warning about it says nothing to a facilitator.
            self.log.addFilter(lambda record: "is not trusted" not in record.getMessage())
            # jupyter_server's websocket mixin gives tornado its ping settings in milliseconds, and tornado
            # 6.5+ (which reads them as seconds) warns in English that the timeout exceeds the interval.
            # jupyter_server's own pings (in ms, see init_settings) are what keep sockets alive; tornado's
            # would run every 30 000 s. Its warning says nothing to a facilitator.
            logging.getLogger("tornado.general").addFilter(
                lambda record: "websocket_ping_timeout" not in record.getMessage()
            )
            # One log for the server, tornado and the kit, every line without addresses, tokens or keys,
            # and at most guard.LOG_LINES_PER_MINUTE a minute (a script must not fill the disk or the screen).

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
            facilitator = {**kwargs, "kit": self.kit, "public": self.public, "rooms": self.rooms}
            base = self.server_url
            mine = [
                (base, StartHandler, kwargs),
                (base + "delta", JoinHandler, kwargs),
                (base + "handledare", FacilitatorLogin, kwargs),
                (base + "handledare/storbild", PresenterHandler, facilitator),
                (base + "handledare/storbild/lage", PresenterState, facilitator),
                (base + "handledare/storbild.js", PresenterScript, kwargs),
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

            km.context.set(zmq.MAX_SOCKETS, socket_budget(self.room_size + (self.readers or 0)))
            if hasattr(km, "kernel_pools_config") and self.room_size:
                pools = dict(km.kernel_pools_config)
                pools[PARTICIPANT_APP] = {"pool_size": reserve_size(self.room_size)}
                km.kernel_pools_config = pools
                # self.budget is made below; the check runs later, when the pool refills
                km.fill_if_needed = refill_when_quiet(km, km.fill_if_needed, lambda: self.budget.may_refill())
            settings["transforms"] = [SwedishPageTransform]
            settings["log_function"] = guard.log_request  # no addresses, no query strings
            settings["websocket_max_message_size"] = guard.MAX_FRAME_BYTES
            # jupyter_server pings every ws_ping_interval ms and closes a socket whose last pong is older
            # than ws_ping_timeout at the next ping. A healthy socket's last pong is one interval old then,
            # so the timeout must be longer than the interval (equal to it closed every healthy socket
            # after 30-60 s, and pages reconnected); 1.5 intervals notices a dead client at the second ping.
            interval = int(os.environ.get("SAMVERKAN_WS_PING_MS", settings.get("ws_ping_interval", 30000)))
            settings["ws_ping_interval"] = interval
            settings["ws_ping_timeout"] = interval * 3 // 2
            limits = guard.limits_for(
                self.room_size, reserve_size(self.room_size) if self.room_size else 0, self.readers
            )
            self.budget: guard.KernelBudget = guard.KernelBudget(km, limits, PARTICIPANT_APP)
            count_pages(km, self.budget)
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
            rooms = self.rooms
            if rooms is not None:
                busy = {"now": False}

                async def broadcast() -> None:
                    # One small query a few times a second; participants' kernels read the file it writes.
                    if busy["now"]:
                        return
                    busy["now"] = True
                    try:
                        await asyncio.get_running_loop().run_in_executor(None, rooms.tick)
                    except Exception:  # a database that is away for a moment: try again at the next tick
                        pass
                    finally:
                        busy["now"] = False

                tornado.ioloop.PeriodicCallback(broadcast, int(BROADCAST_SECONDS * 1000)).start()
            tornado.ioloop.IOLoop.current().add_callback(lambda: self.budget.start())
            super().start()

    return SamverkanVoila


def kernel_argv() -> list[str]:
    """The command line of this server's kernels (``ipykernel_launcher`` without history; benchmarks and
    tests find the server's kernels by it)."""
    return [
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        "--HistoryManager.enabled=False",
        "--HistoryManager.hist_file=:memory:",
    ]


def write_kernelspec(folder: Path) -> None:
    """A ``python3`` kernelspec that shadows the default one for this server's kernels only."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": kernel_argv(),
                "display_name": "Python 3 (Samverkansverkstaden)",
                "language": "python",
                "metadata": {"debugger": False},
            }
        ),
        encoding="utf-8",
    )


def app_list(kit: Any) -> list[tuple[str, str, str]]:
    """(title, notebook, description) of every lesson's reader, every lesson app and the two tools, for
    the start page; the readers come first (their notebook is ``lasare.ipynb?lesson=<id>``)."""
    from samverkan.build.notebooks import READER_APP
    from samverkan.render.markdown import plain

    apps = [
        (plain(lesson.title, "standard"), f"{READER_APP}.ipynb?lesson={lesson_id}", f"{lesson.self_study_minutes} min")
        for lesson_id, lesson in sorted(kit.lessons.items())
    ]
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
    titles = {path: f"{title} – Samverkansverkstaden" for title, path, _text in apps if "?" not in path}
    titles["lasare.ipynb"] = "Läs en lektion – Samverkansverkstaden"
    titles[PARTICIPANT_APP] = "Dina övningar – Samverkansverkstaden"
    titles[DASHBOARD_APP] = "Handledarvy – Samverkansverkstaden"
    return titles


def serve(
    host: str = "127.0.0.1",
    port: int = 8866,
    db: str | None = None,
    room_size: int = 30,
    log_level: str = "WARN",
    readers: int | None = None,
) -> int:
    """Start the workshop server; returns when it stops."""
    from traitlets.config import Config

    from samverkan.content import cache, loader, paths
    from samverkan.workshop import kernelfork

    if not 0 <= room_size <= 400:
        raise ParameterError("--room-size ska vara mellan 0 och 400 deltagare.")
    if readers is not None and not 0 <= readers <= 400:
        raise ParameterError("--readers ska vara mellan 0 och 400 läsare.")
    if not 0 < port < 65536:
        raise ParameterError("--port ska vara ett tal mellan 1 och 65535.")
    root = paths.kit_root()
    stamp = cache.fingerprint(root)  # before loading: a file changed meanwhile makes the kernels' cache stale
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
    kit_cache = str(state / "kit.pickle")  # every participant kernel reads the kit from here (content/cache.py)
    try:
        cache.write(kit, root, Path(kit_cache), stamp)
    except (OSError, ValueError, pickle.PicklingError) as exc:  # the kernels load the YAML instead
        print(f"Obs! Kitet kunde inte sparas för deltagarnas kärnor ({exc}); de läser YAML-filerna i stället.")
        kit_cache = ""
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
            ROOMS_ENV: str(state / "rum.json"),  # the room's state, for participants' pages (workshop/room.py)
            cache.CACHE_ENV: kit_cache,
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
    # chromium). refill_when_quiet() decides when to refill instead.
    c.VoilaKernelManager.fill_delay = 0
    c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_SECONDS
    c.MappingKernelManager.cull_interval = 60
    c.KernelManager.transport = "ipc"
    # The preheated participant kernels are forked from a prepared process (kernelfork.py); in this
    # server only: the kernelspec stays plain, so anything else that starts a python3 kernel is unaffected.
    c.KernelProvisionerFactory.default_provisioner_name = kernelfork.PROVISIONER

    install_fast_dates()
    install_template_cache()
    limit_warning = raise_file_limit(room_size + (readers or 0))
    # After the environment and the file limit are set: the forked kernels inherit them.
    forked = kernelfork.install(cwd=apps_dir, start=room_size > 0)  # no pool, no fork server
    cls = _voila_class()
    cls.store = store
    cls.kit = kit
    cls.public = public
    cls.rooms = Broadcaster(store, state / "rum.json")
    cls.rooms.tick()  # the file exists before the first kernel looks
    cls.apps = app_list(kit)
    SwedishPageTransform.titles = page_titles(cls.apps)
    cls.room_size = room_size
    cls.readers = readers

    where = (
        store.url[len("sqlite:///") :]
        if store.url.startswith("sqlite:///")
        else store.engine.url.render_as_string(hide_password=True)
    )
    print(
        "Samverkansverkstaden startar.\n"
        f"  Deltagarna öppnar:  {public}  och skriver koden från handledarvyn\n"
        f"  Handledarvyn:       {public}handledare?nyckel={key}\n"
        f"  Storbilden:         {public}handledare/storbild  (för projektorn; visar aldrig nyckeln)\n"
        f"  Handledarnyckel:    {key}\n"
        f"  Svaren sparas i:    {where}\n"
        + (
            f"  Säkerhetskopia:     samverkan backup KOPIA.sqlite --db {where}  (går bra medan servern kör)\n"
            if store.url.startswith("sqlite:///")
            else ""
        )
        + (
            # measured on 2 cores (bench/prepare.py): about 0.1 s a place forked, 0.5 s otherwise
            f"  Förbereder {room_size} deltagarplatser; det tar ungefär "
            f"{max(5, room_size // 8 if forked else room_size // 2)} sekunder.\n"
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
