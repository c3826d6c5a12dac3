"""The workshop server's capacity measures (bench/workshop.py measures their effect; these check they hold).

* Exercise widgets share frozen layout and style models, so a participant's page is about 50 models, not 140.
* Jupyter message dates are parsed with the standard library and give what jupyter_client gave.
* Voila's exporters share compiled templates, and an edited template is compiled again.
* The server raises its open-file limit to the room's needs, or says in Swedish why it cannot.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import ipywidgets as widgets
import pytest

from samverkan.content import loader, paths
from samverkan.widgets import exercise_widget
from samverkan.widgets.base import lean, shared
from samverkan.workshop import runtime as server
from samverkan.workshop.participant import ParticipantView
from samverkan.workshop.store import Store


def models(root: widgets.Widget) -> set[str]:
    """The ids of every widget model a browser must build to show ``root``."""
    seen: dict[str, widgets.Widget] = {}
    todo = [root]
    while todo:
        w = todo.pop()
        if w.model_id in seen:
            continue
        seen[w.model_id] = w
        for key in w.keys:
            value = getattr(w, key, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            todo.extend(v for v in values if isinstance(v, widgets.Widget))
    return set(seen)


@pytest.fixture(scope="module")
def kit():
    return loader.load_kit(paths.kit_root())


def test_lean_widgets_share_one_layout_and_style():
    a = lean(widgets.HTML, "<p>a</p>")
    b = lean(widgets.HTML, "<p>b</p>")
    wide = lean(widgets.HTML, "<p>c</p>", layout={"width": "auto"})
    assert a.layout is b.layout and a.style is b.style
    assert wide.layout is not a.layout and wide.layout.width == "auto"
    assert lean(widgets.Button, description="x").style is not a.style  # a ButtonStyle, not an HTMLStyle
    own = widgets.Layout(margin="1em")
    assert lean(widgets.VBox, layout=own).layout is own  # a widget may still have a layout of its own


def test_a_shared_model_cannot_be_changed_and_a_closed_one_is_replaced():
    layout = shared(widgets.Layout)
    with pytest.raises(RuntimeError, match="shared by many widgets"):
        layout.display = "none"
    assert layout.display is None
    layout.close()
    fresh = shared(widgets.Layout)
    assert fresh is not layout and fresh.comm is not None
    assert lean(widgets.HTML).layout is fresh


def test_a_matching_exercise_needs_far_fewer_models(kit):
    """Eight statements were 136 models with ipywidgets' own layout and style per control."""
    exercise = next(e for e in kit.exercises.values() if e.kind == "matching")
    w = exercise_widget(exercise)
    n_items = len(exercise.items)
    assert len(models(w)) <= 4 * n_items + 20, len(models(w))
    # and it still works: a choice is graded
    w.dropdowns[0].value = exercise.items[0].category
    w.check_button.click()
    assert "Rätt" in w.item_feedback[0].value


def test_a_participant_page_is_about_fifty_models(kit, tmp_path):
    store = Store(tmp_path / "verkstad.sqlite")
    session = store.create_session("Kapacitet", "03-principer")
    view = ParticipantView(store, store.join(session.code), kit)
    assert len(models(view.widget)) <= 70, len(models(view.widget))
    store.close()


def test_message_dates_parse_as_jupyter_client_parsed_them():
    from dateutil.parser import isoparse
    from jupyter_client import jsonutil, session

    server.install_fast_dates()
    server.install_fast_dates()  # twice is harmless: it wraps jupyter_client's own parser once
    for text in ("2026-11-23T08:25:00.123456Z", "2026-11-23T08:25:00+01:00", "2026-11-23T08:25:00.1Z"):
        parsed = jsonutil.parse_date(text)
        assert parsed == isoparse(text) and parsed.utcoffset() == isoparse(text).utcoffset()
    assert jsonutil.parse_date("inte ett datum") == "inte ett datum"
    assert jsonutil.parse_date(None) is None
    header = session.extract_dates({"msg_id": "1", "date": "2026-11-23T08:25:00Z", "n": [1, "x"]})
    assert header["date"].year == 2026 and header["n"] == [1, "x"]
    with pytest.warns(DeprecationWarning):  # a date without a time zone still goes to jupyter_client's rules
        assert jsonutil.parse_date("2026-11-23T08:25:00").tzinfo is not None


def test_exporters_share_compiled_templates_and_recompile_an_edited_one(monkeypatch):
    import jinja2
    from nbconvert.exporters import HTMLExporter

    server.install_template_cache()
    compiles = []
    original = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):
        compiles.append(source[:40])
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "sida.html.j2"
        template.write_text("<p>{{ x }}</p>", encoding="utf-8")
        first = HTMLExporter(extra_loaders=[jinja2.FileSystemLoader(folder)]).environment
        assert first.get_template("sida.html.j2").render(x="ett") == "<p>ett</p>"
        assert compiles, "the first exporter compiles the template"
        compiles.clear()
        second = HTMLExporter(extra_loaders=[jinja2.FileSystemLoader(folder)]).environment
        assert second is not first
        assert second.get_template("sida.html.j2").render(x="två") == "<p>två</p>"
        assert compiles == [], "a second exporter reuses the compiled template"
        template.write_text("<p>Ändrad: {{ x }}</p>", encoding="utf-8")
        third = HTMLExporter(extra_loaders=[jinja2.FileSystemLoader(folder)]).environment
        assert third.get_template("sida.html.j2").render(x="tre") == "<p>Ändrad: tre</p>"
        assert len(compiles) == 1


def _limit_after(soft: int, hard: int, room: int) -> tuple[str, str]:
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))\n"
        "from samverkan.workshop import runtime as server\n"
        f"print(server.raise_file_limit({room}))\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    warning, soft_after = out.strip().rsplit("\n", 1)
    return warning, soft_after


def test_the_server_raises_its_open_file_limit_for_the_room():
    warning, soft = _limit_after(1024, 4096, 50)
    assert warning == "None"
    assert int(soft) >= 256 + server.FILES_PER_PLACE * (50 + server.reserve_size(50) + 20)


def test_a_too_low_system_limit_gets_a_swedish_warning():
    warning, soft = _limit_after(1024, 1024, 150)
    assert int(soft) == 1024
    assert warning.startswith("Obs! Datorn låter servern öppna högst 1024 filer")
    assert "ulimit -n" in warning and "--room-size" in warning and "deltagare" in warning


def test_the_socket_budget_grows_with_the_room():
    assert server.socket_budget(2) == 1023  # libzmq's default for a small room
    assert server.socket_budget(300) >= 8 * 300
