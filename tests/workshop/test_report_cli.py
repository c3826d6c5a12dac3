"""``samverkan report`` and ``samverkan export`` as a facilitator runs them after a session.

One papermill run of the report notebook (module fixture) with every option: the organisation,
place and date given on the command line, the conclusions from a file, a PDF from Debian's
chromium. The page is then opened in chromium at 1366 px and as print: nothing is fetched, nothing
overflows, no English shows. Refused options fail before a kernel starts, in Swedish.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest

from samverkan import cli
from samverkan.workshop.store import Store

from .test_report import QUIZ, _known_session

ENGLISH = re.compile(
    r"\b(the|and|of|is|answers?|answered|questions?|session|report|participants?|none|true|false|executing|"
    r"error|traceback|table|ending|step)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A session with known answers and stored details, reported with options and a PDF."""
    tmp = tmp_path_factory.mktemp("rapport")
    store = Store(tmp / "r.sqlite")
    s, _ = _known_session(store, organisation="Sparad organisation", place="Sparad plats", held_on="2027-02-10")
    store.set_details(s.code, conclusions="Sparade slutsatser som filen ersätter.")
    store.close()
    conclusions = tmp / "slutsatser.txt"
    conclusions.write_text("Nämnden bör följa upp i höst.\n\nBorden <b>1</b> och 2 ville ha mer tid.", "utf-8")
    html, pdf = tmp / "rapport.html", tmp / "rapport.pdf"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "samverkan.cli",
            "report",
            s.code,
            "--db",
            str(tmp / "r.sqlite"),
            "--out",
            str(html),
            "--pdf",
            str(pdf),
            "--organisation",
            "Region Västerbotten",
            "--plats",
            "Umeå",
            "--datum",
            "2027-03-03",
            "--slutsatser",
            str(conclusions),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return s, run, html, pdf


def test_the_command_writes_the_report_with_its_options(made):
    s, run, html_path, _pdf = made
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="sv">' in html
    assert f"Region Västerbotten höll passet ”Nämndens pass” (kod {s.code}) den 3 mars 2027 i Umeå" in html
    assert "Sparad organisation" not in html and "Sparad plats" not in html and "10 februari" not in html
    assert "<p>Nämnden bör följa upp i höst.</p><p>Borden &lt;b&gt;1&lt;/b&gt; och 2 ville ha mer tid.</p>" in html
    assert "Sparade slutsatser" not in html and "Inga slutsatser" not in html
    assert "4 deltagare gick med och 3 av dem svarade på minst en fråga; sammanlagt 11 svar." in html
    assert "60 % rätt vid första försöket (3 av 5)" in html and "I passet gjordes 2 ändrade svar." in html
    assert "@page { size: A4" in html and "break-inside: avoid" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html) and "<link" not in html and "@import" not in html
    # The progress bar speaks Swedish; the command says where the files are.
    assert "Skriver rapporten" in run.stderr and "Executing" not in run.stderr
    assert f"Rapporten är sparad i {html_path}." in run.stdout and "PDF-filen är sparad i" in run.stdout


def test_the_pdf_is_an_a4_document_with_pages(made):
    _s, _run, _html, pdf = made
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 30_000
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 3, pages
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes)  # A4 in points


def test_the_report_reads_well_at_1366_px_and_in_print_and_fetches_nothing(made, browser, tmp_path):
    _s, _run, html_path, _pdf = made
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(html_path.as_uri())
    assert [u for u in fetched if not u.startswith(("file:", "data:"))] == []
    for media, width in (("screen", 1366), ("print", 673)):  # 673 px: A4 less the page margins, 178 mm
        page.emulate_media(media=media)
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), media
        wide = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > "
            "document.documentElement.clientWidth + 1).map(e => e.tagName)"
        )
        assert wide == [], (media, wide)
        page.screenshot(path=str(tmp_path / f"rapport-{media}.png"), full_page=True)
    text = page.locator("body").inner_text()
    assert ENGLISH.findall(text) == []
    alts = " ".join(page.eval_on_selector_all("img", "els => els.map(e => e.alt)"))
    assert ENGLISH.findall(alts) == []
    headings = page.eval_on_selector_all("h4", "els => els.map(e => e.textContent)")
    assert len(headings) == len(set(headings))
    page.close()


def _main(argv: list[str], capsys) -> tuple[int, str]:
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_refused_report_options_fail_in_swedish_before_a_kernel_starts(tmp_path, capsys, monkeypatch):
    store = Store(tmp_path / "r.sqlite")
    s = store.create_session("Fel", "03-principer")
    base = ["report", s.code, "--db", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "r.html"), "--quiet"]

    code, err = _main([*base, "--datum", "2027-13-01"], capsys)
    assert code == 2 and "Fel: --datum: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-02-10" in err

    missing = tmp_path / "saknas.txt"
    code, err = _main([*base, "--slutsatser", str(missing)], capsys)
    assert code == 2 and f"Fel: --slutsatser: filen {missing} finns inte." in err

    too_long = tmp_path / "lång.txt"
    too_long.write_text("ord " * 3000, encoding="utf-8")
    code, err = _main([*base, "--slutsatser", str(too_long)], capsys)
    assert code == 2 and f"filen {too_long} är för lång" in err

    code, err = _main([*base, "--pdf", str(tmp_path)], capsys)
    assert code == 2 and "--pdf:" in err and "är en mapp" in err

    monkeypatch.setenv("PATH", str(tmp_path / "inget"))  # no chromium to be found
    code, err = _main([*base, "--pdf", str(tmp_path / "r.pdf")], capsys)
    assert code == 2 and "--pdf behöver webbläsaren Chromium" in err and "sudo apt install chromium" in err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.pdf").exists()


def test_export_writes_every_answer_given_with_its_attempt(tmp_path, capsys):
    store = Store(tmp_path / "r.sqlite")
    s, _ = _known_session(store)
    out = tmp_path / "svar.csv"
    assert cli.main(["export", s.code, "--db", str(tmp_path / "r.sqlite"), "--out", str(out)]) == 0
    assert f"Svaren är sparade i {out}." in capsys.readouterr().err
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 13
    changed = [r for r in rows if r["försök"] == "2"]
    assert [(r["övning"], r["räknas"]) for r in changed] == [(QUIZ, "nej"), ("principer-scenario", "nej")]
    assert {r["räknas"] for r in rows if r["försök"] == "1"} == {"ja"}


def test_report_help_lists_the_new_options_in_swedish(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    out = capsys.readouterr().out
    for option in ("--pdf FIL", "--slutsatser FIL", "--organisation TEXT", "--plats TEXT", "--datum ÅÅÅÅ-MM-DD"):
        assert option in out
