"""JupyterHub for real: a hub from PyPI, its proxy from npm, two users in Debian's chromium.

The hub runs in a temporary folder with its own SQLite database, cookie secret and config file
(written below), on 127.0.0.1 with free ports:

* ``SharedPasswordAuthenticator`` (JupyterHub's test authenticator since 5.3, the successor of
  ``DummyAuthenticator.password``) with a random shared password and two allowed users;
* ``SimpleLocalProcessSpawner``: each user's single-user server (``jupyterhub-singleuser`` from this
  venv, JupyterLab and Voila's server extension) runs in that user's own home under the temporary
  folder, which holds a copy of the kit (``notebooks/``, ``voila_apps/``, ``exercises/``, ``data/``,
  ``voila.json``); ``SAMVERKAN_HOME`` points at it, as docs/driftsattning.md says;
* configurable-http-proxy from ``.hubproxy/`` (``make hubproxy``).

Both users log in through the hub's login form, each in a browser context of its own, and each
gets a JupyterLab server of its own. Each opens a lesson notebook in JupyterLab, runs it from the
Run menu and answers its quiz; then each opens a lesson app in Voila under ``/user/<name>/`` and
answers there. Never skipped: a missing prerequisite fails with what to run.

Slow (a minute or two): marked ``integration``. Screenshots at 1366 px go to the test's temporary
folder, or to ``$SAMVERKAN_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT
from .servers import CHROMIUM, free_port

pytestmark = pytest.mark.integration

PROXY = ROOT / ".hubproxy" / "node_modules" / ".bin" / "configurable-http-proxy"
SINGLEUSER = Path(sys.executable).parent / "jupyterhub-singleuser"
KIT_PARTS = ("notebooks", "voila_apps", "exercises", "data", "voila.json")
SERVICE = "samverkan-test"  # a hub service whose token the test uses to read the users' servers
WAIT = 180_000  # ms: a spawn, JupyterLab's first load or a Voila kernel on a busy two-core machine

# Each user opens a different lesson in JupyterLab and in Voila, so that the servers can be told apart.
USERS = {
    "anna": {
        "notebook": "notebooks/01-borja-har.ipynb",
        "quiz": "start-quiz",
        "app": "voila_apps/03-principer.ipynb",
        "app_quiz": "principer-quiz",
    },
    "bosse": {
        "notebook": "notebooks/03-principer.ipynb",
        "quiz": "principer-quiz",
        "app": "voila_apps/01-borja-har.ipynb",
        "app_quiz": "start-quiz",
    },
}


def prerequisites() -> None:
    """Fail (never skip) with what to run when something the test needs is missing."""
    problems = []
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        problems.append(
            "JupyterHub saknas i den här Python-miljön: installera kitet med "
            '`pip install -e ".[test]"` (extra `hub`), eller kör `make test`.'
        )
    if not SINGLEUSER.exists():
        problems.append(f"{SINGLEUSER} saknas (kommer med paketet jupyterhub).")
    if not PROXY.exists():
        problems.append(
            f"JupyterHubs proxy saknas ({PROXY.relative_to(ROOT)}): kör `make hubproxy` "
            "(npm install configurable-http-proxy)."
        )
    if not shutil.which("node"):
        problems.append("node saknas (configurable-http-proxy är ett Node-program): `apt-get install nodejs`.")
    if not Path(CHROMIUM).exists():
        problems.append(f"{CHROMIUM} saknas: kör `make browser`.")
    if problems:
        pytest.fail("JupyterHub-testet kan inte köras:\n" + "\n".join(problems), pytrace=False)


# -- processes -------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, from /proc; None when it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[19])


def descendants(root: int) -> dict[int, int]:
    """Every live process below ``root`` (its children, theirs …): pid -> start time."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))):
            parents.setdefault(st[0], []).append(int(entry))
            starts[int(entry)] = st[1]
    found, todo = {}, [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found[child] = starts[child]
                todo.append(child)
    return found


def kill_all(procs: dict[int, int]) -> None:
    """SIGKILL each process that is still the one recorded (same start time: no reused pid)."""
    for pid, start in procs.items():
        st = _stat(pid)
        if st and st[1] == start:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


# -- the hub ---------------------------------------------------------------------------------------

CONFIG = """\
# Written by tests/test_jupyterhub.py: a throwaway hub on 127.0.0.1.
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/jupyterhub_cookie_secret"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allowed_users = {users!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{folder}/home/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{singleuser!r}]
# Voila as a server extension reads its voila.json for its own settings only, not for the page's
# exporter: <html lang="sv"> needs the setting on the single-user server (as docs/driftsattning.md says).
# CI runs as root, and a Jupyter server refuses root without --allow-root.
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.environment = {{
    "JUPYTER_PLATFORM_DIRS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "SAMVERKAN_HOME": lambda spawner: "{folder}/home/" + spawner.user.name,
}}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = "{folder}/proxy.pid"
c.JupyterHub.services = [{{"name": "{service}", "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "{service}",
    "scopes": ["list:users", "read:users", "read:servers", "admin:server_state", "access:servers"],
    "services": ["{service}"],
}}]
"""


class Hub:
    def __init__(self, folder: Path, base: str, password: str, token: str, proc: subprocess.Popen, log: Path):
        self.folder, self.base, self.password, self.token, self.proc, self.log = (
            folder,
            base,
            password,
            token,
            proc,
            log,
        )

    def api(self, path: str) -> dict | list:
        """GET from the hub's REST API (or a user's server, ``/user/…``) with the test service's token."""
        url = self.base + (path if path.startswith("/user/") else "/hub/api" + path)
        req = urllib.request.Request(url, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    prerequisites()
    folder = tmp_path_factory.mktemp("hub")
    for name in USERS:  # each user's home: a copy of the kit, as a region would lay it out
        home = folder / "home" / name
        home.mkdir(parents=True)
        for part in KIT_PARTS:
            src = ROOT / part
            (shutil.copytree if src.is_dir() else shutil.copy)(src, home / part)
    secret = folder / "jupyterhub_cookie_secret"
    secret.write_text(secrets.token_hex(32) + "\n")
    secret.chmod(0o600)
    port, hub_port, proxy_api_port = free_port(), free_port(), free_port()
    password, token = secrets.token_urlsafe(12), secrets.token_hex(24)
    (folder / "jupyterhub_config.py").write_text(
        CONFIG.format(
            folder=folder,
            port=port,
            hub_port=hub_port,
            proxy_api_port=proxy_api_port,
            password=password,
            users=set(USERS),
            singleuser=str(SINGLEUSER),
            proxy=str(PROXY),
            proxy_token=secrets.token_hex(24),
            service=SERVICE,
            service_token=token,
            args=["--VoilaExporter.language_code=sv", *(["--allow-root"] if os.geteuid() == 0 else [])],
        )
    )
    log = folder / "hub.log"
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYTHONUNBUFFERED="1")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(folder / "jupyterhub_config.py")],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    h = Hub(folder, f"http://127.0.0.1:{port}", password, token, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if "version" in h.api("/"):  # through the proxy: both the hub and the proxy are up
                    break
            except (OSError, ValueError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterHub startade inte (se {log}):\n{h.log_tail()}", pytrace=False)
            time.sleep(0.3)
        yield h
    finally:
        stop_hub(proc)


def stop_hub(proc: subprocess.Popen) -> None:
    """SIGTERM: the hub stops the users' servers and the proxy; then anything left below it is killed."""
    below = descendants(proc.pid)  # the proxy, the single-user servers and their kernels
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    below.update(descendants(proc.pid))
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    kill_all(below)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


# -- the browser -----------------------------------------------------------------------------------


def screenshot(page, hub: Hub, name: str) -> Path:
    folder = Path(os.environ.get("SAMVERKAN_SCREENSHOTS") or hub.folder / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"skärmbild: {path}")
    return path


@contextlib.contextmanager
def shot_on_failure(page, hub: Hub, name: str):
    """On a failure, a screenshot of the page as it was, and the end of the hub's log."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            screenshot(page, hub, f"fel-{name}")
        print(hub.log_tail())
        raise


@pytest.fixture(scope="module")
def sessions(hub, browser):
    """Both users logged in through the hub's login form; their servers running. name -> page."""
    from playwright.sync_api import expect

    pages, contexts, outside = {}, [], []

    def local_only(route) -> None:  # everything stays on 127.0.0.1: other requests are refused and noted
        outside.append(route.request.url)
        route.abort()

    for name in USERS:
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
        ctx.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/])"), local_only)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(WAIT)
        page.goto(hub.base + "/hub/login")
        page.fill("#username_input", name)
        page.fill("#password_input", hub.password)
        page.click("#login_submit")
        pages[name] = page
    for name, page in pages.items():  # both spawn at once; JupyterLab's shell shows when a server is up
        page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=WAIT)
        expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=WAIT)
    yield pages
    for ctx in contexts:
        ctx.close()
    print("förfrågningar utanför 127.0.0.1 (stoppade):", sorted(set(outside)) or "inga")


