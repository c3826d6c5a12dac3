"""Start real servers for tests: a Voila process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def voila_server(root: Path, *extra: str, timeout: float = 60):
    """A real Voila server serving ``root``; yields its base URL."""
    port = free_port()
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1")
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"voila-test-{port}.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(root), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
         "--show_tracebacks=False", *extra],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("Voila startade inte:\n" + log.read()[-3000:])
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def workshop_server(db: Path, *, room_size: int = 2, port: int | None = None, timeout: float = 90):
    """The real ``samverkan serve`` on a free loopback port; yields (base URL, facilitator key).

    Waits until the preheated participant kernels are ready, so a test measures
    the workshop as a room would meet it.
    """
    import json

    port = port or free_port()
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYTHONUNBUFFERED="1")
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"samverkan-serve-{port}.log"
    log = open(log_path, "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "samverkan.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--db", str(db), "--room-size", str(room_size)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = json.loads(urllib.request.urlopen(base + "/status", timeout=2).read())
                if status["deltagarplatser_klara"] >= room_size:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("samverkan serve startade inte:\n" + log.read()[-3000:])
            time.sleep(0.3)
        log.seek(0)
        key = next(line.split(":", 1)[1].strip() for line in log if line.strip().startswith("Handledarnyckel:"))
        yield base, key
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen) -> None:
    """Stop a server and every kernel it started (they share its process group)."""
    import signal

    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
