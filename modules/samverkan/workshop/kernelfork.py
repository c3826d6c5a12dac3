"""Preheated participant kernels forked from one prepared process instead of started from nothing.

A participant kernel started as ``python -m ipykernel_launcher`` spends about 0.65 s of CPU
before it waits for its participant: Python, ipykernel and IPython, ipywidgets, SQLAlchemy, the
kit. A room of 150 on 2 cores paid that 150 times (most of the 80 s the preparation took). Here
``samverkan serve`` starts one *fork server* (:func:`zygote`) that imports all of it and loads the
kit once, and each preheated kernel is a fork of it: it starts with everything in memory (shared
with the fork server until written) and only opens its own sockets and database connection.

What stays as it was:

* each kernel is a process of its own, in a session of its own (as jupyter_client starts them),
  with the environment, working folder and command line the kernelspec gives it
  (``/proc/PID/cmdline`` shows ``python -m ipykernel_launcher -f …``);
* the server's kernel manager watches, signals and kills it as any kernel, through a pidfd;
* only the pool's kernels (``VOILA_PREHEAT=True``, the participant app) are forked; every other
  kernel, and every kernel when the fork server is not available (not Linux, it failed to start
  or died, ``SAMVERKAN_KERNEL_FORK=0``), is started by jupyter_client as before.

A forked kernel's parent is the fork server, which reaps it; the fork server ends when the server
does (its socket closes), and the kernels follow it (ipykernel's parent poller), as kernels follow
the server otherwise. The server does not learn a forked kernel's exit status, and
``/proc/PID/environ`` shows the fork server's start-up environment (the kernel's own ``os.environ``
is the one it was given).

Measured on 2 cores (``bench/prepare.py``, 2026-12-06, alternating with the code before): 150 places
ready in 16 s instead of 76-78 s, 0.13 s of CPU per kernel instead of 0.9 s, and 65 / 33 MB RSS / PSS
per kernel instead of 74 / 56 MB (what the preload holds is shared, and frozen for the garbage
collector so that kernels do not copy it).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

log = logging.getLogger("samverkan.workshop")

PROVISIONER = "samverkan-fork"
DISABLE_ENV = "SAMVERKAN_KERNEL_FORK"  # "0": start every kernel as jupyter_client does
CMDLINE_ROOM = 2048  # bytes of command line the fork server reserves for its kernels'
READY_TIMEOUT = 120.0  # seconds the fork server may take to import and load the kit
SPAWN_TIMEOUT = 20.0
MAX_MESSAGE = 1 << 20
_BOOT = "import sys; del sys.path[0]; from samverkan.workshop.kernelfork import zygote; zygote()"


# -- the server's side -----------------------------------------------------------------------------


class ForkUnavailable(Exception):
    """The fork server cannot start this kernel; jupyter_client starts it instead."""


def available() -> bool:
    """Whether kernels may be forked here: Linux with pidfds, and not turned off by :data:`DISABLE_ENV`."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and hasattr(signal, "pidfd_send_signal")
        and os.environ.get(DISABLE_ENV, "1") != "0"
    )


class ForkServer:
    """The server's handle on the fork server process: start it, ask it for kernels."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.ready = False
        self.broken = False
        self._lock: asyncio.Lock | None = None
        self._buffer = b""

    def start(self, cwd: Path | str | None = None) -> None:
        """Start the fork server with this process's environment (it imports while the server starts)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(theirs.fileno()), "-" * CMDLINE_ROOM],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                cwd=cwd,
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours

    def stop(self) -> None:
        """End the fork server (its kernels follow it, see the module docstring)."""
        if self.sock is not None:
            self.sock.close()  # the fork server ends when its socket closes
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    async def _line(self, timeout: float) -> dict:
        loop = asyncio.get_running_loop()
        assert self.sock is not None
        while b"\n" not in self._buffer:
            chunk = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), timeout)
            if not chunk:
                raise ForkUnavailable("the fork server ended")
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE:
                raise ForkUnavailable("the fork server's answer is too long")
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise ForkUnavailable("the fork server's answer is not an object")
        return answer

    async def spawn(self, argv: list[str], env: dict[str, str], cwd: str | None) -> int:
        """A forked kernel's pid; raises :class:`ForkUnavailable` when the fork server cannot give one."""
        if self.broken or self.sock is None:
            raise ForkUnavailable("no fork server")
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one request at a time: the answers come in order
            try:
                if not self.ready:
                    answer = await self._line(READY_TIMEOUT)
                    if not answer.get("ready"):
                        raise ForkUnavailable(str(answer.get("error", "the fork server is not ready"))[:200])
                    self.ready = True
                loop = asyncio.get_running_loop()
                request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n"
                await asyncio.wait_for(loop.sock_sendall(self.sock, request), SPAWN_TIMEOUT)
                answer = await self._line(SPAWN_TIMEOUT)
            except ForkUnavailable as exc:
                self._give_up(str(exc))
                raise
            except (OSError, TimeoutError, ValueError) as exc:
                self._give_up(f"{type(exc).__name__}: {exc}")
                raise ForkUnavailable(str(exc)) from exc
        pid = answer.get("pid")
        if not isinstance(pid, int) or pid <= 1:
            raise ForkUnavailable(str(answer.get("error", "no pid"))[:200])
        return pid

    def _give_up(self, why: str) -> None:
        if not self.broken:
            log.warning("Kärnorna startas utan förberedd process från och med nu (%s).", why)
        self.broken = True


