"""A session's answers counted per question: for the dashboard, the report and the CSV export.

Every chart comes with its text alternative (WCAG 2.1 AA, 1.1.1): the ``alt``
text names every bar and count, and a table with the same figures follows
the image. The right answer is marked with a word and a symbol ("✓ rätt"),
never by colour alone. Answer texts are escaped wherever they are shown, so
hostile text in a free-text answer stays text.
"""

from __future__ import annotations

import base64
import csv
import io
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from samverkan.content.schema import RATING_LABELS, on_path
from samverkan.render.figures import finish_png
from samverkan.render.markdown import escape, plain
from samverkan.workshop.room import session_exercises
from samverkan.workshop.store import Details, Session, Store


@dataclass
class Option:
    """One bar of a chart: a choice (or a matching item) and how many chose it (got it right)."""

    label: str
    count: int
    correct: bool | None = None  # None: no right answer (scenario choices)
    of: int | None = None  # matching: count is "right", of is "answered"


@dataclass
class ItemSummary:
    """One question, matching exercise, scenario step or free-text exercise, with its answers counted."""

    exercise_id: str
    item_id: str
    kind: str
    title: str
    prompt: str
    answered: int = 0
    right: int | None = None
    options: list[Option] = field(default_factory=list)
    texts: list[tuple[str | None, str]] = field(default_factory=list)  # (table, text)

    @property
    def key(self) -> tuple[str, str]:
        """(exercise id, item id), as answers are stored."""
        return (self.exercise_id, self.item_id)

    @property
    def share_right(self) -> float | None:
        """The share of those who answered who were right; None without a right answer or any answers."""
        if self.right is None or not self.answered:
            return None
        return self.right / self.answered

    def signature(self) -> tuple:
        """The counts and texts as a tuple, to tell whether anything changed since the last look."""
        return (self.answered, self.right, tuple((o.count, o.of) for o in self.options), tuple(self.texts))


def _quiz_items(ex: Any, title: str, level: str, audience: str | None = None) -> list[ItemSummary]:
    return [
        ItemSummary(
            ex.id,
            q.id,
            q.kind,
            title,
            plain(q.prompt, level),
            right=0,
            options=[Option(plain(c.text, level), 0, c.correct) for c in q.choices],
        )
        for q in ex.questions
        if on_path(q, workshop=True) and (audience is None or audience in q.audience)
    ]


def _matching_items(ex: Any, title: str, level: str, audience: str | None = None) -> list[ItemSummary]:
    options = [Option(plain(i.text, level), 0, None, 0) for i in ex.items]
    return [ItemSummary(ex.id, ex.id, "matching", title, plain(ex.prompt, level), right=0, options=options)]


def _scenario_items(ex: Any, title: str, level: str, audience: str | None = None) -> list[ItemSummary]:
    return [
        ItemSummary(
            ex.id,
            step.id,
            "scenario",
            title,
            plain(step.situation, level),
            options=[Option(plain(c.text, level), 0) for c in step.choices],
        )
        for step in ex.steps
        if not step.is_outcome
    ]


def _free_text_items(ex: Any, title: str, level: str, audience: str | None = None) -> list[ItemSummary]:
    return [ItemSummary(ex.id, ex.id, "free_text", title, plain(ex.prompt, level))]


# The items a workshop tallies for one exercise, one function per exercise kind (EXERCISE_KINDS).
ITEMS: dict[str, Callable[[Any, str, str, str | None], list[ItemSummary]]] = {
    "quiz": _quiz_items,
    "matching": _matching_items,
    "scenario": _scenario_items,
    "free_text": _free_text_items,
}


def _items(kit: Any, session: Session, details: Details | None = None) -> list[ItemSummary]:
    """Every question, matching exercise, scenario step and free-text exercise participants get, in order:
    the session's exercises (see :func:`session_exercises`), its audience's questions."""
    level = session.level
    audience = details.audience if details is not None else None
    out: list[ItemSummary] = []
    for exercise_id in session_exercises(kit, session, details):
        ex = kit.exercises[exercise_id]
        out.extend(ITEMS[ex.kind](ex, plain(ex.title, level), level, audience))
    return out


