"""Start real servers for tests: a Voila process on a free loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
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
        [
            sys.executable,
            "-m",
            "voila",
            str(root),
            f"--port={port}",
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            "--show_tracebacks=False",
            *extra,
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
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
                    raise RuntimeError("Voila startade inte:\n" + log.read()[-3000:]) from None
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
def workshop_server(
    db: Path | str,
    *,
    room_size: int = 2,
    port: int | None = None,
    timeout: float = 90,
    env: dict[str, str] | None = None,
    readers: int | None = None,
):
    """The real ``samverkan serve`` on a free loopback port; yields (base URL, facilitator key).

    ``db`` is an SQLite file or a database URL (``postgresql+psycopg://…``);
    ``env`` adds environment variables (for example ``SAMVERKAN_PUBLIC_URL``).
    Waits until the preheated participant kernels are ready, so a test measures
    the workshop as a room would meet it.
    """
    import json

    port = port or free_port()
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYTHONUNBUFFERED="1", **(env or {}))
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"samverkan-serve-{port}.log"
    log = open(log_path, "w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "samverkan.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(db),
            "--room-size",
            str(room_size),
            *(["--readers", str(readers)] if readers is not None else []),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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


# -- PostgreSQL -----------------------------------------------------------------------------------

PG_ROLE = "verkstad"  # the role the workshop connects as: owns its database, no superuser, as in docs/driftsattning.md


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed or would not start: the PostgreSQL tests fail with this message."""


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<ver>/bin`` that has ``initdb`` and ``pg_ctl`` (Debian's layout)."""
    import glob

    found = [
        Path(p)
        for p in glob.glob("/usr/lib/postgresql/*/bin")
        if (Path(p) / "initdb").exists() and (Path(p) / "pg_ctl").exists()
    ]
    if not found:
        raise PostgresUnavailable(
            "PostgreSQL saknas: ingen /usr/lib/postgresql/<version>/bin/initdb. Installera Debians paket "
            "med `make postgresql` (eller `apt-get install postgresql`) och kör testerna igen."
        )
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


class PostgresCluster:
    """A running throwaway cluster: ``database()`` makes a new, empty database owned by :data:`PG_ROLE`."""

    def __init__(self, port: int, admin_password: str, role_password: str, folder: Path):
        self.host = "127.0.0.1"
        self.port = port
        self.folder = folder
        self._admin = f"postgresql://postgres:{admin_password}@{self.host}:{port}/postgres"
        self._role_password = role_password
        self._count = 0

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{PG_ROLE}:{self._role_password}@{self.host}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    def database(self, prefix: str = "test") -> str:
        """A URL (``postgresql+psycopg://verkstad:…@127.0.0.1:PORT/NAME``) to a new empty database."""
        import secrets

        self._count += 1
        name = f"{prefix}_{os.getpid()}_{self._count}_{secrets.token_hex(3)}"
        self.admin(f'CREATE DATABASE "{name}" OWNER {PG_ROLE}')
        return self.url(name)


@contextlib.contextmanager
def postgres_cluster(timeout: float = 60):
    """A PostgreSQL cluster of its own: ``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1.

    Listens on a free loopback port, with its Unix socket in the same folder; as
    root it runs as the ``postgres`` user (``initdb`` refuses root). Nothing of
    Debian's default cluster or a service manager is used. Stopped and removed
    on exit. Raises :class:`PostgresUnavailable` with the server's log when it
    cannot start.
    """
    import secrets
    import shutil
    import tempfile

    bindir = postgres_bin()
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="samverkan-pg-"))
    if as_root:
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise PostgresUnavailable("Användaren postgres saknas; installera Debians paket postgresql.") from None
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    admin_password, role_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    pwfile = folder / "pw"
    pwfile.write_text(admin_password + "\n")
    if as_root:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    data, log = folder / "data", folder / "server.log"

    def run(*cmd: str, wait: float = timeout) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=wait, cwd=folder)

    started = False
    try:
        init = run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-local=peer" if as_root else "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb misslyckades:\n{init.stdout[-1500:]}{init.stderr[-1500:]}")
        for _attempt in range(3):  # the free port may be taken between the probe and the bind
            port = free_port()
            # A test cluster: no fsync (it is thrown away), the default max_connections (100) as in production.
            options = (
                f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            )
            start = run(
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                str(int(timeout)),
                "-o",
                options,
                "start",
            )
            if start.returncode == 0:
                started = True
                break
        if not started:
            text = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"PostgreSQL startade inte ({bindir / 'pg_ctl'}):\n{start.stdout[-1000:]}{start.stderr[-1000:]}\n{text}"
            )
        cluster = PostgresCluster(port, admin_password, role_password, folder)
        cluster.admin(f"CREATE ROLE {PG_ROLE} LOGIN PASSWORD '{role_password}'")
        yield cluster
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop", wait=60)
        shutil.rmtree(folder, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_join(base: str, code: str, group: str = "") -> tuple[int, str, str]:
    """POST the join form; returns (status, Location header, body)."""
    data = urllib.parse.urlencode({"kod": code, "bord": group}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        r = opener.open(urllib.request.Request(base + "/delta", data=data), timeout=10)
        return r.status, r.headers.get("Location", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", ""), e.read().decode()


def kernel_message(msg_type: str, content: dict, metadata: dict | None = None, session: str = "test") -> str:
    """One Jupyter message as a browser sends it over the kernel websocket (JSON text frame)."""
    return json.dumps(
        {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "session": session,
                "username": "",
                "date": "2026-11-23T00:00:00Z",
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
    )


async def read_kernel_messages(ws, seconds: float, until=None, decode=None) -> tuple[dict | None, list[dict]]:
    """Jupyter messages (JSON text frames) from a kernel websocket for up to ``seconds``.

    Returns ``(message, seen)``: the first message for which ``until`` is true (None when
    there is no ``until``, or the time ran out or the socket closed first), and every
    message read so far, in order. Binary frames (buffers) are skipped, unless ``decode``
    turns one into a message (the v1 format; None to skip it).
    """
    import asyncio

    deadline = time.monotonic() + seconds
    seen: list[dict] = []
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(ws.read_message(), timeout=deadline - time.monotonic())
        except TimeoutError:
            break
        if raw is None:
            break
        if isinstance(raw, bytes):
            msg = decode(raw) if decode is not None else None
            if msg is None:
                continue
        else:
            msg = json.loads(raw)
        seen.append(msg)
        if until is not None and until(msg):
            return msg, seen
    return None, seen
