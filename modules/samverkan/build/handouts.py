"""``samverkan build``: lessons run headlessly with papermill into HTML handouts.

For every chosen (lesson, audience, level) the lesson notebook, generated
afresh from ``lektion.yaml``, runs with papermill in handout mode
(``SAMVERKAN_HANDOUT=1``: exercises become static HTML, see
:mod:`samverkan.render.handout`). Its outputs become two self-contained pages:

* ``<lesson>-<audience>-<level>-deltagare.html``: what the learner reads, no
  code, no answer key;
* ``<lesson>-<audience>-<level>-handledare.html``: the same plus the answer
  key after every exercise and the facilitator notes from ``handledare.md``.

Runs are spread over ``jobs`` processes. A lesson whose content has errors,
or whose run fails, is reported in Swedish (lesson, cell, error); the others
still build. A manifest (``.bygge.json``) keyed by a hash of everything a
lesson depends on lets an unchanged lesson be reused instead of rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from samverkan.content import paths
from samverkan.content.schema import AUDIENCE_LABELS, AUDIENCES, LEVEL_LABELS, LEVELS
from samverkan.errors import ParameterError, display_path
from samverkan.render.markdown import escape
from samverkan.render.page import page as render_page

BUILD_FORMAT = 1  # bump when the page layout changes, so old handouts are rebuilt
MANIFEST = ".bygge.json"
RUNS_DIR = ".korningar"  # executed notebooks and kernel logs, kept to look into when a lesson fails
PACKAGE_DIR = Path(__file__).resolve().parent

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
       max-width: 50rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; line-height: 1.55; }
h1 { font-size: 1.9rem; border-bottom: 4px solid #1f4e79; padding-bottom: .2em; margin-bottom: .3em; }
h2 { font-size: 1.4rem; margin-top: 1.8em; } h3 { font-size: 1.15rem; margin-top: 1.5em; }
h4 { font-size: 1rem; margin: 1em 0 .3em; }
a { color: #0b4f8a; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #888; padding: .3em .6em; text-align: left; vertical-align: top; }
blockquote { border-left: 4px solid #1f4e79; margin: .8em 0; padding: .1em 1em; background: #f3f6f9; }
img { max-width: 100%; height: auto; }
pre { background: #f4f4f4; padding: .6em; overflow-x: auto; font-size: .9rem; }
.sv-meta { color: #333; margin-top: 0; }
.sv-version { display: inline-block; border: 2px solid #1f4e79; padding: .1em .6em; font-weight: bold; }
.sv-handout-exercise, .sv-handout-block {
  border: 1px solid #1f4e79; border-radius: 4px; padding: .2em 1em 1em; margin: 1.2em 0; }
.sv-handout-facit { border: 2px dashed #6b4e00; background: #fffbea; padding: .2em 1em 1em; margin: -.6em 0 1.2em; }
.sv-kicker { margin: .8em 0 0; font-size: .85rem; font-weight: bold; text-transform: uppercase; letter-spacing: .05em;
  color: #1f4e79; }
.sv-handout-facit .sv-kicker { color: #6b4e00; } .sv-kicker + h3 { margin-top: .1em; }
.sv-options { list-style: none; padding-left: .5em; } .sv-options li { margin: .25em 0; }
.sv-write { min-width: 8em; } .sv-write-area { border: 1px solid #888; min-height: 9em; margin: .5em 0; }
.sv-progress, .sv-legal { color: #333; font-size: .95rem; }
.sv-guide { border-top: 4px solid #6b4e00; margin-top: 2.5em; }
.sv-notice { background: #f3f6f9; border: 1px solid #1f4e79; padding: .5em 1em; }
.sv-error { background: #fdecea; border: 1px solid #8a1c10; padding: .5em 1em; white-space: pre-wrap; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } .sv-handout-exercise, .sv-handout-facit, figure { break-inside: avoid; }
  .sv-noprint { display: none; }
}
"""


@dataclass(frozen=True, order=True)
class Job:
    """One handout to build: a lesson for one audience at one level."""

    lesson: str
    audience: str
    level: str

    @property
    def name(self) -> str:
        """``<lesson>-<audience>-<level>``, the stem of the job's file names."""
        return f"{self.lesson}-{self.audience}-{self.level}"

    @property
    def label(self) -> str:
        """The job in Swedish for messages: lesson (audience, level)."""
        return f"{self.lesson} ({AUDIENCE_LABELS[self.audience]}, {LEVEL_LABELS[self.level]})"

    def files(self) -> dict[str, str]:
        """The file names of the job's two pages, keyed "deltagare" and "handledare"."""
        return {"deltagare": f"{self.name}-deltagare.html", "handledare": f"{self.name}-handledare.html"}


