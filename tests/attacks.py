"""What a hostile participant can do to ``samverkan serve`` with a browser console or a short script.

Each attack is a coroutine against a running server (``base`` = ``http://127.0.0.1:PORT``). The tests
(``tests/workshop/test_server_hardening.py``) run each one and assert that the server survives it; the
benchmark (``bench/attacks.py``) runs them while a room arrives. Every loop is bounded in count
and time, and every request goes to the loopback address it is given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import struct
import time
import urllib.parse
import uuid
from pathlib import Path

V1 = "v1.kernel.websocket.jupyter.org"


def header(msg_type: str, session: str = "attack") -> dict:
    return {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "",
        "date": dt.datetime.now(dt.UTC).isoformat(),
        "version": "5.3",
    }


def legacy_text(msg_type: str, content: dict, channel: str = "shell", metadata: dict | None = None) -> str:
    """A message in the legacy (no subprotocol) JSON format."""
    return json.dumps(
        {
            "header": header(msg_type),
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
    )


def legacy_binary(msg_type: str, content: dict, buffers: list[bytes], channel: str = "shell") -> bytes:
    """A message with binary buffers in the legacy format (as jupyter_server's serialize_binary_message)."""
    msg = {"header": header(msg_type), "parent_header": {}, "metadata": {}, "content": content, "channel": channel}
    parts = [json.dumps(msg).encode(), *buffers]
    offsets = [4 * (len(parts) + 1)]
    for part in parts[:-1]:
        offsets.append(offsets[-1] + len(part))
    return struct.pack("!" + "I" * (len(parts) + 1), len(parts), *offsets) + b"".join(parts)


def v1_binary(
    msg_type: str, content: dict, buffers: list[bytes] = (), channel: str = "shell", metadata: dict | None = None
) -> bytes:
    """A message in the v1 binary format that browsers speak."""
    parts = [
        json.dumps(header(msg_type)).encode(),
        b"{}",
        json.dumps(metadata or {}).encode(),
        json.dumps(content).encode(),
        *buffers,
    ]
    chan = channel.encode()
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(chan))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return (
        len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets) + chan + b"".join(parts)
    )


def v1_parse(frame: bytes) -> tuple[str, list[bytes]] | None:
    """(channel, parts) of a v1 frame from the server, or None if it does not parse."""
    if len(frame) < 8:
        return None
    n = int.from_bytes(frame[:8], "little")
    if not 2 <= n <= 64 or len(frame) < 8 * (n + 1):
        return None
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)] + [len(frame)]
    channel = frame[offsets[0] : offsets[1]].decode(errors="replace")
    return channel, [frame[offsets[i] : offsets[i + 1]] for i in range(1, n)]


async def fetch(
    url: str,
    *,
    method: str = "GET",
    body: str | None = None,
    timeout: float = 20,
    headers: dict | None = None,
    follow: bool = False,
):
    from tornado.httpclient import AsyncHTTPClient

    return await AsyncHTTPClient().fetch(
        url,
        method=method,
        body=body,
        raise_error=False,
        request_timeout=timeout,
        connect_timeout=timeout,
        follow_redirects=follow,
        headers=headers,
    )


def kernel_id_of(html: str) -> str | None:
    m = re.search(r'"kernelId": "([0-9a-f-]{36})"', html)
    return m.group(1) if m else None


async def open_page(base: str, path: str = "/voila/render/ordlista.ipynb", timeout: float = 30) -> str | None:
    """GET a Voila page; its kernel id (None when the server gave none)."""
    r = await fetch(base + path, timeout=timeout)
    return kernel_id_of(r.body.decode(errors="replace")) if r.code == 200 else None


async def connect(base: str, kernel_id: str, subprotocol: str | None = None):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    return await websocket_connect(
        HTTPRequest(url, headers={"Origin": base}),
        max_message_size=64 * 2**20,
        subprotocols=[subprotocol] if subprotocol else None,
    )


