"""Generate the thin lesson notebooks and Voila apps from ``lektion.yaml``.

The notebooks hold no prose of their own (it lives in the content files and
follows the ``level`` parameter); they hold the frame: title, parameters,
one cell per section and per exercise. Generating them keeps every lesson's
frame identical. After adding a section or exercise to a lesson, run
``samverkan notebooks`` and commit the result; a test fails when a committed
notebook is out of date.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from samverkan.content import loader, paths
from samverkan.content.schema import Lesson

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _cell_id(prefix: str, n: int) -> str:
    return f"{prefix}-{n:02d}"


# JupyterLab shows these cells' output but folds their code (a click on the fold shows it).
HIDDEN = {"jupyter": {"source_hidden": True}}


def lesson_notebook(lesson: Lesson) -> nbformat.NotebookNode:
    """``notebooks/<lesson>.ipynb``: parameters, one cell per section and exercise, discussion, end.

    Only the parameters cell and the lesson's own code exercise show their code; the cells that
    display the lesson are folded (``jupyter.source_hidden``), so a reader sees text and exercises.
    """
    cells = [
        new_markdown_cell(
            f"# {lesson.title.standard}\n\n"
            "**Så läser du lektionen.** Välj **Run → Run All Cells** i menyn (JupyterLabs menyer är på "
            "engelska), eller gå igenom cellerna uppifrån med **Skift + Enter**. Texten och övningarna "
            "visas under cellerna; koden som visar dem är ihopfälld.\n\n"
            "**Målgrupp och nivå.** I cellen nedan (`parameters`) skriver du målgruppen "
            '(`"fortroendevald"` eller `"tjansteperson"`) och nivån (`"standard"`, eller `"lattlast"` för '
            "lättläst text). Kör sedan alla celler igen.\n\n"
            "Avsnitt och frågor märkta *fördjupning* hoppas över i en verkstad men finns med här."
        ),
        new_code_cell(
            'audience = "tjansteperson"  # eller "fortroendevald"\nlevel = "standard"  # eller "lattlast"',
            metadata={"tags": ["parameters"]},
        ),
        new_code_cell(
            "from samverkan import open_lesson\n\n"
            f'L = open_lesson("{lesson.id}", audience=audience, level=level)\n'
            "L.show_intro()",
            metadata=HIDDEN,
        ),
    ]
    for section in lesson.sections:
        cells.append(new_code_cell(f'L.show_section("{section.id}")', metadata=HIDDEN))
        if section.code:
            cells.append(new_markdown_cell("### Prova själv\n\nKör cellen nedan. Ändra sedan koden och kör igen."))
            cells.append(new_code_cell(section.code.rstrip(), metadata={"tags": ["samverkan-kod"]}))
        for ex in section.exercises:
            cells.append(new_markdown_cell("### Övning\n\nSvara i rutan nedan. Du får återkoppling på varje svar."))
            cells.append(new_code_cell(f'L.exercise("{ex}")', metadata=HIDDEN))
    cells.append(new_code_cell("L.show_discussion()", metadata=HIDDEN))
    cells.append(new_code_cell("L.show_end()", metadata=HIDDEN))
    return _finish(cells)


def lesson_notebook_text(lesson: Lesson) -> str:
    """The lesson notebook exactly as ``samverkan notebooks`` writes it."""
    return nbformat.writes(lesson_notebook(lesson)) + "\n"


def app_notebook(lesson: Lesson) -> nbformat.NotebookNode:
    """``voila_apps/<lesson>.ipynb``: the lesson's exercises as a Voila app, with a prompt to discuss."""
    cells = [
        new_markdown_cell(
            f"# {lesson.title.standard}: övningar\n\n"
            "Gör övningarna en i taget och läs återkopplingen efter varje svar. "
            "Ni kan arbeta ensamma eller två och två vid bordet."
        ),
        new_code_cell(f'from samverkan import lesson_app\n\nlesson_app("{lesson.id}")'),
        new_markdown_cell(
            "**Diskutera sedan vid bordet:** Vilket svar överraskade er mest, "
            "och vad betyder det för hur ni arbetar med föreningar?"
        ),
    ]
    return _finish(cells)


TOOLS = {
    "samverkansformvaljaren": (
        "Samverkansformväljaren",
        "Svara på frågorna om en samverkan ni planerar. Verktyget föreslår bidrag, IOP, upphandling eller "
        "valfrihetssystem och visar skälen, varningssignalerna och källorna. *Vet inte* är alltid ett "
        "giltigt svar. Verktyget är ett utbildningsstöd, inte juridisk rådgivning.",
    ),
    "ordlista": (
        "Ordlista",
        "Sök bland kitets ord och begrepp. Skriv ett ord i sökrutan; listan visar de termer som matchar.",
    ),
}


