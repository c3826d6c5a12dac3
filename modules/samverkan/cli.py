"""The ``samverkan`` command.

    samverkan check [PATH ...]   validate content (default: the whole kit)
    samverkan serve [--host H] [--port P] [--db FILE|URL] [--room-size N]
                                 the workshop server (participant app, dashboard, exercise apps)
    samverkan report CODE [--out FILE] [--pdf FILE] [--slutsatser FILE] [--organisation O] [--plats P]
                     [--datum YYYY-MM-DD]
                                 an HTML report of a session (papermill), and a PDF with chromium
    samverkan export CODE [--out FILE]   a session's answers as CSV
    samverkan build [--lessons L,L] [--audience A] [--level L] [--out DIR] [--jobs N] [--force]
                                 HTML handouts (learner and facilitator) for every lesson version
    samverkan kit PLAN.yaml [--out DIR] [--jobs N]
                                 a workshop kit: facilitator guide and handouts from a workshop plan
    samverkan preview FILE [--port P] [--audience A] [--level L] [--no-browser]
                                 a content file in the browser, rendered again on every save
    samverkan lab                open the notebooks in JupyterLab (self-study)
    samverkan notebooks          regenerate lesson notebooks and apps from lektion.yaml
    samverkan samverkansform ANSWERS.yaml [--json] [--html FILE] [--lattlast]
                                 which form of collaboration fits (Samverkansformväljaren)

Errors are printed in Swedish, one per line, never as a traceback; argparse's own texts
(usage, headings, --help, argument errors) are Swedish too (:class:`SwedishParser`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from samverkan.errors import SamverkanError

# argparse's own texts (Python 3.11's argparse.py, every string it passes to gettext) in Swedish.
ARGPARSE_SV = {
    "usage: ": "användning: ",
    "positional arguments": "argument",
    "options": "flaggor",
    "show this help message and exit": "visa den här hjälptexten och avsluta",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "the following arguments are required: %s": "det här saknas: %s",
    "one of the arguments %s is required": "ange ett av argumenten %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "okänt val %(value)r (välj bland %(choices)s)",
    "invalid %(type)s value: %(value)r": "ogiltigt värde %(value)r",
    "expected one argument": "ett värde behövs",
    "expected at most one argument": "högst ett värde",
    "expected at least one argument": "minst ett värde behövs",
    "expected %s argument": "%s värde behövs",
    "expected %s arguments": "%s värden behövs",
    "ambiguous option: %(option)s could match %(matches)s": "flaggan %(option)s kan betyda flera: %(matches)s",
    "not allowed with argument %s": "går inte att kombinera med %s",
    "ignored explicit argument %r": "flaggan tar inget värde, men fick %r",
    "unexpected option string: %s": "oväntad flagga: %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "okänt kommando %(parser_name)r (välj bland %(choices)s)",
    "can't open '%(filename)s': %(error)s": "kan inte öppna ”%(filename)s”: %(error)s",
    "show program's version number and exit": "visa versionen och avsluta",
}


@contextlib.contextmanager
def _swedish_argparse() -> Iterator[None]:
    """argparse looks its texts up through its module's ``_`` and ``ngettext`` (gettext) when it formats
    them; for the duration of the block they come from :data:`ARGPARSE_SV`. Nests; the CLI is one thread."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = lambda text: ARGPARSE_SV.get(text, text)  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: ARGPARSE_SV.get(one if n == 1 else many, one if n == 1 else many)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class SwedishParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose own texts (usage, headings, ``--help``, errors) are Swedish.

    Subcommands' parsers are of the same class (argparse uses the parent's class).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.HelpFormatter)
        with _swedish_argparse():
            super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201
        """Parse the arguments, with argparse's own messages in Swedish."""
        with _swedish_argparse():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201
        """Parse the known arguments, with argparse's own messages in Swedish."""
        with _swedish_argparse():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        """The usage line, in Swedish."""
        with _swedish_argparse():
            return super().format_usage()

    def format_help(self) -> str:
        """The ``--help`` text, in Swedish."""
        with _swedish_argparse():
            return super().format_help()

    def error(self, message: str):  # noqa: ANN201
        """Print the usage and the error in Swedish, and exit with status 2 (argparse hook)."""
        with _swedish_argparse():
            super().error(message)


