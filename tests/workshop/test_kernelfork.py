"""Preheated participant kernels forked from a prepared process (samverkan.workshop.kernelfork)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from samverkan.workshop import kernelfork
from samverkan.workshop.server import kernel_argv
from samverkan.workshop.store import Store

from ..attacks import server_pid
from ..servers import post_join, workshop_server

LESSON = "03-principer"
ARGV = kernel_argv()  # as the server's kernelspec (other tests look for kernels by it)


def run(coro, timeout: float = 120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")


def gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True  # ended; its parent has not reaped it yet
        except OSError:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def forks(tmp_path, monkeypatch):
    """A running fork server as ``samverkan serve`` starts it, and a kernelspec that uses its provisioner."""
    if not kernelfork.available():
        pytest.fail("kernels cannot be forked on this system (Linux with pidfds is needed)")
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ARGV,
                "display_name": "Python 3",
                "language": "python",
                "metadata": {"kernel_provisioner": {"provisioner_name": kernelfork.PROVISIONER}},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("SAMVERKAN_DB", raising=False)
    kernelfork.register()
    server = kernelfork.ForkServer()
    server.start()
    monkeypatch.setattr(kernelfork, "_SERVER", server)
    yield server
    server.stop()


async def start(env: dict[str, str], cwd: Path):
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(cwd / "ipc"))  # as the server's
    await km.start_kernel(env={**os.environ, **env}, cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return km, kc


async def output(kc, code: str) -> str:
    """What ``code`` prints in the kernel."""
    seen: list[dict] = []
    reply = await kc.execute_interactive(code, timeout=60, output_hook=seen.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(m["content"].get("text", "") for m in seen if m["msg_type"] == "stream")


def test_a_preheated_kernel_is_forked_with_its_own_environment_folder_and_randomness(forks, tmp_path):
    probe = (
        "import os, random, sys; print(os.environ['MARK'], os.getcwd(), random.random(), 'pandas' in sys.modules, "
        "'jupyter.widget.control' in get_ipython().kernel.comm_manager.targets)"  # the widgets can reach a page
    )

    async def scenario():
        kernels = []
        for mark in ("ett", "två"):
            km, kc = await start({"VOILA_PREHEAT": "True", "MARK": mark}, tmp_path)
            kernels.append((km, kc, (await output(kc, probe)).split()))
        return kernels

    async def stop(kernels):
        for km, kc, _ in kernels:
            kc.stop_channels()
            await km.shutdown_kernel()
            assert not await km.is_alive()

    kernels = run(scenario())
    pids = [km.provisioner.pid for km, _kc, _out in kernels]
    try:
        (km1, _, out1), (km2, _, out2) = kernels
        for km, pid in zip((km1, km2), pids):
            assert isinstance(km.provisioner.process, kernelfork.ForkedKernel)
            assert ppid(pid) == forks.proc.pid and os.getsid(pid) == pid  # its own session, as jupyter_client does
            argv = cmdline(pid)
            assert argv[1:3] == ["-m", "ipykernel_launcher"] and km.connection_file in argv
        assert out1[:2] == ["ett", str(tmp_path)] and out2[:2] == ["två", str(tmp_path)]
        assert out1[2] != out2[2]  # each fork has its own random state
        assert out1[3:] == out2[3:] == ["False", "True"]
    finally:
        run(stop(kernels))
    assert all(gone(pid, 10) for pid in pids)


def test_a_forked_kernel_can_be_killed_and_is_seen_to_end(forks, tmp_path):
    async def scenario():
        km, kc = await start({"VOILA_PREHEAT": "True", "MARK": "x"}, tmp_path)
        process = km.provisioner.process
        pid = process.pid
        assert process.poll() is None
        kc.stop_channels()
        await km.shutdown_kernel(now=True)  # killed, not asked
        return process, pid

    process, pid = run(scenario())
    assert process.poll() is not None and process.returncode is not None
    assert gone(pid, 10)


def test_other_kernels_start_as_jupyter_client_starts_them(forks, tmp_path):
    async def scenario():
        km, kc = await start({"VOILA_PREHEAT": "False", "MARK": "x"}, tmp_path)
        kind = type(km.provisioner.process)
        kc.stop_channels()
        await km.shutdown_kernel()
        return kind

    assert run(scenario()) is subprocess.Popen


def test_without_its_fork_server_a_preheated_kernel_starts_as_before(forks, tmp_path):
    forks.proc.kill()
    forks.proc.wait()

    async def scenario():
        km, kc = await start({"VOILA_PREHEAT": "True", "MARK": "ändå"}, tmp_path)
        out = await output(kc, "import os; print(os.environ['MARK'])")
        kind = type(km.provisioner.process)
        kc.stop_channels()
        await km.shutdown_kernel()
        return out, kind

    out, kind = run(scenario())
    assert out.strip() == "ändå" and kind is subprocess.Popen
    assert forks.broken


def test_forked_kernels_end_with_their_fork_server(forks, tmp_path):
    async def scenario():
        km, kc = await start({"VOILA_PREHEAT": "True", "MARK": "x"}, tmp_path)
        kc.stop_channels()
        return km

    km = run(scenario())
    pid = km.provisioner.pid
    forks.stop()  # as when the server ends without shutting its kernels down
    assert gone(pid, 15)
    run(km.cleanup_resources())


def test_the_fork_server_only_starts_this_pythons_ipykernel():
    env = {"A": "b"}
    assert kernelfork._valid({"argv": [*ARGV], "env": env, "cwd": None}) is None
    for argv in (
        [sys.executable, "-c", "import os; os.system('id')"],
        ["/bin/sh", "-m", "ipykernel_launcher"],
        [sys.executable, "-m", "ipykernel_launcher_ej"],
        "python -m ipykernel_launcher",
        [sys.executable, "-m", "ipykernel_launcher", 3],
    ):
        assert kernelfork._valid({"argv": argv, "env": env, "cwd": None}), argv
    assert kernelfork._valid({"argv": ARGV, "env": {"A": 1}, "cwd": None})
    assert kernelfork._valid({"argv": ARGV, "env": env, "cwd": "/finns/inte"})
    assert kernelfork._valid(["inte", "ett", "objekt"])


# -- the real server ------------------------------------------------------------------------------


def page_takes_a_place(base: str, store: Store) -> str:
    """Join a new session, open the participant page and get its widgets as a browser does; returns the
    page's kernel id once the page has redeemed its ticket and its widgets' states have come."""
    from .. import attacks

    s = store.create_session("Gaffel", LESSON)
    status, location, _ = post_join(base, s.code)
    assert status == 303
    html = urllib.request.urlopen(base + location, timeout=60).read().decode()
    assert store.stats(s.id).participants == 1
    query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    assert store.participant(query["p"][0]) is not None
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)

    async def states() -> dict:
        ws = await attacks.connect(base, kernel_id)
        try:
            return await attacks.widget_states(ws, seconds=30)
        finally:
            ws.close()

    assert run(states())  # the exercises' widgets reach the page
    return kernel_id


@pytest.mark.notebooks
def test_the_servers_preheated_kernels_are_forked_and_serve_the_page(tmp_path):
    db = tmp_path / "gaffel.sqlite"
    with workshop_server(db, room_size=2) as (base, _key):
        server = server_pid(base)
        helpers = [int(p) for p in os.listdir("/proc") if p.isdigit() and _child_of(int(p), server, "kernelfork")]
        assert len(helpers) == 1
        kernels = [int(p) for p in os.listdir("/proc") if p.isdigit() and _child_of(int(p), helpers[0], "ipykernel")]
        assert len(kernels) >= 2
        store = Store(db, create=False)
        kernel_id = page_takes_a_place(base, store)
        assert any(f"kernel-{kernel_id}.json" in " ".join(cmdline(k)) for k in kernels)
        store.close()


@pytest.mark.notebooks
def test_with_forking_turned_off_the_kernels_start_as_before(tmp_path):
    db = tmp_path / "utan.sqlite"
    with workshop_server(db, room_size=1, env={kernelfork.DISABLE_ENV: "0"}) as (base, _key):
        server = server_pid(base)
        assert not [p for p in os.listdir("/proc") if p.isdigit() and _child_of(int(p), server, "kernelfork")]
        assert [p for p in os.listdir("/proc") if p.isdigit() and _child_of(int(p), server, "ipykernel")]
        store = Store(db, create=False)
        page_takes_a_place(base, store)
        store.close()


def _child_of(pid: int, parent: int | None, marker: str) -> bool:
    try:
        return ppid(pid) == parent and marker in " ".join(cmdline(pid))
    except (OSError, ValueError, IndexError):
        return False