def run_notebook_from_the_run_menu(page) -> None:
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).first.click()


def expand_all_code_from_the_view_menu(page) -> None:
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^View$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Expand All Code")).first.click()


def answer_quiz(page, quiz_id: str) -> None:
    """Choose the right answer to the quiz's first question, press "Rätta svaret", see the Swedish feedback."""
    from playwright.sync_api import expect

    from samverkan.content import loader
    from samverkan.render.markdown import plain

    question = loader.load_kit().exercises[quiz_id].questions[0]
    right = plain(question.choices[min(question.correct_indices)].text)
    check = page.get_by_role("button", name="Rätta svaret")
    quiz = page.locator(".sv-exercise").filter(has=check).filter(has_text=plain(question.prompt)[:40])
    expect(quiz).to_have_count(1, timeout=60_000)
    radio = quiz.get_by_role("radio", name=right)
    radio.check()
    expect(radio).to_be_checked()
    quiz.get_by_role("button", name="Rätta svaret").click()
    expect(quiz.locator(".sv-feedback").first).to_contain_text("Rätt", timeout=60_000)
    expect(quiz).to_contain_text("✓ Rätt!")


# -- the tests -------------------------------------------------------------------------------------


def test_wrong_password_and_unknown_user_are_refused(hub):
    import urllib.parse

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    form = opener.open(hub.base + "/hub/login", timeout=30).read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    for user, password in (("anna", "fel-losenord-1"), ("okand", hub.password)):
        data = urllib.parse.urlencode({"username": user, "password": password, "_xsrf": xsrf}).encode()
        try:
            opener.open(hub.base + "/hub/login", data=data, timeout=30)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        assert status == 403, (user, status)
    assert not any(u["name"] == "okand" for u in hub.api("/users"))