_SERVER: ForkServer | None = None


def install(cwd: Path | str | None = None, start: bool = True) -> bool:
    """Make :class:`ForkingProvisioner` known to jupyter_client and, with ``start``, start the fork server.

    Returns whether the pool's kernels will be forked (False: not asked to, not available here, or the
    fork server did not start); without a fork server the provisioner starts kernels as jupyter_client does.
    """
    global _SERVER
    register()
    if not start or not available():
        return False
    server = ForkServer()
    try:
        server.start(cwd)
    except OSError as exc:
        log.warning("Den förberedda processen för kärnorna startade inte (%s).", exc)
        return False
    _SERVER = server
    import atexit

    atexit.register(server.stop)
    return True


def register() -> None:
    """Make :data:`PROVISIONER` known to jupyter_client's provisioner factory in this process."""
    from importlib.metadata import EntryPoint

    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    KernelProvisionerFactory.provisioners[PROVISIONER] = EntryPoint(
        PROVISIONER, f"{__name__}:ForkingProvisioner", KernelProvisionerFactory.GROUP_NAME
    )


class ForkedKernel:
    """What jupyter_client needs of a ``subprocess.Popen`` for a kernel that the fork server started.

    The kernel is not this process's child, so it is watched and signalled through a pidfd (no pid
    reuse can mislead it). The exit status is not known here: ``returncode`` is 0, or minus the last
    signal sent, once the kernel has ended.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._signal = 0
        self._fd = os.pidfd_open(pid)

    def _ended(self) -> None:
        self.returncode = -self._signal if self._signal else 0
        os.close(self._fd)
        self._fd = -1

    def _readable(self, timeout: float | None) -> bool:
        """Whether the kernel has ended (its pidfd is readable), waiting up to ``timeout`` seconds (None: for ever)."""
        watch = select.poll()  # not select.select(): a large room's descriptors pass 1024
        watch.register(self._fd, select.POLLIN)
        return bool(watch.poll(None if timeout is None else max(0, int(timeout * 1000))))

    def poll(self) -> int | None:
        """None while the kernel runs, else its ``returncode`` (as ``Popen.poll``)."""
        if self.returncode is None and self._readable(0):
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end (as ``Popen.wait``; ``subprocess.TimeoutExpired`` after ``timeout``)."""
        if self.returncode is None:
            if not self._readable(timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            self._ended()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal the kernel, unless it has ended (through the pidfd: never another process with its pid)."""
        if self.poll() is None:
            self._signal = signum
            signal.pidfd_send_signal(self._fd, signum)

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, except that the pool's kernels are forked (:class:`ForkServer`)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Fork a pool kernel from the fork server, or start the kernel as jupyter_client does."""
        env = kwargs.get("env") or {}
        server = _SERVER
        if server is not None and env.get("VOILA_PREHEAT") == "True":
            cwd = kwargs.get("cwd")
            try:
                pid = await server.spawn(list(cmd), dict(env), str(cwd) if cwd else None)
                process = ForkedKernel(pid)
            except (ForkUnavailable, OSError) as exc:
                log.debug("kernel not forked: %s", exc)
            else:
                self.process = process  # type: ignore[assignment]  # a Popen in all that jupyter_client uses
                self.pid = self.pgid = pid  # the kernel leads its own session and process group
                self.cwd = cwd or Path.cwd()
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)


# -- the fork server -------------------------------------------------------------------------------


def _preload() -> None:
    """What every participant kernel imports and loads, done once (the kit, without opening the store)."""
    import ipykernel.ipkernel
    import ipykernel.kernelapp
    import ipykernel.zmqshell  # noqa: F401 - the kernel's shell, imported once here
    import websockets.sync.client  # noqa: F401 - participant.wait_for_request() needs it

    from samverkan.workshop import participant

    os.environ.pop("SAMVERKAN_DB", None)  # the store is opened by each kernel, never before the fork
    participant.prepare()