@dataclass
class Result:
    """How one job went: "byggd", "återanvänd" or "fel", the time taken, the error and the lesson title."""

    job: Job
    status: str  # "byggd", "återanvänd" or "fel"
    seconds: float = 0.0
    error: str = ""
    title: str = ""

    @property
    def ok(self) -> bool:
        """Whether the job has handouts (built now or reused), i.e. did not fail."""
        return self.status != "fel"


@dataclass
class Report:
    """Every job's result, where the handouts went and how long the build took."""

    out: Path
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Result]:
        """The results of the jobs that failed."""
        return [r for r in self.results if not r.ok]

    def count(self, status: str) -> int:
        """How many jobs ended with ``status``."""
        return sum(r.status == status for r in self.results)

    def failed_text(self) -> str:
        """How many jobs failed, in Swedish: "N lektionsversioner kunde inte byggas"."""
        n = len(self.failed)
        return f"{n} {'lektionsversion' if n == 1 else 'lektionsversioner'} kunde inte byggas"

    def summary(self) -> str:
        """The build in one Swedish sentence: how many versions, the time, and how many built, reused, failed."""
        n = len(self.results)
        text = (
            f"{n} {'lektionsversion' if n == 1 else 'lektionsversioner'} på {self.seconds:.0f} s: "
            f"{self.count('byggd')} byggda, {self.count('återanvänd')} återanvända, {len(self.failed)} med fel."
        )
        return text


# -- choosing what to build ---------------------------------------------------------


def lesson_ids(root: Path | None = None) -> list[str]:
    """Every lesson folder (one with a ``lektion.yaml``), even one whose file has errors."""
    root = root or paths.kit_root()
    return sorted(p.parent.name for p in (root / "exercises").glob("*/lektion.yaml"))


def parse_list(value: str | None, allowed: Iterable[str], what: str, flag: str) -> list[str]:
    """``"a,b"`` → ``["a", "b"]``, checked against ``allowed``; ``None``/``alla`` means all of them."""
    import difflib

    allowed = list(allowed)
    if value is None or value.strip().lower() in ("", "alla", "all"):
        return allowed
    chosen = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part not in allowed:
            hint = difflib.get_close_matches(part, allowed, n=1)
            tip = f" Menade du {hint[0]!r}?" if hint else ""
            raise ParameterError(
                f"{flag}: {what} {part!r} finns inte.{tip} Välj bland: {', '.join(allowed)} (eller skriv alla)."
            )
        if part not in chosen:
            chosen.append(part)
    if not chosen:
        raise ParameterError(f"{flag}: ange minst en {what}.")
    return chosen


def plan_jobs(lessons: Iterable[str], audiences: Iterable[str], levels: Iterable[str]) -> list[Job]:
    """One job per lesson, audience and level chosen."""
    return [Job(lesson, a, lv) for lesson in lessons for a in audiences for lv in levels]


# -- what a lesson depends on ------------------------------------------------------


def _hash_tree(h: hashlib._Hash, base: Path, folder: Path) -> None:
    if not folder.exists():
        h.update(f"missing:{folder.name}".encode())
        return
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    for p in files:
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(base).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")


def dependency_key(job: Job, root: Path, kit, notebook_text: str) -> str:  # noqa: ANN001 - loader.Kit
    """A hash of everything the job's handouts come from: content, data, notebook, kit code, parameters."""
    h = hashlib.sha256(f"{BUILD_FORMAT}:{job.name}\0".encode())
    h.update(notebook_text.encode())
    _hash_tree(h, root, root / "data")
    folders = {job.lesson}
    lesson = kit.lessons.get(job.lesson)
    if lesson is not None:
        folders |= {kit.exercise_folder.get(e, job.lesson) for s in lesson.sections for e in s.exercises}
    for folder in sorted(folders):
        _hash_tree(h, root, root / "exercises" / folder)
    for code in sorted(PACKAGE_DIR.rglob("*.py")):
        if "workshop" not in code.relative_to(PACKAGE_DIR).parts:  # the workshop server never shapes a handout
            _hash_tree(h, PACKAGE_DIR.parent, code)
    return h.hexdigest()