def _cmd_check(args: argparse.Namespace) -> int:
    from samverkan.content import paths
    from samverkan.logic.checks import check_kit, errors, warnings
    from samverkan.logic.timing import report

    root, origin = paths.locate_kit()
    files = None
    if args.paths:
        files = []
        for p in args.paths:
            p = Path(p)
            if p.is_dir():
                files.extend(sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file()))
            elif p.exists():
                files.append(p)
            else:
                print(f"{p}: filen eller mappen finns inte", file=sys.stderr)
                return 2
    print(f"Kontrollerar kitet i {root} ({paths.ORIGINS[origin]}).", file=sys.stderr)
    kit = check_kit(root, files)
    checked = len(files) if files is not None else len(kit.files)
    files_text = f"{checked} {'fil' if checked == 1 else 'filer'}"
    for problem in kit.problems:
        print(problem)
    found, notes = errors(kit), warnings(kit)
    if found:
        print(
            f"\n{len(found)} problem i innehållet ({files_text} {'kontrollerad' if checked == 1 else 'kontrollerade'}"
            + (f", {len(notes)} {'varning' if len(notes) == 1 else 'varningar'}" if notes else "")
            + ").",
            file=sys.stderr,
        )
        return 1
    print(
        ("\n" if notes else "") + f"Allt innehåll är giltigt: {files_text}, {len(kit.lessons)} lektioner, "
        f"{len(kit.exercises)} övningar, {len(kit.sources)} källor"
        + (
            f" ({len(notes)} {'varning' if len(notes) == 1 else 'varningar'} ovan, som inte stoppar något)."
            if notes
            else "."
        )
    )
    # Estimated time against each lesson's time plan: warnings only, never a failed check.
    lesson_ids = None if files is None else {f.resolve().parent.name for f in files}
    lines, timing_warnings = report(kit, lesson_ids)
    for line in ([""] if lines else []) + lines + ([""] if timing_warnings else []) + timing_warnings:
        print(line)
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from samverkan.build import notebooks
    from samverkan.content import loader, paths

    kit = loader.load_kit(paths.kit_root())
    if kit.problems:
        for problem in kit.problems:
            print(problem)
        print("\nRätta innehållet först; inga anteckningsböcker skrevs.", file=sys.stderr)
        return 1
    written = notebooks.write_all()
    for path in written:
        print(f"skrev {path}")
    if not written:
        print("Alla anteckningsböcker är redan aktuella.")
    return 0


def _jupyter_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    return env


def _cmd_serve(args: argparse.Namespace) -> int:
    from samverkan.workshop.server import serve

    return serve(host=args.host, port=args.port, db=args.db, room_size=args.room_size, readers=args.readers)


def _cmd_report(args: argparse.Namespace) -> int:
    from samverkan.workshop.report import build_report, report_options

    options = report_options(
        organisation=args.organisation, place=args.plats, held_on=args.datum, conclusions_file=args.slutsatser
    )
    out = build_report(args.session, db=args.db, out=args.out, progress=not args.quiet, options=options, pdf=args.pdf)
    print(f"Rapporten är sparad i {out}.")
    if args.pdf:
        print(f"PDF-filen är sparad i {args.pdf}.")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from samverkan.workshop.store import Store
    from samverkan.workshop.summary import export_csv

    store = Store(args.db, create=False)
    session = store.session_by_code(args.session)
    text = export_csv(store, session)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8-sig")
        print(f"Svaren är sparade i {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    import sqlite3

    from samverkan.workshop.store import Store

    store = Store(args.db, create=False)
    try:
        target = store.backup(args.target)
    finally:
        store.close()
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)  # read only: the copy stays as written
    try:
        sessions, answers = (
            copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("sessions", "answers")
        )
    finally:
        copy.close()
    print(f"Kopian är sparad i {target} ({sessions} pass, {answers} svar). Öppna den med --db {target}.")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from samverkan.build import handouts as build
    from samverkan.content.schema import AUDIENCES, LEVELS

    lessons = build.parse_list(args.lessons, build.lesson_ids(), "lektionen", "--lessons")
    audiences = build.parse_list(args.audience, AUDIENCES, "målgruppen", "--audience")
    levels = build.parse_list(args.level, LEVELS, "nivån", "--level")
    report = build.build(
        lessons, audiences, levels, out=args.out, jobs=args.jobs, force=args.force, progress=not args.quiet
    )
    return _build_outcome(report, [f"Öppna {report.out / 'index.html'}"])


