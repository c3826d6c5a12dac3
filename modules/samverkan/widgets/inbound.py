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
* any message that carries binary buffers (or ``buffer_paths``) is refused
  before any state changes: no widget of the kit takes binary data, and
  ipywidgets would echo the buffers back to the server (a legacy-format echo
  once froze the whole workshop server);
* a click on a button that is disabled, or not on screen (not reachable from
  a displayed widget through visible containers), is refused: a crafted click
  on a hidden "Välj" once stored an answer to a step the participant never saw;
* any error while applying an update is caught;
* a refused update is logged (without its content, and at most
  :data:`LOG_PER_MINUTE` lines a minute per kernel), the widget's true state
  is sent back to the browser, and the exercise (or a registered host such as
  the participant app) shows a Swedish message in its status line.
"""

from __future__ import annotations

import logging
import sys
import time
import weakref
from typing import Any

import ipywidgets as widgets

from samverkan.errors import Refused

log = logging.getLogger("samverkan.widgets.inbound")
if not log.handlers:  # to the server's log (the kernel's real stderr), never as output on the participant's page
    _handler = logging.StreamHandler(sys.__stderr__)
    _handler.setFormatter(logging.Formatter("[samverkan] %(message)s"))
    log.addHandler(_handler)
    log.propagate = False

MAX_INBOUND_CHARS = 20_000  # a free-text answer is at most a few thousand characters
MAX_INBOUND_KEYS = 50
LOG_PER_MINUTE = 20  # refusal lines per kernel and minute; the rest are counted in the next line
REFUSED = "Webbläsaren skickade ett ogiltigt värde, och det togs inte emot. Välj eller skriv igen."

_hosts: weakref.WeakKeyDictionary[widgets.Widget, widgets.HTML] = weakref.WeakKeyDictionary()
refused_count = 0  # refused updates in this kernel (tests read it)
_displayed: weakref.WeakSet[widgets.Widget] = weakref.WeakSet()  # widgets shown as the root of an output
_log_window = {"start": 0.0, "lines": 0, "quiet": 0}


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
    """Raise :class:`Refused` for an update that is not a mapping, has too many fields or too big a value."""
    if not isinstance(state, dict):
        raise Refused("state is not a mapping")
    if len(state) > MAX_INBOUND_KEYS:
        raise Refused("too many fields")
    if any(_too_big(v) for v in state.values()):
        raise Refused("value too large")


def _reachable(roots: list, target: widgets.Widget, skip_hidden: bool = False) -> bool:
    """Whether ``target`` is one of ``roots`` or inside one of them (through ``children``)."""
    stack = [w for w in roots if not (skip_hidden and _hidden(w))]
    seen: set[int] = set()
    while stack:
        w = stack.pop()
        if w is target:
            return True
        if id(w) in seen:
            continue
        seen.add(id(w))
        stack.extend(
            c
            for c in (getattr(w, "children", None) or ())
            if isinstance(c, widgets.Widget) and not (skip_hidden and _hidden(c))
        )
    return False


def _contains(container: widgets.Widget, target: widgets.Widget) -> bool:
    return _reachable([container], target)


def _live_widgets() -> dict:
    """Every live widget by model id (ipywidgets 8 keeps them in ``_instances``; ``Widget.widgets`` is deprecated)."""
    from ipywidgets.widgets import widget as widget_module

    return getattr(widget_module, "_instances", None) or {}


def _status_for(target: widgets.Widget) -> widgets.HTML | None:
    """The status line of the innermost exercise (or registered host) that holds ``target``."""
    from samverkan.widgets.base import ExerciseWidget

    candidates: list[tuple[widgets.Widget, widgets.HTML]] = [
        (w, w.status)
        for w in list(_live_widgets().values())
        if isinstance(w, ExerciseWidget) and isinstance(getattr(w, "status", None), widgets.HTML)
    ]
    candidates += list(_hosts.items())
    holders = [(c, s) for c, s in candidates if _contains(c, target)]
    if not holders:
        return None
    # innermost: the holder that the others also contain
    holders.sort(key=lambda cs: sum(_contains(other, cs[0]) for other, _ in holders), reverse=True)
    return holders[0][1]


def _log_refusal(widget: widgets.Widget, reason: str) -> None:
    """Log a refusal, at most :data:`LOG_PER_MINUTE` lines a minute; the lines left out are counted."""
    now = time.monotonic()
    if now - _log_window["start"] >= 60:
        if _log_window["quiet"]:
            log.warning("%d more refused updates in the last minute (not logged one by one)", _log_window["quiet"])
        _log_window.update(start=now, lines=0, quiet=0)
    if _log_window["lines"] >= LOG_PER_MINUTE:
        _log_window["quiet"] += 1
        return
    _log_window["lines"] += 1
    log.warning("refused an update to %s: %s", type(widget).__name__, reason)


def _hidden(w: widgets.Widget) -> bool:
    layout = getattr(w, "layout", None)
    return layout is not None and (
        getattr(layout, "display", None) == "none" or getattr(layout, "visibility", None) == "hidden"
    )


def on_screen(target: widgets.Widget) -> bool:
    """Whether ``target`` is shown: reachable from a displayed widget through containers that are not hidden."""
    return _reachable(list(_displayed), target, skip_hidden=True)


def _refuse(widget: widgets.Widget, reason: str) -> None:
    global refused_count
    from samverkan.widgets.base import status_html

    refused_count += 1
    _log_refusal(widget, reason)
    try:
        widget.send_state()  # put the browser back in step with the kernel
    except Exception:
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
        if not isinstance(data, dict):
            raise Refused("data is not a mapping")
        if msg.get("buffers") or data.get("buffer_paths"):
            # Before anything changes: no widget here takes binary data, and set_state() would echo it.
            raise Refused("binary buffers")
        if data.get("method") == "update" and "state" in data:
            state = data["state"]
            check_update(state)
            unknown = set(state) - set(self.keys)
            if unknown:  # ipywidgets would skip them silently; a real browser only sends the model's own fields
                raise Refused(f"{len(unknown)} unknown fields")
            self.set_state(state)
            return
        method = data.get("method")
        if method == "custom":
            if not isinstance(data.get("content"), dict):
                raise Refused("custom content is not a mapping")
            if isinstance(self, widgets.Button):
                if self.disabled:
                    raise Refused("click on a disabled button")
                if not on_screen(self):
                    raise Refused("click on a button that is not shown")
            # ipywidgets' own handler would show any error as a traceback on the page (_show_traceback)
            self._handle_custom_msg(data["content"], [])
            return
        if method == "request_state":
            self.send_state()
            return
        raise Refused("unknown method")
    except Refused as exc:  # the kit's own reasons: fixed words, never what the client sent
        _refuse(self, str(exc))
    except Exception as exc:
        _refuse(self, type(exc).__name__)  # the exception's text may quote the client's value: not logged


_ORIGINAL_REPR = widgets.Widget._repr_mimebundle_


def _repr_and_remember(self: widgets.Widget, **kwargs: Any) -> Any:
    """Displaying a widget makes it a root of what is on screen (see :func:`on_screen`)."""
    _displayed.add(self)
    return _ORIGINAL_REPR(self, **kwargs)


def install() -> None:
    """Wrap the inbound handler of every widget created from now on (idempotent)."""
    if widgets.Widget._handle_msg is not _guarded_handle_msg:
        widgets.Widget._handle_msg = _guarded_handle_msg
    if widgets.Widget._repr_mimebundle_ is not _repr_and_remember:
        widgets.Widget._repr_mimebundle_ = _repr_and_remember
