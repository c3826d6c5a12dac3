"""The presenter page (``/handledare/storbild``): what the projector shows, and the facilitator's controls.

A page of the server's own (no kernel), behind the facilitator's cookie; the key never appears in
its address. It shows one of:

* the join screen: the code in huge type, the address to type, a QR code of the direct link
  (made here with segno, as SVG; nothing is fetched), how many have joined, "Inga namn sparas";
* in the led mode (handledarstyrt), the exercise released, one question (or scenario step) at a
  time, in type readable from the back of a room (labels ≥ 24 px at 1280×720). While the room
  answers, only how many have answered shows, never the right answer; "Visa resultat" shows the
  tally of first answers as bars with their figures as text (the text alternative is the text);
* after a scenario's last step, where the room's first choices ended, with each ending's rating.

What participants see of the key before the reveal (a decision, see README "Handledarstyrt läge"):
a participant sees the feedback on their own answer as soon as they answer, as in self-study; the
learning is in that moment. The statistics count each participant's first answer, so what one
learns from the feedback (or from a neighbour) cannot improve the room's figures, and the projector
shows no right answer until the facilitator reveals it.

The state (mode, exercise, question, result shown, countdown) lives in the store
(:meth:`Store.set_room`), so two servers behind a proxy show the same moment. A small script
(``storbild.js``, served by this server; the CSP allows no inline script) asks for the stage once
a second and swaps it when it changed; without script the page still works by its buttons.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup

from samverkan.content.schema import AUDIENCE_LABELS
from samverkan.errors import StoreError
from samverkan.render.markdown import escape, plain
from samverkan.render.page import page as render_page
from samverkan.workshop.room import session_exercises
from samverkan.workshop.store import MODES, Details, Session, Store
from samverkan.workshop.summary import Endings, ItemSummary, scenario_endings, summarise

PATH = "handledare/storbild"
SCRIPT_PATH = "handledare/storbild.js"
COUNTDOWNS = (30, 60, 90, 120, 180)
MAX_FREE_TEXTS = 24  # free-text answers shown at once on the projector (the newest)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

CSS = """
:root { --ink: #111; --blue: #1f4e79; --green: #1b5e20; --muted: #333; }
* { box-sizing: border-box; }
html { font-size: 24px; }  /* labels at least 24 px on a 1280×720 projector */
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
       background: #fff; line-height: 1.3; overflow-wrap: break-word; hyphens: auto; }
a { color: var(--blue); }
a:focus, button:focus, select:focus, summary:focus { outline: 4px solid #c45500; outline-offset: 2px; }
.sv-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
#sv-stage { min-height: calc(100vh - 4.2rem); padding: .6rem 1.2rem; display: flex; flex-direction: column; }
.sv-top { display: flex; flex-wrap: wrap; justify-content: space-between; column-gap: 1rem; color: var(--muted);
          font-size: .75rem; border-bottom: 3px solid var(--blue); padding-bottom: .2rem; }
.sv-top span:first-child { flex: 1 1 10rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
                           min-width: 0; }
.sv-top span:last-child { flex: 0 1 auto; }
/* the join screen */
.sv-join { display: flex; gap: 2rem; align-items: center; justify-content: center; flex: 1; flex-wrap: wrap; }
.sv-join-text { max-width: 38rem; }
.sv-join h1 { font-size: 1.6rem; margin: 0 0 .3rem 0; }
.sv-address { font-size: 1.5rem; font-weight: 700; overflow-wrap: anywhere; margin: .2rem 0 .8rem 0; }
.sv-code { font-size: 5rem; font-weight: 800; letter-spacing: .14em; color: var(--blue); line-height: 1.05;
           margin: 0; font-variant-numeric: tabular-nums; }
.sv-qr { width: min(42vh, 22rem); height: min(42vh, 22rem); flex: none; }
.sv-qr svg { width: 100%; height: 100%; display: block; }
.sv-count { font-size: 1.2rem; margin: .6rem 0 0 0; }
.sv-private { font-size: 1rem; margin: .3rem 0 0 0; }
/* a question */
.sv-where { font-size: 1rem; color: var(--muted); margin: .3rem 0 0 0; }
.sv-question h1 { font-size: 1.5rem; margin: .2rem 0 .6rem 0; max-width: 48rem; line-height: 1.2; }
.sv-question h1.sv-long { font-size: 1.2rem; }
.sv-question h1.sv-longest { font-size: 1rem; font-weight: 650; }
.sv-matching li { grid-template-columns: 2.2rem 1fr auto; margin: .1rem 0; line-height: 1.12; }
.sv-question h1.sv-small { font-size: 1rem; margin: .1rem 0 .2rem 0; }
.sv-matching .sv-cat { color: var(--green); font-weight: 700; }
.sv-options { list-style: none; margin: 0; padding: 0; max-width: 56rem; }
.sv-options li { display: grid; grid-template-columns: 2.2rem 1fr auto; column-gap: .5rem; row-gap: .15rem;
                 align-items: baseline; font-size: 1rem; margin: .3rem 0; line-height: 1.2; }
.sv-letter { font-weight: 800; color: var(--blue); }
.sv-bar { grid-column: 2 / 4; height: .4rem; background: #e6e6e6; border-radius: .2rem; }
.sv-bar span { display: block; height: 100%; background: var(--blue); border-radius: .2rem; }
.sv-right .sv-bar span { background: var(--green); }
.sv-right .sv-letter, .sv-right .sv-mark { color: var(--green); }
.sv-mark { font-weight: 800; white-space: nowrap; }
.sv-figure { font-weight: 700; white-space: nowrap; }
.sv-status { font-size: 1.2rem; font-weight: 700; margin: .8rem 0 0 0; }
.sv-countdown { font-size: 1.2rem; font-weight: 800; color: #8a2a00; margin: .3rem 0 0 0; }
.sv-free { columns: 2; column-gap: 2rem; font-size: 1rem; padding-left: 1.2rem; }
.sv-free li { break-inside: avoid; margin: 0 0 .4rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.sv-note { font-size: .8rem; color: var(--muted); }
/* the controls: one row at the bottom, the rest behind "Fler val" */
.sv-controls { border-top: 2px solid #999; background: #f3f3f3; padding: .3rem 1.2rem; font-size: .75rem; }
.sv-controls form { display: inline; margin: 0; }
.sv-controls button, .sv-controls select { font-size: .75rem; min-height: 44px; padding: .2rem .7rem;
                                           margin: .15rem .2rem .15rem 0; border-radius: 4px; }
.sv-controls button { background: var(--blue); color: #fff; border: 0; cursor: pointer; }
.sv-controls button.sv-quiet { background: #fff; color: var(--blue); border: 2px solid var(--blue); }
.sv-controls details { display: inline-block; vertical-align: top; max-width: 100%; }
.sv-controls details[open] { display: block; }
.sv-controls summary { cursor: pointer; min-height: 44px; line-height: 44px; padding: 0 .5rem; }
.sv-controls .sv-more { padding: .3rem 0; }
.sv-controls .sv-more form.sv-release { display: block; }
.sv-controls .sv-more select { max-width: 100%; width: 30rem; }
.sv-controls label { margin-right: .3rem; }
.sv-message { font-weight: 700; }
.sv-matching { margin-top: 0; }
/* The statements in one line each, numbered as on the phones (the full text is there): the answers fit. */
.sv-matching { display: grid; grid-template-columns: 2.2rem minmax(0, 1fr) auto; column-gap: .5rem;
               row-gap: .1rem; align-items: baseline; font-size: 1rem; line-height: 1.15; }
.sv-matching li { display: contents; }
.sv-matching .sv-text { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.sv-matching .sv-group { display: block; grid-column: 1 / -1; color: var(--green); font-weight: 700;
                         margin-top: .12rem; }
/* An ending in at most two lines (its first sentence; the whole text is on the participants' screens). */
.sv-ending { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.sv-many-endings .sv-ending { -webkit-line-clamp: 1; }
.sv-matching li { margin: 0 0 .12rem 0; }
@media (max-width: 700px) {
  html { font-size: 18px; }
  .sv-code { font-size: 3.2rem; letter-spacing: .08em; }
  .sv-free { columns: 1; }
  .sv-top span:first-child { white-space: normal; }
  .sv-options li { grid-template-columns: 1.6rem minmax(0, 1fr); }
  .sv-matching { grid-template-columns: 1.6rem minmax(0, 1fr); }
  .sv-matching li > span:nth-child(3) { grid-column: 2; }
  .sv-matching .sv-text { white-space: normal; }
  .sv-options li > span:nth-child(3) { grid-column: 2; }
  .sv-bar { grid-column: 2; }
  .sv-controls select { max-width: 100%; }
}
.sv-controls select { max-width: 100%; }
"""


@dataclass
class Stage:
    """What the projector shows now: the stage's HTML, a short status for screen readers, and the state."""

    html: str
    status: str
    revealed: bool
    deadline: float | None
    version: str


def join_url(public: str, code: str) -> str:
    """The direct link participants follow (the QR code's content): the join form with the code filled in."""
    return f"{public}delta?{urlencode({'kod': code})}"


def address_text(public: str) -> str:
    """The address to type, as short as it can be said: no ``http://``, no trailing slash."""
    return public.split("://", 1)[-1].rstrip("/")


def qr_svg(data: str, title: str) -> Markup:
    """A QR code of ``data`` as inline SVG (segno, made here; nothing is fetched), with a text alternative."""
    import segno

    code = segno.make(data, error="m")
    svg = code.svg_inline(scale=1, border=2, dark="#000", light="#fff", svgclass="sv-qrcode", omitsize=True)
    # role="img" and a title name it; the same link is printed beside it as text.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return Markup(svg)


def steps_of(kit: Any, session: Session, details: Details, exercise_id: str, rows: list[dict]) -> list[Any]:
    """The projector's steps for one exercise: its items (questions, scenario steps, …) with the first
    answers counted, and for a scenario one more step, the endings."""
    items = [it for it in summarise(kit, session, rows, details) if it.exercise_id == exercise_id]
    ex = kit.exercises.get(exercise_id)
    if ex is not None and ex.kind == "scenario":
        endings = [e for e in scenario_endings(kit, session, rows, details) if e.exercise_id == exercise_id]
        if endings:
            return [*items, endings[0]]
    return items


def step_counts(kit: Any, session: Session, details: Details) -> list[tuple[str, int]]:
    """(exercise id, number of steps) for each exercise of the session, in order."""
    items = summarise(kit, session, [], details)
    out = []
    for exercise_id in session_exercises(kit, session, details):
        n = sum(1 for it in items if it.exercise_id == exercise_id)
        if kit.exercises[exercise_id].kind == "scenario":
            n += 1
        out.append((exercise_id, max(n, 1)))
    return out


def next_position(
    counts: list[tuple[str, int]], current: str | None, step: int, delta: int
) -> tuple[str | None, int] | None:
    """The (exercise, step) one step forward (``delta`` = 1) or back (-1), or None at either end."""
    if not counts:
        return None
    ids = [e for e, _ in counts]
    if current not in ids:
        return (ids[0], 0) if delta > 0 else None
    index = ids.index(current)
    n = counts[index][1]
    step = min(max(step, 0), n - 1)
    if delta > 0:
        if step + 1 < n:
            return current, step + 1
        return (ids[index + 1], 0) if index + 1 < len(ids) else None
    if step > 0:
        return current, step - 1
    return (ids[index - 1], counts[index - 1][1] - 1) if index > 0 else None


# What the page says after a control (the redirect carries only the key of one of these).
MESSAGES = {
    "slut": "Det här är sista delen av passet.",
    "borjan": "Det här är första delen.",
    "fel": "Det gick inte att ändra storbilden. Försök igen.",
}


def act(store: Store, kit: Any, session: Session, action: str, values: dict[str, str]) -> str:
    """Carry out one of the presenter's controls; returns the key of a message (:data:`MESSAGES`) or "".

    Anything but the values the controls send is refused with a StoreError (and changes nothing).
    """
    details = store.details(session.id)
    code = session.code
    if action in ("nasta", "foregaende"):
        counts = step_counts(kit, session, details)
        position = next_position(
            counts, details.current if details.led else None, details.step, 1 if action == "nasta" else -1
        )
        if position is None:
            return "slut" if action == "nasta" else "borjan"
        exercise_id, step = position
        if exercise_id != details.current or not details.led:
            store.set_room(code, mode="ledd", current=exercise_id)
            if step:
                store.set_room(code, step=step)
        else:
            store.set_room(code, step=step)
        return ""
    if action == "slapp":
        exercise_id = values.get("ovning", "")
        if exercise_id not in session_exercises(kit, session, details):
            raise StoreError("Okänd övning.")
        store.set_room(code, mode="ledd", current=exercise_id)
        return ""
    if action == "resultat":
        store.set_room(code, revealed=values.get("visa") == "1")
        return ""
    if action == "nedrakning":
        seconds = values.get("sekunder", "")
        if not seconds.isdigit() or int(seconds) not in COUNTDOWNS:
            raise StoreError("Okänd nedräkning.")
        store.set_room(code, countdown=int(seconds))
        return ""
    if action == "stoppa":
        store.set_room(code, countdown=None)
        return ""
    if action in MODES:
        store.set_room(code, mode=action)
        return ""
    raise StoreError("Okänd åtgärd.")


def _top(session: Session, details: Details, kit: Any, where: str = "") -> str:
    lesson = kit.lessons.get(session.lesson)
    title = plain(lesson.title, session.level) if lesson else session.lesson
    mode = MODES.get(details.mode, details.mode)
    return (
        f'<div class="sv-top"><span>{escape(session.name)}</span>'
        f"<span>{escape(title)} · {escape(mode)} · kod <strong>{escape(session.code)}</strong>{where}</span></div>"
    )


def _join_screen(public: str, session: Session, details: Details, kit: Any, joined: int) -> tuple[str, str]:
    link = join_url(public, session.code)
    closed = "" if session.is_open else '<p class="sv-status" role="alert">Passet är stängt för nya deltagare.</p>'
    html = (
        _top(session, details, kit) + '<div class="sv-join"><div class="sv-join-text">'
        "<h1>Gå med i passet</h1>"
        "<p>Öppna webbläsaren i telefonen och gå till</p>"
        f'<p class="sv-address">{escape(address_text(public))}</p>'
        "<p>och skriv koden</p>"
        f'<p class="sv-code" aria-hidden="true">{escape(session.code)}</p>'
        f'<p class="sv-sr">Koden är {" ".join(escape(session.code))}.</p>'
        f'<p class="sv-count"><strong>{joined}</strong> har gått med.</p>'
        '<p class="sv-private">Inga namn sparas. Du är anonym.</p>'
        f"{closed}</div>"
        f'<div class="sv-qr">{qr_svg(link, "QR-kod till " + link)}</div></div>'
        f'<p class="sv-note">Eller skanna QR-koden. Den leder till {escape(link)}.</p>'
    )
    return html, f"{joined} har gått med."


def _size(text: str) -> str:
    """A class for a long heading, so that a question with its options fits a 1280×720 screen."""
    if len(text) > 260:
        return ' class="sv-longest"'
    if len(text) > 140:
        return ' class="sv-long"'
    return ""


def _matching_result(it: ItemSummary, kit: Any, session: Session) -> str:
    """The statements under their right category, numbered as on the phones, each with how many placed it
    right at their first attempt (the statement in one line: its whole text is on the participants' screens)."""
    ex = kit.exercises[it.exercise_id]
    rows = []
    numbered = list(enumerate(zip(ex.items, it.options), start=1))
    for cat in ex.categories:
        mine = [(n, opt) for n, (item, opt) in numbered if item.category == cat.id]
        if not mine:
            continue
        rows.append(f'<li class="sv-group">{escape(plain(cat.label, session.level))}</li>')
        for n, opt in mine:
            figure = f"{opt.count} av {opt.of} rätt" if opt.of else "inga svar"
            rows.append(
                f'<li><span class="sv-letter">{n}</span><span class="sv-text">{escape(opt.label)}</span>'
                f'<span class="sv-figure">{escape(figure)}</span></li>'
            )
    return f'<ol class="sv-options sv-matching">{"".join(rows)}</ol>'


def _options(it: ItemSummary, revealed: bool) -> str:
    total = max(it.answered, 1)
    rows = []
    for n, opt in enumerate(it.options):
        letter = LETTERS[n] if n < len(LETTERS) else str(n + 1)
        right = revealed and opt.correct
        cls = ' class="sv-right"' if right else ""
        mark = '<span class="sv-mark">✓ Rätt svar</span>' if right else "<span></span>"
        figure = ""
        bar = ""
        if revealed:
            if it.kind == "matching":
                share = round(100 * opt.count / opt.of) if opt.of else 0
                figure = f'<span class="sv-figure">{opt.count} av {opt.of or 0} rätt</span>'
            else:
                share = round(100 * opt.count / total)
                figure = f'<span class="sv-figure">{opt.count} ({share} %)</span>'
            bar = f'<span class="sv-bar" aria-hidden="true"><span style="width:{share}%"></span></span>'
            mark = f"<span>{mark}{' ' if right else ''}{figure}</span>"
        rows.append(f'<li{cls}><span class="sv-letter">{letter}</span><span>{escape(opt.label)}</span>{mark}{bar}</li>')
    return f'<ol class="sv-options">{"".join(rows)}</ol>'


def _question(
    it: ItemSummary, revealed: bool, joined: int, deadline: float | None, kit: Any, session: Session
) -> tuple[str, str]:
    answered = f"{it.answered} av {joined} har svarat."
    if it.kind == "free_text":
        if revealed:
            texts = it.texts[-MAX_FREE_TEXTS:]
            listed = "".join(f"<li>{escape(g) + ': ' if g else ''}{escape(t)}</li>" for g, t in texts)
            more = (
                f'<p class="sv-note">Visar de {len(texts)} senaste av {len(it.texts)} svar.</p>'
                if len(it.texts) > len(texts)
                else ""
            )
            body = f'<ul class="sv-free">{listed}</ul>{more}' if texts else "<p>Inga svar än.</p>"
        else:
            body = '<p class="sv-note">Svaren visas när du väljer Visa resultat.</p>'
    elif it.kind == "matching":
        ex = kit.exercises[it.exercise_id]
        cats = ", ".join(plain(c.label, session.level) for c in ex.categories)
        if revealed:  # the statements take the room: the prompt gives way to the right answers
            html = (
                '<div class="sv-question"><h1 class="sv-small">'
                f"Rätt svar · {escape(answered)} {it.right} av {it.answered} hade alla rätt vid första försöket.</h1>"
                f"{_matching_result(it, kit, session)}</div>"
            )
            return html, answered
        body = (
            f"<p>Para ihop påståendena med: <strong>{escape(cats)}</strong>.</p>"
            f'<p class="sv-note">{len(it.options)} påståenden.</p>'
        )
    else:
        body = _options(it, revealed)
    graded = ""
    if revealed and it.share_right is not None:
        graded = f" {it.right} av {it.answered} rätt vid första försöket ({round(100 * it.share_right)} %)."
    countdown = (
        f'<p class="sv-countdown" id="sv-countdown" data-deadline="{deadline:.3f}">Nedräkning pågår.</p>'
        if deadline and not revealed
        else ""
    )
    html = (
        f'<div class="sv-question"><h1{_size(it.prompt)}>{escape(it.prompt)}</h1>{body}'
        f'<p class="sv-status">{escape(answered)}{escape(graded)}</p>{countdown}</div>'
    )
    return html, answered + graded


def first_sentence(text: str, limit: int = 150) -> str:
    """The text's first sentence (an ending in short: the full text is on the participants' screens)."""
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    short = match.group(1) if match else text.strip()
    if len(short) > limit:
        short = short[: limit - 1].rsplit(" ", 1)[0] + " …"
    return short


def _endings(e: Endings, revealed: bool) -> tuple[str, str]:
    if not revealed:
        html = (
            '<div class="sv-question"><h1>Hur slutade scenariot?</h1>'
            f'<p class="sv-status">{e.finished} av {e.started} har nått ett slut.</p>'
            '<p class="sv-note">Sluten visas när du väljer Visa resultat.</p></div>'
        )
        return html, f"{e.finished} av {e.started} har nått ett slut."
    total = max(e.finished, 1)
    rows = "".join(
        f'<li><span class="sv-letter">{n}</span><span class="sv-ending"><strong>{escape(end.rating_label)}:</strong> '
        f'{escape(first_sentence(end.text))}</span><span class="sv-figure">{end.count} ({share} %)</span>'
        f'<span class="sv-bar" aria-hidden="true"><span style="width:{share}%"></span></span></li>'
        for n, end, share in ((n, end, round(100 * end.count / total)) for n, end in enumerate(e.endings, start=1))
    )
    unfinished = f" {e.unfinished} har inte nått ett slut än." if e.unfinished else ""
    html = (
        '<div class="sv-question"><h1>Så slutade scenariot</h1>'
        f'<ol class="sv-options{" sv-many-endings" if len(e.endings) > 5 else ""}">{rows}</ol>'
        f'<p class="sv-status">Räknat på var och ens första val.{escape(unfinished)}</p></div>'
    )
    return html, f"Så slutade scenariot: {e.title}.{unfinished}"


def stage(store: Store, kit: Any, session: Session, public: str, show_join: bool = False) -> Stage:
    """The stage as it is now, from the store (first answers, the room's state)."""
    details = store.details(session.id)
    stats = store.stats(session.id)
    joined = stats.participants
    deadline = details.deadline.timestamp() if details.deadline else None
    if deadline is not None and deadline < time.time() - 600:
        deadline = None
    ids = session_exercises(kit, session, details)
    if show_join or not details.led or details.current not in ids:
        html, status = _join_screen(public, session, details, kit, joined)
        if details.led and not show_join:
            status += " Släpp första övningen med Nästa."
        elif not details.led:
            html += (
                f'<p class="sv-note">I egen takt: deltagarna går igenom övningarna själva. '
                f"{stats.answered} har svarat på något, {stats.answers} svar.</p>"
            )
    else:
        rows = store.answers(session.id)
        steps = steps_of(kit, session, details, details.current or "", rows)
        number = ids.index(details.current or "") + 1
        step = min(details.step, max(len(steps) - 1, 0))
        where = f" · övning {number} av {len(ids)}"
        if len(steps) > 1:
            where += f", del {step + 1} av {len(steps)}"
        title = kit.exercises[details.current].title
        head = _top(session, details, kit, where) + f'<p class="sv-where">{escape(plain(title, session.level))}</p>'
        if not steps:
            html, status = head + "<p>Övningen har inga frågor att visa.</p>", ""
        elif isinstance(steps[step], Endings):
            body, status = _endings(steps[step], details.revealed)
            html = head + body
        else:
            body, status = _question(steps[step], details.revealed, joined, deadline, kit, session)
            html = head + body
    version = hashlib.sha1(f"{html}|{details.revealed}|{deadline}".encode()).hexdigest()[:16]
    return Stage(html, status, details.revealed, deadline, version)


def _button(
    base: str, code: str, action: str, label: str, *, quiet: bool = False, extra: str = "", key: str = ""
) -> str:
    cls = ' class="sv-quiet"' if quiet else ""
    keys = f' aria-keyshortcuts="{key}"' if key else ""
    return (
        f'<form method="post" action="{escape(base)}{PATH}">'
        f'<input type="hidden" name="pass" value="{escape(code)}">'
        f'<input type="hidden" name="atgard" value="{escape(action)}">{extra}'
        f'<button type="submit" id="sv-{escape(action)}"{cls}{keys}>{escape(label)}</button></form>'
    )


def controls(base: str, kit: Any, session: Session, details: Details, show_join: bool, message: str = "") -> str:
    """The facilitator's controls: Föregående, Nästa, Visa/Dölj resultat, a countdown, and "Fler val"."""
    code = session.code
    # One button; the script keeps its label and value right when another server changed the state.
    reveal = _button(
        base,
        code,
        "resultat",
        "Dölj resultat" if details.revealed else "Visa resultat",
        extra=f'<input type="hidden" name="visa" id="sv-visa" value="{0 if details.revealed else 1}">',
    )
    here = f"{escape(base)}{PATH}?pass={quote(code)}"
    join_link = (
        f'<a href="{here}">Tillbaka till övningen</a>'
        if show_join
        else f'<a href="{here}&amp;visa=anslutning">Visa hur man går med</a>'
    )
    ids = session_exercises(kit, session, details)
    options = "".join(
        f'<option value="{escape(e)}"{" selected" if e == details.current else ""}>'
        f"{n}. {escape(plain(kit.exercises[e].title, session.level))}</option>"
        for n, e in enumerate(ids, start=1)
    )
    countdowns = "".join(
        _button(
            base, code, "nedrakning", f"{s} s", quiet=True, extra=f'<input type="hidden" name="sekunder" value="{s}">'
        )
        for s in COUNTDOWNS
    )
    other_mode = "egen_takt" if details.led else "ledd"
    audience = AUDIENCE_LABELS.get(details.audience or "", "alla målgrupper")
    note = f'<span class="sv-message" role="status">{escape(message)}</span>' if message else ""
    return (
        '<nav class="sv-controls" aria-label="Styr storbilden">'
        + _button(base, code, "foregaende", "← Föregående", quiet=True, key="ArrowLeft")
        + _button(base, code, "nasta", "Nästa →", key="ArrowRight")
        + reveal
        + _button(
            base,
            code,
            "nedrakning",
            "Nedräkning 60 s",
            quiet=True,
            extra='<input type="hidden" name="sekunder" value="60">',
        )
        + f" {join_link} "
        + '<details><summary>Fler val</summary><div class="sv-more">'
        f'<form class="sv-release" method="post" action="{escape(base)}{PATH}">'
        f'<input type="hidden" name="pass" value="{escape(code)}"><input type="hidden" name="atgard" value="slapp">'
        f'<label for="sv-ovning">Släpp övning</label><select id="sv-ovning" name="ovning">{options}</select>'
        '<button type="submit">Släpp</button></form><br>'
        f"Nedräkning: {countdowns}"
        + _button(base, code, "stoppa", "Stoppa nedräkningen", quiet=True)
        + "<br>"
        + _button(
            base,
            code,
            other_mode,
            "Byt till i egen takt" if details.led else "Byt till handledarstyrt",
            quiet=True,
        )
        + f" Läge: {escape(MODES[details.mode])} · målgrupp: {escape(audience)} · "
        f'<a href="{escape(base)}voila/render/handledarvy.ipynb" target="_blank" rel="noopener">Handledarvyn</a>'
        f' · <a href="{escape(base)}{PATH}">Byt pass</a>'
        "<p>Tangenter: pil höger eller Page Down för Nästa, pil vänster eller Page Up för Föregående.</p>"
        "</div></details>"
        f"{note}</nav>"
    )


def presenter_page(
    base: str, store: Store, kit: Any, session: Session, public: str, show_join: bool, message: str = ""
) -> str:
    """The whole presenter page for ``session``."""
    details = store.details(session.id)
    now = stage(store, kit, session, public, show_join)
    query = {"pass": session.code}
    if show_join:
        query["visa"] = "anslutning"
    body = (
        f'<main id="sv-stage" data-lage="{escape(base)}{PATH}/lage?{escape(urlencode(query))}" '
        f'data-version="{now.version}" aria-label="Storbild">{now.html}</main>'
        f'<p class="sv-sr" id="sv-live" role="status" aria-live="polite">{escape(now.status)}</p>'
        + controls(base, kit, session, details, show_join, message)
    )
    return render_page(
        f"Storbild {session.code} – Samverkansverkstaden",
        Markup(body),
        Markup(CSS),
        main=False,
        scripts=(f"{base}{SCRIPT_PATH}",),
    )


def choose_page(base: str, sessions: list[Session]) -> str:
    """The list of sessions to show on the projector (no session chosen yet)."""
    open_ones = [s for s in sessions if s.is_open]
    items = "".join(
        f'<li><a href="{escape(base)}{PATH}?pass={quote(s.code)}">{escape(s.code)} – {escape(s.name)}</a></li>'
        for s in open_ones
    )
    body = (
        '<main id="sv-stage" style="min-height:auto"><h1>Välj pass för storbilden</h1>'
        + (
            f'<ul class="sv-pick">{items}</ul>'
            if items
            else "<p>Det finns inga öppna pass. Skapa ett i handledarvyn.</p>"
        )
        + f'<p><a href="{escape(base)}voila/render/handledarvy.ipynb">Till handledarvyn</a></p></main>'
    )
    return render_page("Storbild – Samverkansverkstaden", Markup(body), Markup(CSS), main=False)


SCRIPT = r"""// The presenter page: swap the stage when it changed, count down, and keys for a presentation clicker.
(function () {
  "use strict";
  var stage = document.getElementById("sv-stage");
  var live = document.getElementById("sv-live");
  if (!stage || !stage.dataset.lage) { return; }
  var url = stage.dataset.lage, version = stage.dataset.version, offset = 0;
  function tick() {
    var el = document.getElementById("sv-countdown");
    if (!el) { return; }
    var left = Math.ceil((parseFloat(el.dataset.deadline) * 1000 - (Date.now() + offset)) / 1000);
    el.textContent = left > 0 ? (left + " s kvar") : "Tiden är ute.";
  }
  function poll() {
    fetch(url, {cache: "no-store", credentials: "same-origin"}).then(function (r) {
      if (r.status === 403) { window.location.reload(); return null; }
      return r.ok ? r.json() : null;
    }).then(function (d) {
      if (!d) { return; }
      offset = d.now * 1000 - Date.now();
      if (d.version !== version) {
        version = d.version;
        stage.innerHTML = d.html;
        if (live && live.textContent !== d.status) { live.textContent = d.status; }
      }
      var b = document.getElementById("sv-resultat"), v = document.getElementById("sv-visa");
      if (b && v) { b.textContent = d.revealed ? "Dölj resultat" : "Visa resultat"; v.value = d.revealed ? "0" : "1"; }
      tick();
    }).catch(function () {}).then(function () { window.setTimeout(poll, 1000); });
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && t.closest && t.closest("input, select, textarea, summary, button, a")) { return; }
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var id = null;
    if (e.key === "ArrowRight" || e.key === "PageDown") { id = "sv-nasta"; }
    if (e.key === "ArrowLeft" || e.key === "PageUp") { id = "sv-foregaende"; }
    var b = id && document.getElementById(id);
    if (b) { e.preventDefault(); b.click(); }
  });
  window.setInterval(tick, 250);
  tick();
  window.setTimeout(poll, 1000);
}());
"""