def summarise(kit: Any, session: Session, rows: Iterable[dict], details: Details | None = None) -> list[ItemSummary]:
    """The session's items with the answer ``rows`` counted in; answers to removed items are skipped.

    ``rows`` should be :meth:`Store.answers`' first answers (the default there): the statistics count
    each participant's first answer to an item, "rätt vid första försöket"."""
    items = _items(kit, session, details)
    by_key = {it.key: it for it in items}
    for row in rows:
        it = by_key.get((row["exercise_id"], row["item_id"]))
        if it is None:
            continue  # the trainer removed the question since: kept in the CSV, not in the charts
        value = row["value"]
        if it.kind == "free_text":
            if isinstance(value, str):
                it.answered += 1
                it.texts.append((row.get("group"), value))
            continue
        if it.kind == "matching":
            if not isinstance(value, dict):
                continue
            ex = kit.exercises[it.exercise_id]
            it.answered += 1
            it.right = (it.right or 0) + (1 if row.get("correct") else 0)
            for item, opt in zip(ex.items, it.options):
                if item.id in value:
                    opt.of = (opt.of or 0) + 1
                    opt.count += 1 if value[item.id] == item.category else 0
            continue
        chosen = value if isinstance(value, list) else [value]
        valid = [i for i in chosen if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(it.options)]
        if not valid:
            continue
        it.answered += 1
        for i in valid:
            it.options[i].count += 1
        if it.right is not None and row.get("correct"):
            it.right += 1
    return items


@dataclass
class Ending:
    """One ending of a scenario and how many participants' first choices led there."""

    step_id: str
    text: str  # the outcome, plain text
    rating: str | None  # "bra", "delvis", "svag" (RATING_LABELS) or None
    count: int = 0

    @property
    def rating_label(self) -> str:
        """The rating in Swedish ("Bra utfall" …), or "Utfall" when the ending has none."""
        return RATING_LABELS.get(self.rating or "", "Utfall")


@dataclass
class Endings:
    """Where a scenario took the room: each ending with its count, and how many have not reached one."""

    exercise_id: str
    title: str
    endings: list[Ending]
    started: int = 0  # participants with at least one choice in the scenario
    unfinished: int = 0  # of them, those whose first choices have not reached an ending yet

    @property
    def finished(self) -> int:
        """Participants whose first choices reached an ending."""
        return self.started - self.unfinished


def scenario_endings(kit: Any, session: Session, rows: Iterable[dict], details: Details | None = None) -> list[Endings]:
    """For each scenario on the session's path: how many participants' *first* choices led to each ending.

    A participant's path is followed from the start step through their first answer to each step
    (``rows`` as :meth:`Store.answers` gives them); a step they have not answered ends the walk
    (unfinished). Answers to steps or choices the scenario no longer has end it too, so a trainer's
    edit after the session never breaks the count.
    """
    level = session.level
    lesson = kit.lessons.get(session.lesson)
    if lesson is None:
        return []
    ids = session_exercises(kit, session, details)
    scenarios = [kit.exercises[e] for e in ids if kit.exercises[e].kind == "scenario"]
    choices: dict[str, dict[int, dict[str, Any]]] = {}
    for row in rows:
        choices.setdefault(row["exercise_id"], {}).setdefault(row["participant"], {}).setdefault(
            row["item_id"], row["value"]
        )
    out = []
    for ex in scenarios:
        endings = {st.id: Ending(st.id, plain(st.outcome, level), st.rating) for st in ex.steps if st.is_outcome}
        summary = Endings(ex.id, plain(ex.title, level), list(endings.values()))
        for path in choices.get(ex.id, {}).values():
            summary.started += 1
            step_id, seen = ex.start, set()
            while step_id not in endings and step_id not in seen:
                seen.add(step_id)
                value = path.get(step_id)
                try:
                    step = ex.step(step_id)
                    step_id = step.choices[value].next if isinstance(value, int) and value >= 0 else ""
                except (KeyError, IndexError, TypeError):
                    step_id = ""
                if not step_id:
                    break
            if step_id in endings:
                endings[step_id].count += 1
            else:
                summary.unfinished += 1
        out.append(summary)
    return out


