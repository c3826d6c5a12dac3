"""Refuse crafted widget updates from a browser with a message, never a traceback.

A browser may send any JSON to a widget: an index out of range, a value of
the wrong type, a string of megabytes. ipywidgets validates traits and keeps
its value, but the error only reaches the kernel's log, and the page goes on
showing what the browser sent. This guard wraps every widget's inbound
message handler (installed once, when :mod:`samverkan.widgets` is imported,
so every widget made afterwards uses it):

* strings over :data:`MAX_INBOUND_CHARS`, updates with more than
  :data:`MAX_INBOUND_KEYS` fields and fields the widget does not have are
  refused before they reach the widget;
* any error while applying an update is caught;
* a refused update is logged (without its content), the widget's true state
  is sent back to the browser, and the exercise (or a registered host such as
  the participant app) shows a Swedish message in its status line.
"""

from __future__ import annotations

import logging
import sys
import weakref
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget import _put_buffers

log = logging.getLogger("samverkan.widgets.inbound")
if not log.handlers:  # to the server's log (the kernel's real stderr), never as output on the participant's page
    _handler = logging.StreamHandler(sys.__stderr__)
    _handler.setFormatter(logging.Formatter("[samverkan] %(message)s"))
    log.addHandler(_handler)
    log.propagate = False

MAX_INBOUND_CHARS = 20_000  # a free-text answer is at most a few thousand characters
MAX_INBOUND_KEYS = 50
REFUSED = "Webbläsaren skickade ett ogiltigt värde, och det togs inte emot. Välj eller skriv igen."

_hosts: "weakref.WeakKeyDictionary[widgets.Widget, widgets.HTML]" = weakref.WeakKeyDictionary()
refused_count = 0  # refused updates in this kernel (tests read it)


class Refused(ValueError):
    """An inbound update that the kit does not accept."""


def register_host(container: widgets.Widget, status: widgets.HTML) -> None:
    """Show refusals for widgets inside ``container`` in ``status`` (for hosts that are not exercises)."""
    _hosts[container] = status


def _too_big(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_INBOUND_CHARS
    if depth > 4:
        return True
    if isinstance(value, (list, tuple)):
        return len(value) > 1000 or any(_too_big(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) > MAX_INBOUND_KEYS or any(_too_big(v, depth + 1) for v in value.values())
    return False


def check_update(state: Any) -> None:
    if not isinstance(state, dict):
        raise Refused("state is not a mapping")
    if len(state) > MAX_INBOUND_KEYS:
        raise Refused("too many fields")
    if any(_too_big(v) for v in state.values()):
        raise Refused("value too large")


def _contains(container: widgets.Widget, target: widgets.Widget) -> bool:
    stack, seen = [container], set()
    while stack:
        w = stack.pop()
        if w is target:
            return True
        if id(w) in seen:
            continue
        seen.add(id(w))
        stack.extend(c for c in (getattr(w, "children", None) or ()) if isinstance(c, widgets.Widget))
    return False


def _live_widgets() -> dict:
    """Every live widget by model id (ipywidgets 8 keeps them in ``_instances``; ``Widget.widgets`` is deprecated)."""
    from ipywidgets.widgets import widget as widget_module

    return getattr(widget_module, "_instances", None) or {}


def _status_for(target: widgets.Widget) -> widgets.HTML | None:
    """The status line of the innermost exercise (or registered host) that holds ``target``."""
    from .base import ExerciseWidget

    candidates: list[tuple[widgets.Widget, widgets.HTML]] = [
        (w, w.status) for w in list(_live_widgets().values())
        if isinstance(w, ExerciseWidget) and isinstance(getattr(w, "status", None), widgets.HTML)
    ]
    candidates += list(_hosts.items())
    holders = [(c, s) for c, s in candidates if _contains(c, target)]
    if not holders:
        return None
    # innermost: the holder that the others also contain
    holders.sort(key=lambda cs: sum(_contains(other, cs[0]) for other, _ in holders), reverse=True)
    return holders[0][1]


def _refuse(widget: widgets.Widget, reason: str) -> None:
    global refused_count
    from .base import status_html

    refused_count += 1
    log.warning("refused an update to %s: %s", type(widget).__name__, reason)
    try:
        widget.send_state()  # put the browser back in step with the kernel
    except Exception:  # noqa: BLE001 - a closed comm has nothing to resync
        pass
    status = _status_for(widget)
    if status is not None:
        status.value = ""  # a second refusal in a row must reach the browser too (an unchanged value is not sent)
        status.value = status_html(REFUSED)


def _guarded_handle_msg(self: widgets.Widget, msg: dict) -> None:
    # ipywidgets' own handler catches errors and shows a traceback to the client
    # (``_show_traceback``), so updates are applied here, and other messages passed on.
    try:
        data = msg["content"]["data"]
        if data.get("method") == "update" and "state" in data:
            state = data["state"]
            check_update(state)
            unknown = set(state) - set(self.keys)
            if unknown:  # ipywidgets would skip them silently; a real browser only sends the model's own fields
                raise Refused(f"unknown fields {sorted(map(str, unknown))[:5]}")
            if "buffer_paths" in data:
                _put_buffers(state, data["buffer_paths"], msg.get("buffers") or [])
            self.set_state(state)
            return
    except Exception as exc:  # noqa: BLE001 - whatever a client sends, the kernel answers with a message
        _refuse(self, f"{type(exc).__name__}: {str(exc)[:200]}")
        return
    _ORIGINAL(self, msg)


_ORIGINAL = widgets.Widget._handle_msg


def install() -> None:
    """Wrap the inbound handler of every widget created from now on (idempotent)."""
    if widgets.Widget._handle_msg is not _guarded_handle_msg:
        widgets.Widget._handle_msg = _guarded_handle_msg