def test_two_users_get_servers_of_their_own(hub, sessions):
    users = {u["name"]: u for u in hub.api("/users")}
    assert set(USERS) <= set(users)
    pids = {}
    for name in USERS:
        server = users[name]["servers"][""]
        assert server["ready"] and server["url"] == f"/user/{name}/"
        pid = server["state"]["pid"]
        assert _stat(pid), f"{name}s server (pid {pid}) is not running"
        env = environ(pid)
        assert env["JUPYTERHUB_USER"] == name
        assert env["HOME"] == str(hub.folder / "home" / name)
        assert env["SAMVERKAN_HOME"] == env["HOME"]
        assert "jupyterhub-singleuser" in Path(f"/proc/{pid}/cmdline").read_text()
        pids[name] = pid
    assert len(set(pids.values())) == len(USERS)
    # One user's browser is not let into the other's server: the hub refuses anna bosse's server.
    page = sessions["anna"].context.new_page()
    resp = page.goto(hub.base + "/user/bosse/lab", timeout=60_000)
    assert resp.status == 403, (resp.status, resp.url)
    assert page.locator("#jp-main-dock-panel").count() == 0
    page.close()


@pytest.mark.parametrize("name", USERS)
def test_lesson_notebook_runs_in_jupyterlab_and_its_quiz_answers(hub, sessions, name):
    from playwright.sync_api import expect

    page = sessions[name]
    notebook = USERS[name]["notebook"]
    page.goto(f"{hub.base}/user/{name}/lab/tree/{notebook}")
    panel = page.locator(".jp-NotebookPanel")
    expect(panel).to_be_visible(timeout=WAIT)
    # The kernel is connected when the status bar names it as idle ("No Kernel | Initializing" before).
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\(ipykernel\) \| Idle"))).to_have_count(
        1, timeout=WAIT
    )
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    code_cells = sum(c["cell_type"] == "code" for c in cells)
    folded = sum(
        c["cell_type"] == "code" and c["metadata"].get("jupyter", {}).get("source_hidden", False) for c in cells
    )
    assert 0 < folded < code_cells, "the cells that display the lesson are folded; the parameters cell is not"
    with shot_on_failure(page, hub, f"jupyterlab-{name}"):
        run_notebook_from_the_run_menu(page)
        # The folded cells show their output but no code: only the unfolded cells' prompts are visible.
        ran = panel.locator(".jp-CodeCell .jp-InputPrompt", has_text=re.compile(r"\[\d+\]"))
        expect(ran).to_have_count(code_cells - folded, timeout=WAIT)
        answer_quiz(page, USERS[name]["quiz"])
        # Every code cell has run: with the code unfolded, each prompt shows an execution count ("[7]:").
        expand_all_code_from_the_view_menu(page)
        expect(ran).to_have_count(code_cells, timeout=WAIT)
    assert not panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
    assert not panel.get_by_text("Traceback").count()
    screenshot(page, hub, f"jupyterlab-{name}")
    # The notebook's kernel runs in this user's server and nowhere else.
    mine = {s["path"] for s in hub.api(f"/user/{name}/api/sessions")}
    assert notebook in mine
    for other in USERS:
        if other != name:
            assert notebook not in {s["path"] for s in hub.api(f"/user/{other}/api/sessions")}
    server_pid = {u["name"]: u for u in hub.api("/users")}[name]["servers"][""]["state"]["pid"]
    kernels = [p for p in descendants(server_pid) if "ipykernel" in Path(f"/proc/{p}/cmdline").read_text()]
    assert kernels, f"no kernel process under {name}s server"


@pytest.mark.parametrize("name", USERS)
def test_voila_app_under_the_users_prefix(hub, sessions, name):
    from playwright.sync_api import expect

    page = sessions[name]
    app = USERS[name]["app"]
    page.goto(f"{hub.base}/user/{name}/voila/render/{app}?audience=tjansteperson")
    expect(page.get_by_role("button", name="Rätta svaret").first).to_be_visible(timeout=WAIT)
    assert page.locator("html").get_attribute("lang") == "sv"
    screenshot(page, hub, f"voila-{name}-start")
    with shot_on_failure(page, hub, f"voila-{name}"):
        answer_quiz(page, USERS[name]["app_quiz"])
    screenshot(page, hub, f"voila-{name}-svar")
    assert not page.get_by_text("Traceback").count()