def _wrap(label: str, width: int = 38, lines: int = 3) -> str:
    parts = textwrap.wrap(label, width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return "\n".join(parts)


def option_label(it: ItemSummary, opt: Option) -> str:
    """The option's label, marked "✓ " in front when it is a right answer."""
    return ("✓ " if opt.correct else "") + opt.label


def alt_text(it: ItemSummary) -> str:
    """The chart's text alternative in Swedish: every bar with its count, and how many answered."""
    if it.kind == "matching":
        values = "; ".join(f"{o.label}: {o.count} av {o.of or 0} rätt" for o in it.options)
        return f"Liggande stapeldiagram, rätt svar per påstående: {it.title}. {values}."
    values = "; ".join(f"{o.label}: {o.count} svar" + (" (rätt svar)" if o.correct else "") for o in it.options)
    return f"Liggande stapeldiagram: {it.prompt} {values}. {it.answered} har svarat."


# The charts are drawn at CHART_DPI and shown at their own pixel size (item_html gives the <img> its width
# and height; max-width:100% only shrinks them on a narrow screen). A label of CHART_FONT_PT points is then
# CHART_FONT_PT * CHART_DPI / 72 pixels on screen: 11 pt at 100 dpi is 15.3 px, at least 14 px at 1280 px
# wide, where the dashboard has room for the chart's CHART_WIDTH_IN * CHART_DPI = 820 px.
CHART_DPI = 100
CHART_FONT_PT = 11.0
CHART_WIDTH_IN = 8.2


def chart_png(it: ItemSummary) -> bytes:
    """The item's horizontal bar chart as PNG bytes (right answers marked ✓, hatched and in green).

    Every text on it is :data:`CHART_FONT_PT` points at :data:`CHART_DPI`: legible (at least 14 px)
    at the size :func:`item_html` shows it. The bars count each participant's first answer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [_wrap(option_label(it, o), 34) for o in it.options][::-1]
    values = [o.count for o in it.options][::-1]
    n_lines = sum(label.count("\n") + 1 for label in labels)
    height = 1.0 + 0.24 * n_lines + 0.16 * len(labels)
    fig, ax = plt.subplots(figsize=(CHART_WIDTH_IN, height), dpi=CHART_DPI)
    colours = ["#1b5e20" if o.correct else "#1f4e79" for o in it.options][::-1]  # both ≥ 7:1 on white
    hatches = ["//" if o.correct else "" for o in it.options][::-1]
    bars = ax.barh(range(len(values)), values, color=colours, hatch=hatches, edgecolor="white")
    ax.set_yticks(range(len(values)), labels, fontsize=CHART_FONT_PT)
    ax.tick_params(axis="x", labelsize=CHART_FONT_PT)
    if it.kind == "matching":
        texts = [f"{o.count} av {o.of or 0}" for o in it.options][::-1]
        ax.set_xlabel("antal rätt vid första försöket", fontsize=CHART_FONT_PT)
    else:
        texts = [str(v) for v in values]
        ax.set_xlabel("antal svar (första svaret)", fontsize=CHART_FONT_PT)
    ax.bar_label(bars, labels=texts, padding=3, fontsize=CHART_FONT_PT)
    top = max(values + [o.of or 0 for o in it.options] + [1])
    ax.set_xlim(0, top * 1.2 + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator
    return finish_png(fig, ax)


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def chart_img(it: ItemSummary) -> str:
    """The chart as an <img> with its text alternative, shown at its own pixel size (smaller only on a
    narrow screen), so its labels are as large as :func:`chart_png` drew them."""
    data = chart_png(it)
    width, height = png_size(data)
    image = base64.b64encode(data).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{image}" alt="{escape(alt_text(it))}" width="{width}" '
        f'height="{height}" style="max-width:100%;height:auto">'
    )


def item_html(it: ItemSummary, *, heading_level: int = 3, chart: bool = True, heading: str | None = None) -> str:
    """One question's result: heading, counts, chart with alt text and a table; free text as a list.

    ``heading``: the heading's text ("Fråga 2 av 6"); by default the exercise's title. The counts are
    each participant's first answer, and say so ("rätt vid första försöket")."""
    h = f"h{heading_level}"
    head = f"<{h}>{escape(it.title if heading is None else heading)}</{h}><p><strong>{escape(it.prompt)}</strong></p>"
    if it.kind == "free_text":
        if not it.texts:
            return head + "<p>Inga svar än.</p>"
        items = "".join(
            f'<li><span class="sv-group">{escape(g) + ": " if g else ""}</span>'
            f'<span class="sv-text" style="white-space:pre-wrap">{escape(t)}</span></li>'
            for g, t in it.texts
        )
        return head + f'<p>{len(it.texts)} svar (första svaret):</p><ul class="sv-free">{items}</ul>'
    count = f"{it.answered} har svarat"
    if it.share_right is not None:
        count += f", {it.right} rätt vid första försöket ({round(100 * it.share_right)} %)"
    else:
        count += " (första svaret räknas)"
    body = head + f'<p class="sv-progress">{count}.</p>'
    if not it.answered:
        return body + "<p>Inga svar än.</p>"
    if chart:
        body += chart_img(it)
    if it.kind == "matching":
        rows = "".join(
            f'<tr><th scope="row">{escape(o.label)}</th><td>{o.count} av {o.of or 0}</td></tr>' for o in it.options
        )
        head_row = '<tr><th scope="col">Påstående</th><th scope="col">Rätt placerat vid första försöket</th></tr>'
    else:
        rows = "".join(
            f'<tr><th scope="row">{escape(o.label)}</th><td>{o.count}</td><td>{"✓ rätt" if o.correct else ""}</td></tr>'
            for o in it.options
        )
        head_row = (
            '<tr><th scope="col">Svar</th><th scope="col">Antal (första svaret)</th><th scope="col">Rätt svar</th></tr>'
        )
    body += (
        f"<details><summary>Visa siffrorna som tabell</summary><table><thead>{head_row}</thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )
    return body


def endings_html(endings: Endings, *, heading_level: int = 3) -> str:
    """Where a scenario took the room: each ending with its rating and how many participants' first
    choices led there, and how many have not reached an ending yet. Text and a table, no chart."""
    h = f"h{heading_level}"
    if not endings.started:
        return f"<{h}>Hur scenariot slutade</{h}><p>Ingen har börjat scenariot än.</p>"
    lead = (
        f"{endings.started} har börjat scenariot, {endings.finished} har nått ett slut"
        + (f" och {endings.unfinished} inte än" if endings.unfinished else "")
        + ". Vägen följer varje deltagares första val."
    )
    rows = "".join(
        f'<tr><th scope="row">{escape(e.rating_label)}</th><td>{escape(e.text)}</td><td>{e.count}</td></tr>'
        for e in endings.endings
    )
    return (
        f'<{h}>Hur scenariot slutade</{h}><p class="sv-progress">{lead}</p>'
        f'<table class="sv-endings"><thead><tr><th scope="col">Bedömning</th><th scope="col">Slutet</th>'
        f'<th scope="col">Antal</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def discussion_points(items: list[ItemSummary], limit: int = 3) -> list[ItemSummary]:
    """The questions the room found hardest: lowest share right, at least two answers."""
    graded = [it for it in items if it.share_right is not None and it.answered >= 2]
    return sorted(graded, key=lambda it: (it.share_right, -it.answered))[:limit]


# -- CSV -------------------------------------------------------------------
# One row per answer given. "försök": 1 for a participant's first answer to an item, 2 for the first
# change, …; "räknas": "ja" for the answer the statistics count (the first, to an item the session
# still has), "nej" for later changes and answers to removed items.
CSV_COLUMNS = [
    "pass",
    "kod",
    "lektion",
    "övning",
    "fråga",
    "typ",
    "deltagare",
    "bord",
    "svar",
    "rätt",
    "försök",
    "räknas",
    "tid",
]
KIND_LABELS = {
    "single_choice": "ett svar",
    "multiple_choice": "flera svar",
    "matching": "matchning",
    "scenario": "scenario",
    "free_text": "fritext",
}


def _cell(text: str) -> str:
    """Guard against formula injection when the file is opened in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _answer_text(kit: Any, row: dict, level: str) -> tuple[str, str]:
    ex = kit.exercises.get(row["exercise_id"])
    value = row["value"]
    question = row["item_id"]
    try:
        if ex is not None and ex.kind == "quiz":
            q = next(q for q in ex.questions if q.id == row["item_id"])
            question = plain(q.prompt, level)
            chosen = value if isinstance(value, list) else [value]
            return question, " | ".join(plain(q.choices[i].text, level) for i in chosen)
        if ex is not None and ex.kind == "scenario":
            step = ex.step(row["item_id"])
            return plain(step.situation, level), plain(step.choices[value].text, level)
        if ex is not None and ex.kind == "matching":
            cats = {c.id: plain(c.label, level) for c in ex.categories}
            texts = {i.id: plain(i.text, level) for i in ex.items}
            return plain(ex.prompt, level), " | ".join(
                f"{texts.get(k, k)} → {cats.get(v, v)}" for k, v in value.items()
            )
        if isinstance(value, str):
            return (plain(ex.prompt, level) if ex is not None else question), value
    except (StopIteration, KeyError, IndexError, TypeError, AttributeError):
        pass
    return question, str(value)


def export_csv(store: Store, session: Session, kit: Any | None = None) -> str:
    """Every answer given in the session as CSV with semicolons (Swedish Excel), one row per answer:
    first answers and later changes, each with its attempt ("försök") and whether the report's
    statistics count it ("räknas": the first answer to an item the session has)."""
    if kit is None:
        from samverkan.content import loader, paths

        kit = loader.load_kit(paths.kit_root())
    counted = {it.key for it in _items(kit, session, store.details(session.id))}
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for row in store.answers(session.id, "all"):
        question, answer = _answer_text(kit, row, session.level)
        correct = "" if row["correct"] is None else ("ja" if row["correct"] else "nej")
        attempt = int(row.get("revision") or 1)
        counts = attempt == 1 and (row["exercise_id"], row["item_id"]) in counted
        w.writerow(
            [
                _cell(session.name),
                session.code,
                session.lesson,
                row["exercise_id"],
                _cell(question),
                KIND_LABELS.get(row["kind"], row["kind"]),
                row["participant"],
                row["group"] or "",
                _cell(answer),
                correct,
                attempt,
                "ja" if counts else "nej",
                row["answered_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            ]
        )
    return buf.getvalue()