def _fork_safe() -> str | None:
    """Why forking now would be unsafe (a thread, a ZeroMQ context), or None."""
    import threading

    if threading.active_count() != 1:
        return f"{threading.active_count()} threads"
    zmq = sys.modules.get("zmq")
    if zmq is not None and getattr(zmq.Context, "_instance", None) is not None:
        return "a ZeroMQ context"
    return None


def _set_cmdline(argv: list[str]) -> None:
    """Show ``argv`` as this process's command line (``/proc/self/cmdline``, ``ps``), in the room the
    fork server's own command line reserved."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (fields 48 and 49)
    text = "\0".join(argv).encode()[: end - start - 1]
    with open("/proc/self/mem", "r+b", buffering=0) as mem:
        mem.seek(start)
        mem.write(text.ljust(end - start, b"\0"))


def _child(request: dict, control: int) -> None:
    """In the forked process: become the kernel the request describes. Never returns."""
    code = 1
    try:
        os.setsid()  # as jupyter_client starts kernels: a session and process group of its own
        os.close(control)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as Python sets it at start-up
        argv = [str(a) for a in request["argv"]]
        env = {str(k): str(v) for k, v in request["env"].items()}
        env["JPY_PARENT_PID"] = str(os.getppid())  # the kernel ends when the fork server does
        if request.get("cwd"):
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        try:
            _set_cmdline(argv)
        except (OSError, ValueError, IndexError):
            pass  # only what ps shows
        import importlib.util

        spec = importlib.util.find_spec("ipykernel_launcher")
        # ipykernel read JPY_PARENT_PID when the fork server imported it; the option says it now.
        parent = f"--IPKernelApp.parent_handle={env['JPY_PARENT_PID']}"
        sys.argv = [spec.origin if spec and spec.origin else "ipykernel_launcher", *argv[3:], parent]
        from ipykernel import kernelapp

        app = kernelapp.IPKernelApp.instance()  # kernelapp.launch_new_instance(), with one step between
        app.initialize()
        _as_if_imported_in_the_kernel()
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()  # what a kernel's interpreter does when it ends (ipykernel closes its sockets)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # never back into the fork server's loop


def _as_if_imported_in_the_kernel() -> None:
    """What the preloaded modules do when they are imported in a running kernel, and so did not do in the
    fork server: ipywidgets registers its comm targets (without them no widget reaches the page)."""
    import ipywidgets

    ipywidgets.register_comm_target()


def _reap() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _valid(request: Any) -> str | None:
    """Why a request is refused, or None: only ``python -m ipykernel_launcher …`` of this Python."""
    if not isinstance(request, dict):
        return "not an object"
    argv, env, cwd = request.get("argv"), request.get("env"), request.get("cwd")
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv) and len(argv) >= 3):
        return "argv"
    if Path(argv[0]).resolve() != Path(sys.executable).resolve() or argv[1:3] != ["-m", "ipykernel_launcher"]:
        return "not this Python's ipykernel_launcher"
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
        return "env"
    if cwd is not None and not (isinstance(cwd, str) and os.path.isdir(cwd)):
        return "cwd"
    return None


def zygote() -> None:
    """The fork server's main loop (``python -c _BOOT FD PADDING``): preload, then fork a kernel per request."""
    control = int(sys.argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's; this process ends with its socket
    try:  # ps shows what this is, not the room kept for the kernels' command lines
        _set_cmdline([sys.executable, "-m", __name__, "(fork server for the participant kernels)"])
    except (OSError, ValueError, IndexError):
        pass

    def send(message: dict) -> None:
        os.write(control, json.dumps(message).encode() + b"\n")

    try:
        _preload()
        # What is loaded now lives as long as every kernel: out of the garbage collector's sight, so that
        # a kernel's collections neither copy these pages (copy-on-write) nor spend time walking them.
        gc.collect()
        gc.freeze()
        unsafe = _fork_safe()
    except Exception as exc:  # the server starts its kernels itself then
        unsafe = f"{type(exc).__name__}: {exc}"
    if unsafe:
        send({"ready": False, "error": unsafe})
        return
    send({"ready": True})
    buffer = b""
    while True:
        readable, _, _ = select.select([control], [], [], 1.0)
        _reap()
        if not readable:
            continue
        chunk = os.read(control, 65536)
        if not chunk:
            return  # the server has ended
        buffer += chunk
        if len(buffer) > MAX_MESSAGE:
            return
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            try:
                request = json.loads(line)
            except ValueError:
                request = None
            why = _valid(request) or _fork_safe()
            if why:
                send({"error": why})
                continue
            pid = os.fork()
            if pid == 0:
                _child(request, control)
            send({"pid": pid})
