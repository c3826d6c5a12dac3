"""Data files beyond lessons: glossary, figures, thresholds table, section blocks and code cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from samverkan.content import datafiles, loader
from samverkan.content.data import exempelregister
from samverkan.render import thresholds
from samverkan.render.figures import alt_text, figure_html, number
from samverkan.widgets.glossary import GlossaryWidget

ROOT = Path(__file__).resolve().parents[2]
KIT = loader.load_kit(ROOT)


# -- glossary -----------------------------------------------------------------


def test_the_glossary_is_large_valid_and_cited():
    terms = KIT.data["terms"]
    assert len(terms) >= 40
    assert all(t.sources for t in terms.values()), [t.id for t in terms.values() if not t.sources]
    assert not [p for p in KIT.problems if p.file.endswith("ordlista.yaml")]


def test_glossary_search_puts_name_matches_first_and_is_case_insensitive():
    w = GlossaryWidget(KIT.data["terms"], sources=KIT.sources)
    total = len(KIT.data["terms"])
    assert f"{total} termer i ordlistan" in w.count.value
    w.query.value = "iop"
    first = w.matches("iop")[0]
    assert "IOP" in first.term
    assert "IOP" in w.results.value and "termer som matchar" in w.count.value
    w.query.value = "xyzzy-finns-inte"
    assert "Inga termer matchar" in w.count.value and w.results.value == ""


def test_glossary_search_text_is_inert():
    w = GlossaryWidget(KIT.data["terms"], sources=KIT.sources)
    w.query.value = '<img src=x onerror="alert(1)">'
    assert "<img" not in w.count.value and "&lt;img" in w.count.value


def test_glossary_see_also_to_a_missing_term_is_reported(kit_copy):
    path = kit_copy / "data" / "ordlista.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("see_also: [", "see_also: [finns-inte, ", 1), encoding="utf-8")
    problems = loader.load_kit(kit_copy).problems
    assert any(p.file == "data/ordlista.yaml" and p.line and "termen 'finns-inte'" in p.message for p in problems), (
        problems
    )


def test_swedish_sort_order_puts_a_ring_a_umlaut_o_umlaut_last():
    words = [
        "ömsesidig",
        "avtal",
        "ändamål",
        "zon",
        "åtagande",
        "idéburen",
        "ideell",
        "social ekonomi",
        "socialt företag",
    ]
    assert sorted(words, key=datafiles.swedish_key) == [
        "avtal",
        "idéburen",
        "ideell",
        "social ekonomi",
        "socialt företag",
        "zon",
        "åtagande",
        "ändamål",
        "ömsesidig",
    ]


# -- figures ----------------------------------------------------------------------


def test_every_figure_has_alt_text_with_every_value_and_a_table():
    for fig in KIT.data["figures"].values():
        rows = datafiles.read_figure_data(fig, ROOT / "data")
        alt = alt_text(fig, rows)
        assert all(number(v) in alt for _, v in rows)
        html = figure_html(fig, ROOT / "data", KIT.sources)
        assert 'alt="' in html and "<table>" in html and "Källa:" in html
        assert html.count("<tr>") == len(rows) + 1


def test_scb_figure_values_are_the_verified_ones():
    rows = dict(datafiles.read_figure_data(KIT.data["figures"]["scb-organisationer"], ROOT / "data"))
    assert rows["2023"] == 265_700
    eco = dict(datafiles.read_figure_data(KIT.data["figures"]["scb-ekonomi-2023"], ROOT / "data"))
    assert eco["Produktion"] == 318 and eco["Förädlingsvärde"] == 182


@pytest.mark.parametrize(
    "csv, message",
    [
        ("ar,organisationer\n2023,många\n", "'många' i kolumnen 'organisationer' är inget tal"),
        ("ar,antal\n2023,5\n", "saknar kolumnen 'organisationer'"),
        ("# bara en kommentar\nar,organisationer\n", "har inga datarader"),
    ],
)
def test_a_broken_figure_csv_is_reported_with_the_figure_file(kit_copy, csv, message):
    (kit_copy / "data" / "statistik" / "scb_civilsamhallet.csv").write_text(csv, encoding="utf-8")
    problems = loader.load_kit(kit_copy).problems
    assert any(p.file == "data/figurer.yaml" and p.line and message in p.message for p in problems), problems


def test_an_unknown_figure_in_a_lesson_is_reported(kit_copy):
    path = kit_copy / "exercises" / "02-civilsamhallet" / "lektion.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("figur:scb-organisationer", "figur:scb-organisation", 1),
        encoding="utf-8",
    )
    problems = loader.load_kit(kit_copy).problems
    assert any(
        "figuren 'scb-organisation' finns inte" in p.message and "Menade du 'figur:scb-organisationer'" in p.message
        for p in problems
    ), problems


# -- thresholds table ----------------------------------------------------------------


def test_thresholds_table_says_which_period_applies_today_and_never_invents_sek():
    periods = KIT.data["thresholds"]
    md = thresholds.thresholds_markdown(periods, KIT.sources, today=dt.date(2026, 11, 23))
    assert "I dag, 2026-11-23, gäller perioden 2026-01-01–2027-12-31" in md
    assert "8 109 450 kr" in md and "216 000 euro (kronor saknas)" in md
    outside = thresholds.thresholds_markdown(periods, KIT.sources, today=dt.date(2030, 1, 1))
    assert "täcker inte dagens datum" in outside


def test_overlapping_periods_are_refused(kit_copy):
    path = kit_copy / "data" / "troskelvarden.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("to: 2025-12-31", "to: 2026-03-31", 1), encoding="utf-8")
    problems = loader.load_kit(kit_copy).problems
    assert any("överlappar" in p.message for p in problems), problems


# -- lesson blocks, code cells, legal note --------------------------------------------


def test_unknown_block_name_is_reported_with_a_hint(kit_copy):
    path = kit_copy / "exercises" / "06-upphandling" / "lektion.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"troskelvarden"', '"troskelvarde"', 1), encoding="utf-8")
    problems = loader.load_kit(kit_copy).problems
    assert any("okänt block 'troskelvarde'" in p.message and "Menade du 'troskelvarden'" in p.message for p in problems)


def test_code_with_a_syntax_error_is_reported(kit_copy):
    path = kit_copy / "exercises" / "08-dialog-till-verkstad" / "lektion.yaml"
    text = path.read_text(encoding="utf-8")
    assert "register = exempelregister()" in text
    path.write_text(text.replace("register = exempelregister()", "register = exempelregister(", 1), encoding="utf-8")
    problems = loader.load_kit(kit_copy).problems
    assert any(p.field.endswith(".code") and "syntaxfel" in p.message for p in problems), problems


def test_every_section_block_renders():
    from samverkan.apps.lesson import open_lesson
    from samverkan.widgets.glossary import GlossaryWidget
    from samverkan.widgets.samverkansform import SamverkansformWidget

    seen = set()
    for lid, lesson in KIT.lessons.items():
        view = open_lesson(lid, "fortroendevald", "lattlast")
        for s in lesson.sections:
            for name, block in zip(s.show, view.blocks(s.id)):
                seen.add(name.split(":")[0])
                if name == "ordlista":
                    assert isinstance(block, GlossaryWidget)
                elif name == "samverkansformvaljaren":
                    assert isinstance(block, SamverkansformWidget) and block.level == "lattlast"
                elif name == "troskelvarden":
                    assert "data/troskelvarden.yaml" in block.data
                else:
                    assert "<figure" in block.data
    assert seen == {"ordlista", "samverkansformvaljaren", "troskelvarden", "figur"}


def test_example_register_is_labelled_example_data():
    df = exempelregister()
    assert len(df) >= 40
    assert df.attrs["note"].startswith("Exempeldata")
    assert set(df["form"]) <= {"bidrag", "iop", "upphandling", "lov", "dialog"}
    first = (ROOT / "data" / "exempel_samverkansregister.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# EXEMPELDATA")


def test_legal_exercises_carry_the_not_legal_advice_note():
    from samverkan.widgets import exercise_widget

    legal = [e for e in KIT.exercises.values() if getattr(e, "legal", False)]
    assert len(legal) >= 6
    quiz = next(e for e in legal if e.kind == "quiz")
    w = exercise_widget(quiz)
    if w.question.kind == "single_choice":
        w.choices.index = 0
    else:
        w.choices.checkboxes[0].value = True
    w.check_button.click()
    assert "inte juridisk rådgivning" in w.feedback.value