def _build_outcome(report, lines: list[str]) -> int:  # noqa: ANN001 - build.Report
    """Print a build's summary and where to look; exit code 1 when a lesson version failed."""
    print(report.summary())
    for line in lines:
        print(line)
    if report.failed:
        print(f"{report.failed_text()}; se felen ovan.", file=sys.stderr)
        return 1
    return 0


def _cmd_kit(args: argparse.Namespace) -> int:
    from samverkan.build.guide import build_kit, participant_address

    guide, report = build_kit(args.plan, out=args.out, jobs=args.jobs, force=args.force, progress=not args.quiet)
    public, why = participant_address(args.plan)
    return _build_outcome(
        report,
        [
            f"Handledarguiden: {guide}",
            f"Alla utskrifter: {report.out / 'index.html'}",
            f"Deltagarna går till: {public}delta ({why}; servern visar den adress som gäller när den startar)",
        ],
    )


def _cmd_preview(args: argparse.Namespace) -> int:
    from samverkan.apps.preview import PREVIEW_ENV
    from samverkan.content import paths
    from samverkan.content.schema import AUDIENCES, LEVELS
    from samverkan.errors import ParameterError

    if args.audience not in AUDIENCES or args.level not in LEVELS:
        raise ParameterError(
            f"--audience ska vara {' eller '.join(AUDIENCES)} och --level "
            f"{' eller '.join(LEVELS)} (fick {args.audience[:40]!r} och {args.level[:40]!r})."
        )
    target = Path(args.file).expanduser().resolve()
    if not target.is_file():
        raise ParameterError(f"{args.file}: filen finns inte.")
    notebook = paths.notebooks_dir() / "forhandsvisning.ipynb"
    env = _jupyter_env()
    env.update(
        {
            PREVIEW_ENV: str(target),
            "SAMVERKAN_PREVIEW_AUDIENCE": args.audience,
            "SAMVERKAN_PREVIEW_LEVEL": args.level,
            "SAMVERKAN_HOME": str(paths.kit_root()),
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={args.port}",
        "--Voila.ip=127.0.0.1",
        "--show_tracebacks=False",
        "--strip_sources=True",
    ]
    if args.no_browser:
        cmd.append("--no-browser")
    print(
        f"Förhandsvisning av {target} på http://127.0.0.1:{args.port}/ (avsluta med Ctrl+C). "
        "Spara filen, så visas ändringen.",
        flush=True,
    )
    os.chdir(notebook.parent)
    os.execve(sys.executable, cmd, env)  # Voila takes over this process, so Ctrl+C and SIGTERM reach it


def _cmd_lab(args: argparse.Namespace) -> int:
    from samverkan.content import paths

    nbdir = paths.notebooks_dir()
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={args.host}",
        f"--ServerApp.port={args.port}",
        f"--ServerApp.root_dir={nbdir}",
        "--no-browser",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    print(f"Startar JupyterLab med lektionerna i {nbdir} (avsluta med Ctrl+C)", flush=True)
    return _run(cmd, nbdir)


def _cmd_samverkansform(args: argparse.Namespace) -> int:
    from samverkan.content import loader
    from samverkan.content import samverkansform as sf
    from samverkan.logic import decision

    model, periods, sources, _cases = loader.load_decision()
    answers = sf.load_answers(args.answers, model)
    level = "lattlast" if args.lattlast else "standard"
    outcome = decision.decide(answers, model, periods, sources, level=level)
    if args.html:
        import datetime as dt

        from samverkan.render.decision import summary_document

        doc = summary_document(outcome, model, answers.values, level, sources, dt.date.today())
        Path(args.html).write_text(doc, encoding="utf-8")
    if args.json:
        print(outcome.to_json())
    else:
        print(decision.outcome_text(outcome, model))
    if args.html:
        print(f"Sammanfattningen är sparad i {args.html}.", file=sys.stderr)
    return 0


def _run(cmd: list[str], cwd: Path) -> int:
    import subprocess

    try:
        return subprocess.call(cmd, cwd=cwd, env=_jupyter_env())
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``samverkan`` command line: every subcommand with its options and Swedish help."""
    parser = SwedishParser(
        prog="samverkan",
        description="Samverkansverkstaden: utbildningskit om samverkan med civilsamhället.",
    )
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")
    check = sub.add_parser("check", help="kontrollera övningar, lektioner och källor")
    check.add_argument("paths", nargs="*", metavar="SÖKVÄG", help="filer eller mappar (standard: hela kitet)")
    check.set_defaults(func=_cmd_check)
    nbs = sub.add_parser("notebooks", help="skriv om lektionernas anteckningsböcker och appar från lektion.yaml")
    nbs.set_defaults(func=_cmd_notebooks)
    form = sub.add_parser(
        "samverkansform",
        help="föreslå samverkansform utifrån en svarsfil (YAML)",
        description="Samverkansformväljaren. Utbildningsstöd, inte juridisk rådgivning. "
        "Svarsnycklarna beskrivs i README.md.",
    )
    form.add_argument("answers", metavar="SVARSFIL", help="YAML-fil med svaren, till exempel sanctions: no")
    form.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    form.add_argument("--html", metavar="FIL", help="spara en sammanfattning som HTML-fil")
    form.add_argument("--lattlast", action="store_true", help="lättläst text")
    form.set_defaults(func=_cmd_samverkansform)
    bld = sub.add_parser(
        "build",
        help="bygg utskrifter (HTML) av lektionerna för deltagare och handledare",
        description="Kör lektionerna med papermill och skriver fristående HTML-sidor: en "
        "deltagarversion utan kod och facit, en handledarversion med facit och "
        "handledarstöd, och en startsida index.html. Oförändrade lektioner "
        "återanvänds.",
    )
    bld.add_argument("--lessons", metavar="ID,ID", help="lektioner, kommaseparerade (standard: alla)")
    bld.add_argument(
        "--audience", metavar="MÅLGRUPP", help="fortroendevald, tjansteperson eller båda med komma (standard: båda)"
    )
    bld.add_argument("--level", metavar="NIVÅ", help="standard, lattlast eller båda med komma (standard: båda)")
    bld.add_argument("--out", metavar="MAPP", default=None, help="mappen för utskrifterna (standard: bygge)")
    bld.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="hur många lektioner som körs samtidigt (standard: antalet kärnor, högst 4)",
    )
    bld.add_argument("--force", action="store_true", help="bygg om allt, också det som inte har ändrats")
    bld.add_argument("--quiet", action="store_true", help="ingen förloppsindikator")
    bld.set_defaults(func=_cmd_build)
    prev = sub.add_parser(
        "preview",
        help="visa en innehållsfil i webbläsaren, uppdaterad vid varje sparning",
        description="Startar en förhandsvisning (Voila) av en övningsfil, lektion.yaml, en "
        "verkstadsplan eller handledare.md. Spara filen, så visas ändringen inom en "
        "sekund; fel visas med fil och rad.",
    )
    prev.add_argument("file", metavar="FIL", help="filen, till exempel exercises/03-principer/ovningar.yaml")
    prev.add_argument("--port", type=int, default=8867, metavar="PORT", help="port (standard 8867)")
    prev.add_argument(
        "--audience", default="tjansteperson", metavar="MÅLGRUPP", help="fortroendevald eller tjansteperson"
    )
    prev.add_argument("--level", default="standard", metavar="NIVÅ", help="standard eller lattlast")
    prev.add_argument("--no-browser", action="store_true", help="öppna inte webbläsaren")
    prev.set_defaults(func=_cmd_preview)
    kit = sub.add_parser(
        "kit",
        help="bygg ett verkstadskit: handledarguide och deltagarutskrifter från en plan",
        description="Läser en verkstadsplan (YAML, se exercises/planer/) och skriver handledarguiden "
        "(agenda med klockslag, länkar till apparna, handledarstöd) och deltagarnas "
        "utskrifter i en mapp.",
    )
    kit.add_argument("plan", metavar="PLAN", help="verkstadsplanen, till exempel exercises/planer/namnd-halvdag.yaml")
    kit.add_argument("--out", metavar="MAPP", default=None, help="mappen för kitet (standard: bygge/<planens namn>)")
    kit.add_argument("--jobs", type=int, default=None, metavar="N", help="samma som för build")
    kit.add_argument("--force", action="store_true", help="bygg om allt")
    kit.add_argument("--quiet", action="store_true", help="ingen förloppsindikator")
    kit.set_defaults(func=_cmd_kit)
    for name, func, port, text in (
        ("serve", _cmd_serve, 8866, "starta verkstaden: övningsapparna, deltagarappen och handledarvyn"),
        ("lab", _cmd_lab, 8888, "öppna lektionerna i JupyterLab för självstudier"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument(
            "--host",
            default="127.0.0.1",
            metavar="ADRESS",
            help="adress att lyssna på (standard 127.0.0.1; 0.0.0.0 för deltagare i nätverket)",
        )
        p.add_argument("--port", type=int, default=port, metavar="PORT", help=f"port (standard {port})")
        p.set_defaults(func=func)
        if name == "serve":
            p.add_argument(
                "--db",
                metavar="FIL_ELLER_URL",
                default=None,
                help="SQLite-fil eller databasadress (standard verkstad/samverkan.sqlite)",
            )
            p.add_argument(
                "--room-size",
                type=int,
                default=30,
                metavar="N",
                help="hur många deltagare att förbereda för (standard 30)",
            )
            p.add_argument(
                "--readers",
                type=int,
                default=None,
                metavar="N",
                help="hur många som samtidigt kan läsa en lektion i läsaren (standard en femtedel av "
                "--room-size, minst 8)",
            )
    report = sub.add_parser(
        "report",
        help="skriv en HTML-rapport över ett pass",
        description="Kör rapportanteckningsboken med papermill över passets sparade svar "
        "och skriver en fristående HTML-fil, och med --pdf också en PDF-fil i A4. Organisation, plats, "
        "datum och slutsatser hämtas från passet om de inte anges här.",
    )
    report.add_argument("session", metavar="KOD", help="passets kod, till exempel K7WQ2M")
    report.add_argument("--out", metavar="FIL", help="HTML-filen (standard rapport-KOD.html)")
    report.add_argument("--pdf", metavar="FIL", default=None, help="skriv också rapporten som PDF (A4, med Chromium)")
    report.add_argument(
        "--slutsatser",
        metavar="FIL",
        default=None,
        help="en textfil (UTF-8) med handledarens slutsatser; går före slutsatserna som sparats i passet",
    )
    report.add_argument("--organisation", metavar="TEXT", default=None, help="organisationen som höll passet")
    report.add_argument("--plats", metavar="TEXT", default=None, help="var passet hölls")
    report.add_argument("--datum", metavar="ÅÅÅÅ-MM-DD", default=None, help="när passet hölls")
    report.add_argument("--db", metavar="FIL_ELLER_URL", default=None, help="samma som för serve")
    report.add_argument("--quiet", action="store_true", help="ingen förloppsindikator")
    report.set_defaults(func=_cmd_report)
    export = sub.add_parser("export", help="skriv ett pass svar som CSV (semikolon, för Excel)")
    export.add_argument("session", metavar="KOD", help="passets kod")
    export.add_argument("--out", metavar="FIL", help="CSV-filen (standard: skriv till skärmen)")
    export.add_argument("--db", metavar="FIL_ELLER_URL", default=None, help="samma som för serve")
    export.set_defaults(func=_cmd_export)
    backup = sub.add_parser(
        "backup",
        help="kopiera verkstadens SQLite-fil medan servern kör",
        description="Skriver en säker kopia av databasen, även medan samverkan serve kör. "
        "En vanlig filkopia av .sqlite-filen kan sakna de senaste svaren, "
        "som ligger i -wal-filen bredvid.",
    )
    backup.add_argument("target", metavar="FIL", help="kopians filnamn, till exempel kopia-2026-12-06.sqlite")
    backup.add_argument("--db", metavar="FIL", default=None, help="databasen (standard verkstad/samverkan.sqlite)")
    backup.set_defaults(func=_cmd_backup)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``samverkan`` command; a :class:`SamverkanError` is printed in Swedish and exits with 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except SamverkanError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