# -- running one lesson (in a worker process) ---------------------------------------


def _cell_number(source: str, notebook) -> int | None:  # noqa: ANN001
    """The 1-based number of the cell in the lesson notebook (papermill adds a cell of its own)."""
    for n, cell in enumerate(notebook.cells, 1):
        if cell.source.strip() == (source or "").strip():
            return n
    return None


def run_job(job: Job, root: str, out: str, notebook_text: str, key: str) -> dict:
    """Run one lesson version with papermill and write its two pages. Never raises."""
    start = time.perf_counter()
    os.environ["SAMVERKAN_HOME"] = root
    from samverkan.render.handout import HANDOUT_ENV

    os.environ[HANDOUT_ENV] = "1"
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from samverkan.build.kernels import ipc_kernel_manager

    out_dir = Path(out)
    runs = out_dir / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    executed = runs / f"{job.name}.ipynb"
    # The kernel inherits this worker's stderr: its own log lines go to a file next to the run,
    # not through the progress bar (``samverkan build`` prints its own Swedish messages).
    with open(runs / f"{job.name}.log", "wb") as log:
        os.dup2(log.fileno(), 2)
    source_nb = nbformat.reads(notebook_text, as_version=4)
    try:
        nb = pm.execute_notebook(
            source_nb,
            str(executed),
            parameters={"audience": job.audience, "level": job.level},
            kernel_name="python3",
            cwd=str(Path(root) / "notebooks"),
            progress_bar=False,
            kernel_manager_class=ipc_kernel_manager(),
            iopub_timeout=60,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        n = _cell_number(exc.source, source_nb)
        first = (exc.source or "").strip().splitlines()[-1:] or [""]
        where = f"cell {n}" if n else f"cell {exc.exec_count}"
        what = exc.evalue if exc.ename in SWEDISH_ERRORS else f"{exc.ename}: {exc.evalue}"
        return {
            "status": "fel",
            "seconds": time.perf_counter() - start,
            "error": f"{where} ({first[0][:80]}): {what}\nDen körda anteckningsboken: {display_path(executed)}",
        }
    except Exception as exc:
        return {
            "status": "fel",
            "seconds": time.perf_counter() - start,
            "error": f"körningen avbröts: {type(exc).__name__}: {exc}\nKärnans logg: "
            f"{display_path(runs / (job.name + '.log'))}",
        }
    from samverkan.content import loader

    kit = loader.load_kit(Path(root))
    lesson = kit.lessons[job.lesson]
    guide_path = Path(root) / "exercises" / job.lesson / "handledare.md"
    guide = guide_path.read_text(encoding="utf-8") if guide_path.exists() else None
    for version, filename in job.files().items():
        page = handout_page(nb, job, lesson.title.get(job.level), facilitator=version == "handledare", guide=guide)
        tmp = out_dir / (filename + ".tmp")
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(out_dir / filename)
    return {"status": "byggd", "seconds": time.perf_counter() - start, "title": lesson.title.get(job.level), "key": key}


SWEDISH_ERRORS = {"ContentError", "ParameterError", "SamverkanError"}


# -- the pages ------------------------------------------------------------------------


def _text(value) -> str:  # noqa: ANN001 - str or list of str, as nbformat stores it
    return value if isinstance(value, str) else "".join(value)


def _output_html(output) -> str:  # noqa: ANN001
    from samverkan.render.markdown import render_markdown

    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{escape(_text(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    if "text/html" in data:
        return _text(data["text/html"])
    if "text/markdown" in data:
        return render_markdown(_text(data["text/markdown"]))
    if "image/png" in data:
        alt = escape(_text(data.get("text/plain", "Diagram")))
        return f'<img src="data:image/png;base64,{_text(data["image/png"]).strip()}" alt="{alt}">'
    if "application/vnd.jupyter.widget-view+json" in data:
        return "<p><em>Här finns en interaktiv del. Öppna lektionen i Jupyter för att använda den.</em></p>"
    if "text/plain" in data:
        return f"<pre>{escape(_text(data['text/plain']))}</pre>"
    return ""


def is_facit(output) -> bool:  # noqa: ANN001
    """Whether a notebook output is answer key (its ``samverkan`` metadata says ``part: facit``)."""
    return (output.get("metadata", {}).get("samverkan") or {}).get("part") == "facit"


def handout_page(
    nb: Any,
    job: Job,
    title: str,
    *,
    facilitator: bool,
    guide: str | None = None,
    built: dt.date | None = None,
) -> str:
    """One self-contained HTML page from an executed lesson notebook."""
    from samverkan.render.markdown import render_markdown

    built = built or dt.date.today()
    who = AUDIENCE_LABELS[job.audience]
    version = "Handledarversion med facit" if facilitator else "Deltagarversion"
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="sv-meta"><span class="sv-version">{version}</span> för {who}, '
        f"{LEVEL_LABELS[job.level]} text. Byggd {built.isoformat()} från kitets innehåll "
        f"(lektion <code>{escape(job.lesson)}</code>).</p>",
    ]
    if facilitator:
        body.append(
            '<p class="sv-notice">Den här versionen har facit efter varje övning och handledarstödet '
            "sist. Dela deltagarversionen med deltagarna.</p>"
        )
    for cell in nb.cells:
        if (
            cell.cell_type != "code"
            or "parameters" in cell.metadata.get("tags", [])
            or "injected-parameters" in cell.metadata.get("tags", [])
        ):
            continue
        own_code = "samverkan-kod" in cell.metadata.get("tags", [])
        if own_code:
            body.append(
                "<h3>Kodövningen i Jupyter</h3>"
                "<p><em>I Jupyter-lektionen kör du koden själv. Här är resultatet med exempeldata.</em></p>"
            )
            if facilitator:
                body.append(f"<pre><code>{escape(cell.source)}</code></pre>")
        for output in cell.get("outputs", []):
            if is_facit(output) and not facilitator:
                continue
            if output.get("output_type") == "error":
                continue
            body.append(_output_html(output))
    if facilitator and guide:
        body.append(f'<section class="sv-guide"><h2>Handledarstöd</h2>{render_markdown(guide)}</section>')
    return page("sv", f"{title}: {version.lower()} ({who}, {LEVEL_LABELS[job.level]})", "\n".join(body))


def page(lang: str, title: str, body: str) -> str:
    """A handout, index or guide page (``body`` is HTML the builder escaped)."""
    return render_page(title, Markup(body), Markup(CSS), lang=lang)


def _earlier(out: Path, manifest: dict, report: Report) -> list[Result]:
    """Versions built into ``out`` by an earlier run and still there (so the index keeps listing them)."""
    now = {r.job.name for r in report.results}
    earlier = []
    for name, entry in manifest.items():
        if name in now or not isinstance(entry, dict) or not isinstance(entry.get("job"), dict):
            continue
        try:
            job = Job(**entry["job"])
        except TypeError:
            continue
        if job.audience in AUDIENCES and job.level in LEVELS and all((out / f).exists() for f in job.files().values()):
            earlier.append(Result(job, "tidigare", title=str(entry.get("title", ""))))
    return earlier


def index_page(
    report: Report, built: dt.datetime, links: list[tuple[str, str]] | None = None, earlier: list[Result] | None = None
) -> str:
    """The build's front page: every lesson version with links to both handouts, and any errors."""
    by_lesson: dict[str, list[Result]] = {}
    for r in sorted(report.results + list(earlier or ()), key=lambda r: r.job):
        by_lesson.setdefault(r.job.lesson, []).append(r)
    rows = []
    for lesson, results in by_lesson.items():
        title = next((r.title for r in results if r.title), "")
        rows.append(
            f'<tr><th scope="rowgroup" colspan="3">{escape(lesson)}{": " + escape(title) if title else ""}</th></tr>'
        )
        for r in results:
            version = f"{AUDIENCE_LABELS[r.job.audience]}, {LEVEL_LABELS[r.job.level]}"
            if r.ok:
                files = r.job.files()
                cell = (
                    f'<a href="{files["deltagare"]}">Deltagarversion</a> · '
                    f'<a href="{files["handledare"]}">Handledarversion med facit</a>'
                )
                state = {"byggd": "byggd nu", "återanvänd": "oförändrad"}.get(r.status, "från ett tidigare bygge")
            else:
                cell = f'<div class="sv-error">{escape(r.error)}</div>'
                state = "<strong>fel</strong>"
            rows.append(f"<tr><td>{version}</td><td>{cell}</td><td>{state}</td></tr>")
    failed = report.failed
    notice = (
        f'<p class="sv-error" role="alert">{report.failed_text()}. '
        "Se felen i tabellen och rätta innehållet, till exempel med <code>samverkan check</code>.</p>"
        if failed
        else ""
    )
    body = (
        f"<h1>Utskrifter från Samverkansverkstaden</h1>"
        f'<p class="sv-meta">Byggda {built.strftime("%Y-%m-%d %H:%M")}. {escape(report.summary())}</p>'
        f"{notice}"
        + "".join(f'<p><a href="{escape(href)}"><strong>{escape(text)}</strong></a></p>' for href, text in links or ())
        + "<p>Deltagarversionen har lektionens text och övningarna att fylla i, utan kod och utan facit. "
        "Handledarversionen har dessutom facit och handledarstödet. Sidorna är fristående och går att "
        "skriva ut eller mejla.</p>"
        '<table><thead><tr><th scope="col">Version</th><th scope="col">Utskrifter</th>'
        f'<th scope="col">Status</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    return page("sv", "Utskrifter från Samverkansverkstaden", body)


# -- the build --------------------------------------------------------------------------


def _manifest(out: Path) -> dict:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and data.get("format") == BUILD_FORMAT else {"format": BUILD_FORMAT}
    except (OSError, ValueError):
        return {"format": BUILD_FORMAT}


def default_jobs() -> int:
    """How many build processes to run by default: one per CPU, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def build(
    lessons: list[str] | None = None,
    audiences: list[str] | None = None,
    levels: list[str] | None = None,
    out: Path | str | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: bool = True,
    index: bool = True,
    links: list[tuple[str, str]] | None = None,
) -> Report:
    """Build the handouts; returns a report (``report.failed`` lists what did not build)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from samverkan.build import notebooks
    from samverkan.content import loader

    root = paths.kit_root()
    out = Path(out) if out is not None else Path.cwd() / "bygge"
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out: {out} är en fil; ange en mapp.")
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1 or jobs > 32:
        raise ParameterError(f"--jobs: ange ett tal från 1 till 32 (fick {jobs}).")
    all_lessons = lesson_ids(root)
    lessons = all_lessons if lessons is None else lessons
    audiences = list(audiences or AUDIENCES)
    levels = list(levels or LEVELS)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    kit = loader.load_kit(root)
    manifest = _manifest(out)
    report = Report(out)
    todo: list[tuple[Job, str, str]] = []
    for job in plan_jobs(lessons, audiences, levels):
        problems = kit.problems_in(job.lesson) + [p for p in kit.problems if p.file.startswith("data/")]
        lesson = kit.lessons.get(job.lesson)
        if problems or lesson is None:
            text = "\n".join(str(p) for p in problems) or "lektionsfilen saknas eller kunde inte läsas"
            report.results.append(Result(job, "fel", error=f"innehållet har fel:\n{text}"))
            continue
        nb_text = notebooks.lesson_notebook_text(lesson)
        key = dependency_key(job, root, kit, nb_text)
        seen = manifest.get(job.name, {})
        if not force and seen.get("key") == key and all((out / f).exists() for f in job.files().values()):
            report.results.append(Result(job, "återanvänd", title=lesson.title.get(job.level)))
            continue
        todo.append((job, nb_text, key))
    from tqdm import tqdm

    bar = tqdm(
        total=len(report.results) + len(todo),
        initial=len(report.results),
        desc="Bygger utskrifter",
        unit=" versioner",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    for r in report.results:
        if not r.ok:
            bar.write(f"Fel i {r.job.label}: {r.error}", file=sys.stderr)
    if todo:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
            futures = {pool.submit(run_job, job, str(root), str(out), nb_text, key): job for job, nb_text, key in todo}
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:
                    res = {"status": "fel", "error": f"byggprocessen avbröts: {type(exc).__name__}: {exc}"}
                result = Result(job, res["status"], res.get("seconds", 0.0), res.get("error", ""), res.get("title", ""))
                report.results.append(result)
                if result.ok:
                    manifest[job.name] = {
                        "key": res["key"],
                        "built": dt.datetime.now().isoformat(timespec="seconds"),
                        "job": asdict(job),
                        "title": result.title,
                    }
                else:
                    manifest.pop(job.name, None)
                    bar.write(f"Fel i {job.label}: {result.error}", file=sys.stderr)
                bar.set_postfix_str(job.name, refresh=False)
                bar.update(1)
    bar.close()
    report.seconds = time.perf_counter() - started
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    if index:
        (out / "index.html").write_text(
            index_page(report, dt.datetime.now(), links, _earlier(out, manifest, report)), encoding="utf-8"
        )
    return report