async def widget_states(ws, v1: bool = False, seconds: float = 20) -> dict:
    """Ask the kernel for every widget's state over ``ws``; {model id: state}."""
    comm = uuid.uuid4().hex
    if v1:
        ws.write_message(
            v1_binary(
                "comm_open",
                {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                metadata={"version": "1.0.0"},
            ),
            binary=True,
        )
        ws.write_message(v1_binary("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}), binary=True)
    else:
        ws.write_message(
            legacy_text(
                "comm_open",
                {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                metadata={"version": "1.0.0"},
            )
        )
        ws.write_message(legacy_text("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}))

    def v1_message(raw: bytes) -> dict | None:
        parsed = v1_parse(raw)
        if not parsed or len(parsed[1]) < 4:
            return None
        return {"header": json.loads(parsed[1][0]), "content": json.loads(parsed[1][3])}

    def is_states(msg: dict) -> bool:
        data = msg.get("content", {}).get("data", {})
        return msg["header"]["msg_type"] == "comm_msg" and data.get("method") == "update_states"

    from .servers import read_kernel_messages

    msg, _seen = await read_kernel_messages(ws, seconds, until=is_states, decode=v1_message if v1 else None)
    if msg is None:
        return {}
    return {k: v.get("state", {}) for k, v in msg["content"]["data"]["states"].items()}


async def status_time(base: str, timeout: float = 2.0) -> float | None:
    """Seconds for ``/status`` to answer, or None when it did not within ``timeout``."""
    t0 = time.perf_counter()
    try:
        r = await fetch(base + "/status", timeout=timeout)
    except Exception:
        return None
    return time.perf_counter() - t0 if r.code == 200 else None


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_pid(base: str) -> int | None:
    """The pid of the ``samverkan serve`` listening at ``base`` (found by its command line)."""
    port = base.rsplit(":", 1)[1].strip("/")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmd and b"--port" in cmd and cmd[cmd.index(b"--port") + 1] == port.encode():
            return int(pid)
    return None


async def status(base: str) -> dict:
    r = await fetch(base + "/status", timeout=5)
    return json.loads(r.body)


def server_kernels(server_pid: int) -> list[int]:
    """The ipykernel processes started by the server with pid ``server_pid``: its children, and the
    children of its fork server (the preheated participant kernels, see samverkan.workshop.kernelfork)."""
    parents: dict[int, int] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            parents[int(pid)] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    out = []
    for pid, ppid in parents.items():
        if ppid != server_pid and parents.get(ppid) != server_pid:
            continue
        try:
            if "ipykernel_launcher" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                out.append(pid)
        except OSError:
            continue
    return out


async def own_kernel(base: str, code: str | None = None) -> str | None:
    """A kernel of the attacker's own: the glossary's (an anonymous page), or, with ``code``, a
    participant's page after joining the session, as anyone in the room can."""
    if code is None:
        return await open_page(base)
    r = await fetch(base + "/delta", method="POST", body=urllib.parse.urlencode({"kod": code, "bord": ""}))
    if r.code != 303:
        return None
    r = await fetch(base + r.headers["Location"], timeout=30, follow=True)
    return kernel_id_of(r.body.decode(errors="replace")) if r.code == 200 else None


# -- the attacks ---------------------------------------------------------------------------------


async def binary_frame(base: str, v1: bool = False, code: str | None = None) -> str:
    """Finding 1: a widget update carrying ``buffer_paths`` and a 3-byte buffer, to a kernel of the
    attacker's own (see :func:`own_kernel`). Returns "sent", or "no kernel" when none was given."""
    kernel = await own_kernel(base, code)
    if kernel is None:
        return "no kernel"
    ws = await connect(base, kernel, V1 if v1 else None)
    try:
        states = await widget_states(ws, v1=v1)
        target = next(
            (mid for mid, st in states.items() if st.get("_model_name") == "TextModel"),
            next(iter(states), uuid.uuid4().hex),
        )
        content = {
            "comm_id": target,
            "data": {"method": "update", "state": {"value": None}, "buffer_paths": [["value"]]},
        }
        if v1:
            ws.write_message(v1_binary("comm_msg", content, [b"abc"]), binary=True)
        else:
            ws.write_message(legacy_binary("comm_msg", content, [b"abc"]), binary=True)
        await asyncio.sleep(1.0)
        return "sent"
    finally:
        ws.close()


async def query_socket_trick(base: str, rounds: int = 5) -> None:
    """Finding 2: open and close two request-info sockets for random kernel ids, ``rounds`` times."""
    from tornado.websocket import websocket_connect

    for _ in range(rounds):
        sockets = []
        for _ in range(2):
            url = base.replace("http", "ws", 1) + f"/voila/query/{uuid.uuid4()}"
            try:
                sockets.append(await asyncio.wait_for(websocket_connect(url), 5))
            except Exception:
                pass
        await asyncio.sleep(0.05)
        for s in sockets:
            s.close()
        await asyncio.sleep(0.05)


async def page_storm(
    base: str, count: int = 60, seconds: float = 10, path: str = "/voila/render/ordlista.ipynb"
) -> dict:
    """Finding 3: ``count`` anonymous page requests spread over ``seconds``; status codes counted."""
    codes: dict[int, int] = {}

    async def one(delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            r = await fetch(base + path, timeout=30)
            codes[r.code] = codes.get(r.code, 0) + 1
        except Exception:
            codes[0] = codes.get(0, 0) + 1

    await asyncio.gather(*(one(seconds * i / count) for i in range(count)))
    return codes


async def tab_storm(base: str, participant_path: str, tabs: int = 50) -> dict:
    """Finding 3: one participant's link opened in ``tabs`` tabs, one after the other."""
    codes: dict[int, int] = {}
    for _ in range(tabs):
        try:
            r = await fetch(base + participant_path, timeout=30, follow=True)
            codes[r.code] = codes.get(r.code, 0) + 1
        except Exception:
            codes[0] = codes.get(0, 0) + 1
    return codes


async def join_flood(base: str, code: str, count: int = 2000, concurrency: int = 50) -> dict:
    """Finding 4: ``count`` join POSTs as fast as the server takes them."""
    codes: dict[int, int] = {}
    body = urllib.parse.urlencode({"kod": code, "bord": ""})
    queue = list(range(count))

    async def worker() -> None:
        while queue:
            queue.pop()
            try:
                r = await fetch(base + "/delta", method="POST", body=body, timeout=10)
                codes[r.code] = codes.get(r.code, 0) + 1
            except Exception:
                codes[0] = codes.get(0, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return codes


async def never_read(base: str, requests: int = 3000, seconds: float = 20, code: str | None = None) -> None:
    """Finding 6: a client that sends ``requests`` kernel_info requests and never reads a reply."""
    kernel = await own_kernel(base, code)
    if kernel is None:
        return
    ws = await connect(base, kernel)
    # Stop reading at the socket level: tornado's client reads only when asked, so never ask.
    deadline = time.monotonic() + seconds
    for i in range(requests):
        if time.monotonic() > deadline:
            break
        try:
            ws.write_message(legacy_text("kernel_info_request", {}))
        except Exception:
            break
        if i % 100 == 0:
            await asyncio.sleep(0.01)
    await asyncio.sleep(2)
    ws.close()


async def crafted_flood(base: str, messages: int = 2000, code: str | None = None) -> None:
    """Finding 8: ``messages`` crafted widget updates (a value of the wrong type) as fast as they go."""
    kernel = await own_kernel(base, code)
    if kernel is None:
        return
    ws = await connect(base, kernel)
    try:
        states = await widget_states(ws)
        target = next(
            (mid for mid, st in states.items() if st.get("_model_name") in ("TextModel", "DropdownModel")), None
        )
        if target is None:
            return
        for i in range(messages):
            try:
                ws.write_message(
                    legacy_text(
                        "comm_msg",
                        {
                            "comm_id": target,
                            "data": {"method": "update", "state": {"value": 12345}, "buffer_paths": []},
                        },
                    )
                )
            except Exception:
                break
            if i % 200 == 0:
                await asyncio.sleep(0.01)
        await asyncio.sleep(2)
    finally:
        ws.close()