def tool_notebook(name: str) -> nbformat.NotebookNode:
    """``notebooks/<tool>.ipynb``: one of :data:`TOOLS` with its intro and a ``level`` parameter."""
    title, intro = TOOLS[name]
    return _finish(
        [
            new_markdown_cell(
                f"# {title}\n\n{intro}\n\nKör cellerna uppifrån och ned med **Skift + Enter**. "
                'Sätt `level = "lattlast"` för lättläst text.'
            ),
            new_code_cell('level = "standard"  # eller "lattlast"', metadata={"tags": ["parameters"]}),
            new_code_cell(f'from samverkan import tool\n\ntool("{name}", level=level)'),
        ]
    )


def tool_app(name: str) -> nbformat.NotebookNode:
    """``voila_apps/<tool>.ipynb``: one of :data:`TOOLS` as a Voila app."""
    title, intro = TOOLS[name]
    return _finish(
        [
            new_markdown_cell(f"# {title}\n\n{intro}"),
            new_code_cell(f'from samverkan import tool_app\n\ntool_app("{name}")'),
        ]
    )


def preview_notebook() -> nbformat.NotebookNode:
    """``forhandsvisning.ipynb``: a content file rendered again on every save (also run by ``samverkan preview``)."""
    return _finish(
        [
            new_markdown_cell("# Förhandsvisning för utbildare"),
            new_code_cell(
                "# Skriv sökvägen till filen du arbetar med i fil och kör cellerna. Öppna sedan filen i en\n"
                "# editor och spara: förhandsvisningen visar ändringen inom en sekund, och fel visas med fil\n"
                "# och rad. Från kommandoraden gör samverkan preview FIL samma sak i webbläsaren.\n"
                'fil = "exercises/03-principer/ovningar.yaml"  '
                "# en övningsfil, lektion.yaml, en plan eller handledare.md\n"
                'audience = "tjansteperson"  # eller "fortroendevald"\n'
                'level = "standard"  # eller "lattlast"',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell("from samverkan import preview\n\npreview(fil, audience=audience, level=level)"),
        ]
    )


def participant_app() -> nbformat.NotebookNode:
    """``deltagare.ipynb``: preheated by ``samverkan serve``; the second cell waits for the participant."""
    return _finish(
        [
            new_markdown_cell("# Samverkansverkstaden"),
            new_code_cell("from samverkan.workshop import participant\n\nparticipant.prepare()"),
            new_code_cell("participant.app()"),
        ]
    )


def dashboard_app() -> nbformat.NotebookNode:
    """``handledarvy.ipynb``: the facilitator's live view, behind the facilitator key."""
    return _finish(
        [
            new_markdown_cell("# Handledarvy"),
            new_code_cell("from samverkan.workshop.dashboard import dashboard_app\n\ndashboard_app()"),
        ]
    )


WORKSHOP_APPS = {"deltagare": participant_app, "handledarvy": dashboard_app}


def _finish(cells: list) -> nbformat.NotebookNode:
    for n, cell in enumerate(cells):
        cell["id"] = _cell_id("cell", n)
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    return nb


READER_APP = "lasare"


def reader_notebook() -> nbformat.NotebookNode:
    """``voila_apps/lasare.ipynb``: the lesson reader; the address names the lesson, audience and level."""
    return _finish([new_code_cell("from samverkan import reader_app\n\nreader_app()")])  # it has its own heading


def expected_files(root: Path | None = None) -> dict[Path, str]:
    """Every generated notebook and its text, keyed by path."""
    root = root or paths.kit_root()
    kit = loader.load_kit(root)
    out = {}
    for lesson in kit.lessons.values():
        out[root / "notebooks" / f"{lesson.id}.ipynb"] = lesson_notebook_text(lesson)
        out[root / "voila_apps" / f"{lesson.id}.ipynb"] = nbformat.writes(app_notebook(lesson)) + "\n"
    for name in TOOLS:
        out[root / "notebooks" / f"{name}.ipynb"] = nbformat.writes(tool_notebook(name)) + "\n"
        out[root / "voila_apps" / f"{name}.ipynb"] = nbformat.writes(tool_app(name)) + "\n"
    out[root / "notebooks" / "forhandsvisning.ipynb"] = nbformat.writes(preview_notebook()) + "\n"
    out[root / "voila_apps" / f"{READER_APP}.ipynb"] = nbformat.writes(reader_notebook()) + "\n"
    for name, make in WORKSHOP_APPS.items():
        out[root / "voila_apps" / f"{name}.ipynb"] = nbformat.writes(make()) + "\n"
    return out


def write_all(root: Path | None = None) -> list[Path]:
    """Write every generated notebook that is missing or differs from its file; returns the paths written."""
    written = []
    for path, text in expected_files(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
