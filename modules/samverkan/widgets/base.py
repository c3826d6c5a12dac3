"""What every exercise widget shares.

* Named parts, built by the class; the class never calls ``display()``.
* Every callback goes through :meth:`ExerciseWidget._guard`: an error becomes a
  friendly Swedish message in ``.status`` instead of a traceback on the page
  (Voila shows callback tracebacks even with ``show_tracebacks=False``).
* ``on_answer`` lets a host (the workshop app) record answers; a failing
  host callback is reported in ``.status`` and never breaks the exercise.
* Feedback never relies on colour alone: it always starts with a word
  ("Rätt", "Inte rätt") and a symbol.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import traitlets

from samverkan.content.schema import Source, Text, check_params
from samverkan.errors import SamverkanError
from samverkan.render.markdown import Markup, to_html

log = logging.getLogger("samverkan.widgets")

GENERIC_ERROR = "Något gick fel i övningen. Försök igen, eller ladda om sidan om felet finns kvar."


@dataclass(frozen=True)
class AnswerEvent:
    """One answer, as a host would store it: no personal data, only what was chosen."""

    exercise_id: str
    item_id: str  # question id, matching item set, scenario step, free-text id
    kind: str
    value: Any
    correct: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


NO_BODY = Markup("")


def verdict_html(correct: bool, body: Markup = NO_BODY, *, partly: bool = False) -> Markup:
    """The verdict (right, partly right, wrong) and ``body``, which is HTML (text must be escaped first)."""
    if correct:
        head = Markup('<span class="sv-verdict sv-right">✓ Rätt!</span>')
    elif partly:
        head = Markup('<span class="sv-verdict sv-partly">◐ Delvis rätt.</span>')
    else:
        head = Markup('<span class="sv-verdict sv-wrong">✗ Inte rätt.</span>')
    return Markup('<div class="sv-feedback" role="status">{} {}</div>').format(head, body)


LEGAL_NOTE = Markup(
    '<p class="sv-legal"><em>Utbildning, inte juridisk rådgivning: bedöm alltid det enskilda fallet '
    "med stöd av er upphandlings- eller juristfunktion.</em></p>"
)


def status_html(message: str) -> Markup:
    """A message for the learner (text, escaped) as an alert."""
    return Markup('<div class="sv-status" role="alert"><strong>Obs!</strong> {}</div>').format(message)


# A focus outline that can be seen (WCAG 2.4.7; 3:1 against white): ipywidgets' own is a 1 px light-blue
# line on buttons (2:1) and only a border colour on lists and text boxes. !important: JupyterLab's
# widget styles set the outline of these controls with more specific selectors.
FOCUS_CSS = """.jupyter-button:focus-visible, .jupyter-widgets button:focus-visible,
.jupyter-widgets input:focus-visible, .jupyter-widgets select:focus-visible,
.jupyter-widgets textarea:focus-visible, .jupyter-widgets a:focus-visible {
  outline: 3px solid #c45500 !important; outline-offset: 2px; }
.sv-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
"""

# Phone-first (WCAG 2.1 AA 1.4.10 reflow, and touch targets of 44 px): ipywidgets sizes its controls for a
# desktop notebook, so on a phone at 320 or 390 px a wrapped answer overlapped the next (each radio label is
# 20 px high), a matching list ran past the screen edge, buttons were cut ("Ångra senaste v…"), and text was
# 13 px. These rules, scoped to the exercises and the participant page, let every control wrap and shrink
# to the screen, make each answer and button at least 44 px high, set the text to 17 px and keep a line of
# text to about 75 characters on a wide screen. Plain CSS in the style block every exercise already sends,
# so no control needs a Layout model of its own (see lean() below).
REFLOW_CSS = """
.sv-exercise, .sv-participant { --jp-widgets-font-size: 1rem; --jp-widgets-inline-height: 44px;
  --jp-widgets-inline-width: 100%; font-size: 1.0625rem; line-height: 1.5; max-width: 100%; min-width: 0; }
.sv-participant { width: 100%; max-width: 46rem; margin: 0 auto; box-sizing: border-box; }
.sv-exercise { width: 100%; box-sizing: border-box; }
.sv-exercise *, .sv-participant * { min-width: 0; }
.sv-exercise .widget-html-content, .sv-participant .widget-html-content { font-size: 1.0625rem; line-height: 1.5;
  overflow-wrap: break-word; }
.sv-exercise p, .sv-exercise li, .sv-exercise label, .sv-participant p { max-width: 37em; }
.sv-exercise .widget-inline-hbox, .sv-participant .widget-inline-hbox { max-width: 100%; height: auto; }
.sv-exercise .widget-radio, .sv-exercise .widget-radio-box { width: auto; max-width: 100%; }
.sv-exercise .widget-radio-box label { height: auto; min-height: 44px; line-height: 1.4; display: flex;
  align-items: center; gap: .6em; padding: .3em 0; box-sizing: border-box; font-size: 1.0625rem;
  white-space: normal; overflow-wrap: break-word; cursor: pointer; }
.sv-exercise .widget-radio-box input { float: none; flex: none; order: -1; width: 1.25em; height: 1.25em;
  margin: 0 0 0 2px; }
.sv-exercise .widget-checkbox { width: auto; height: auto; line-height: 1.4; }
.sv-exercise .widget-checkbox label, .sv-exercise .widget-label-basic { white-space: normal; overflow: visible;
  height: auto; min-height: 44px; line-height: 1.4; display: flex; align-items: center; gap: .6em;
  font-size: 1.0625rem; overflow-wrap: break-word; cursor: pointer; }
.sv-exercise .widget-checkbox input { flex: none; width: 1.25em; height: 1.25em; margin: 0 0 0 2px; }
.sv-exercise .widget-label, .sv-participant .widget-label { font-size: 1rem; white-space: normal; height: auto;
  line-height: 1.4; overflow: visible; }
.sv-exercise .jupyter-button, .sv-participant .jupyter-button { width: auto; max-width: 100%; height: auto;
  min-height: 44px; min-width: 44px; line-height: 1.3; padding: .45em 1em; white-space: normal; font-size: 1rem; }
.sv-exercise .widget-hbox, .sv-participant .widget-hbox { flex-wrap: wrap; gap: .5em; }
.sv-exercise .widget-hbox > .jupyter-button, .sv-participant .widget-hbox > .jupyter-button { margin: 0; }
.sv-exercise .widget-dropdown, .sv-participant .widget-dropdown { flex-wrap: wrap; align-items: center;
  column-gap: .5em; }
.sv-exercise .widget-dropdown > select, .sv-participant .widget-dropdown > select { height: auto; min-height: 44px;
  max-width: 100%; min-width: 0; flex: 0 1 auto; font-size: 1rem; text-overflow: ellipsis; }
.sv-exercise .widget-textarea { max-width: 100%; flex-wrap: wrap; }
.sv-exercise textarea, .sv-exercise input[type=text] { font-size: 1rem; }
.jp-RenderedHTMLCommon h1, .jp-RenderedHTMLCommon h2, .sv-exercise h3 { overflow-wrap: break-word; }
body:has(.sv-participant) .jp-RenderedHTMLCommon h1 { font-size: clamp(1.3rem, 6.5vw, 2.2rem); }
.sv-participant h2 { font-size: clamp(1.25rem, 6vw, 1.75rem); }
"""

# Trusted HTML (the kit's own stylesheet): Markup, so joining it with other Markup keeps it as is.
STYLE = Markup(
    """
<style>
.sv-feedback, .sv-status { margin: .4em 0; line-height: 1.5; }
.sv-verdict { font-weight: bold; }
.sv-right { color: #1b5e20; }
.sv-wrong { color: #b71c1c; }
.sv-partly { color: #8a4b00; }
.sv-status { color: #7a1f00; }
.sv-progress { color: #333; font-size: 95%; }
.sv-legal { color: #333; font-size: 90%; }
.sv-box { border-left: 4px solid #1f4e79; padding-left: .8em; margin: .5em 0 1em 0; }
"""
    + FOCUS_CSS
    + REFLOW_CSS
    + """</style>
"""
)


# -- shared layout and style models ----------------------------------------------------------
# Every ipywidgets control brings its own Layout model, and most a Style model too: a matching exercise of
# eight statements was 136 models, each one a comm the kernel opens, the server relays and the browser
# builds. A workshop room of 150 arriving together pays that 150 times on two cores. Controls built with
# lean() share one frozen Layout (and Style) per kernel for each set of attributes instead, which cuts the
# models per exercise by about half (bench/workshop.py measures the effect).

_SHARED: dict[tuple, widgets.Widget] = {}


def _frozen(change: Any) -> None:
    owner = change["owner"]
    if getattr(owner, "_sv_restoring", False):
        return
    owner._sv_restoring = True
    try:
        setattr(owner, change["name"], change["old"])  # put it back, then say why
    finally:
        owner._sv_restoring = False
    raise RuntimeError(
        f"{type(change['owner']).__name__} is shared by many widgets (samverkan.widgets.base.lean); "
        f"give the widget its own layout or style instead of changing {change['name']!r}"
    )


def shared(cls: type, **attrs: Any) -> widgets.Widget:
    """One model of ``cls`` (a Layout or a Style) with ``attrs``, shared by every widget that asks for it.

    It is frozen: a change is undone and raises, since it would show on every widget that uses it.
    A closed model (``Widget.close_all()``) is replaced by a new one.
    """
    key = (cls, tuple(sorted(attrs.items())))
    model = _SHARED.get(key)
    if model is None or getattr(model, "comm", None) is None:
        model = cls(**attrs)
        model.observe(_frozen, names=[k for k in model.keys if not k.startswith("_")])
        _SHARED[key] = model
    return model


def lean(cls: type, *args: Any, layout: Any = None, style: Any = None, **kwargs: Any) -> Any:
    """``cls(*args, **kwargs)`` whose layout and style are :func:`shared` models.

    ``layout`` and ``style`` may be dicts of attributes (as ipywidgets takes them) or, for a
    widget that must change its own later, a model of its own.
    """
    if not isinstance(layout, widgets.Widget):
        layout = shared(widgets.Layout, **(layout or {}))
    trait = cls.class_traits().get("style")  # type: ignore[attr-defined]  # cls is a widget class
    if trait is not None and not isinstance(style, widgets.Widget):
        kwargs["style"] = shared(trait.klass, **(style or {}))
    elif style is not None:
        kwargs["style"] = style
    return cls(*args, layout=layout, **kwargs)


class PlaceholderDropdown(widgets.Dropdown):
    """A Dropdown whose first option (such as "Välj …") has the value None and stands for "nothing chosen".

    ipywidgets maps the value None to no option at all, so the list would show an empty box after
    ``value = None``; here None selects the first option, which is visible and read out.
    """

    @traitlets.observe("value")
    def _propagate_value(self, change: Any) -> None:
        if change["new"] is None and self._options_values[:1] == (None,):
            if self.index != 0:  # type: ignore[has-type]  # a trait of ipywidgets' Dropdown
                self.index = 0
            return
        super()._propagate_value(change)


class ExerciseWidget(widgets.VBox):
    """Base class: level, audience, sources, the status line and the answer hook."""

    def __init__(
        self,
        *,
        level: str = "standard",
        audience: str | None = None,
        sources: Mapping[str, Source] | None = None,
        on_answer: Callable[[AnswerEvent], None] | None = None,
        workshop: bool = False,
        **kwargs: Any,
    ):
        check_params(audience, level, audience_required=False)
        super().__init__(**kwargs)
        self.level = level
        self.audience = audience
        self.workshop = workshop  # a workshop leaves out what is marked fördjupning; self-study shows it
        self.sources = sources or {}
        self.on_answer = on_answer
        self.status = lean(widgets.HTML, value="")
        self.add_class("sv-exercise")

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Show answers given earlier (``{item_id: value}`` as sent in :class:`AnswerEvent`).

        Used when a participant reloads the workshop page. Nothing is emitted
        again, and a saved value that no longer fits the exercise (the trainer
        changed it) is skipped rather than shown wrongly.
        """
        try:
            self._restore(saved)
        except Exception:
            log.exception("restore failed for %s", type(self).__name__)

    def unsaved(self) -> bool:
        """Whether the exercise shows a choice or text the participant has not sent yet (Rätta, Skicka)."""
        return False

    def send_unsaved(self) -> None:
        """Send what :meth:`unsaved` found, as the participant's own button would (the led mode does this
        when the facilitator moves on, so choices made are not lost)."""

    def _restore(self, saved: Mapping[str, Any]) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------
    def html(self, text: Text | str | None) -> Markup:
        """Content text (Markdown) as safe HTML at this widget's level, citations resolved."""
        return to_html(text, self.level, self.sources)

    def legal_note(self, exercise: Any) -> Markup:
        """The 'not legal advice' note under a verdict, for exercises marked ``legal: true``."""
        return Markup(LEGAL_NOTE) if getattr(exercise, "legal", False) else Markup("")

    def _emit(self, event: AnswerEvent) -> None:
        if self.on_answer is None:
            return
        try:
            self.on_answer(event)
        except SamverkanError as exc:
            self.status.value = status_html(str(exc))
        except Exception:
            log.exception("on_answer failed for %s", event.exercise_id)
            self.status.value = status_html("Svaret kunde inte sparas. Försök igen om en stund.")

    @staticmethod
    def _guard(method: Callable) -> Callable:
        """Wrap a callback so that errors become a Swedish message in ``.status``."""

        @functools.wraps(method)
        def wrapper(self: ExerciseWidget, *args: Any, **kwargs: Any) -> Any:
            try:
                self.status.value = ""
                return method(self, *args, **kwargs)
            except SamverkanError as exc:
                self.status.value = status_html(str(exc))
            except Exception:
                log.exception("callback %s failed", method.__name__)
                self.status.value = status_html(GENERIC_ERROR)
            return None

        return wrapper


guard = ExerciseWidget._guard


def heading(text: str, level: int = 3) -> Markup:
    """A heading of ``text`` (escaped)."""
    return Markup("<h{0}>{1}</h{0}>").format(level, text)
