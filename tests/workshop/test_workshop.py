"""Workshop mode without a server: the store, the participant app, the dashboard, summaries, CSV, report.

The store tests run twice: on a real SQLite file (``[sqlite]``) and on a real
PostgreSQL server (``[postgresql]``, a throwaway cluster started by the
``postgres`` fixture in conftest.py). The concurrency test writes from 100
separate processes at once.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import traceback

import pytest

from samverkan.errors import ParameterError
from samverkan.workshop import store as store_mod
from samverkan.workshop.store import MAX_REVISIONS, SessionClosed, Store, StoreError, UnknownSession

LESSON = "03-principer"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "citat"'


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """Where a test's store lives: a new SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "verkstad.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db):
    s = Store(db)
    yield s
    s.close()


@pytest.fixture(scope="module")
def kit():
    from samverkan.content import loader, paths

    return loader.load_kit(paths.kit_root())


def test_sqlite_file_is_in_wal_mode_with_busy_timeout(tmp_path):
    store = Store(tmp_path / "verkstad.sqlite")
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_url_accepts_path_or_url_and_rejects_a_folder(tmp_path):
    assert store_mod.database_url(tmp_path / "a.sqlite") == f"sqlite:///{tmp_path / 'a.sqlite'}"
    assert store_mod.database_url("postgresql+psycopg://u:p@127.0.0.1/db").startswith("postgresql+psycopg://")
    with pytest.raises(ParameterError, match="är en mapp"):
        store_mod.database_url(tmp_path)
    with pytest.raises(ParameterError, match="ingen giltig databasadress"):
        store_mod.database_url("nonsense://::")
    with pytest.raises(ParameterError, match="finns inte"):
        Store(tmp_path / "saknas.sqlite", create=False)


def test_postgresql_urls_mean_psycopg_and_only_the_server_process_pools(pg_url):
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    assert store_mod.database_url(plain) == pg_url
    assert store_mod.database_url(plain.replace("postgresql://", "postgres://")) == pg_url
    server = Store(plain)
    assert server.dialect == "postgresql" and server.engine.pool.size() == store_mod.PG_POOL["pool_size"]
    kernel = Store(pg_url, create=False)  # a participant kernel, the dashboard, report, export
    assert type(kernel.engine.pool).__name__ == "NullPool"
    with kernel.engine.connect() as c:
        assert c.exec_driver_sql("SELECT current_user").scalar() == "verkstad"  # not a superuser
        assert c.exec_driver_sql("SELECT current_setting('application_name')").scalar() == "samverkansverkstaden"
    assert "verkstad:" in repr(server) and pg_url.split(":")[2].split("@")[0] not in repr(server)  # no password
    server.close()


def test_an_unreachable_database_gives_a_swedish_message(pg_url, tmp_path):
    with pytest.raises(StoreError, match=r"ingen databasserver svarar på 127\.0\.0\.1:1\. Kontrollera att PostgreSQL"):
        Store("postgresql+psycopg://nobody@127.0.0.1:1/verkstad")
    with pytest.raises(StoreError, match="databasen 'saknas_har' finns inte"):
        Store(pg_url.rsplit("/", 1)[0] + "/saknas_har")
    password = pg_url.split("//", 1)[1].split("@")[0].split(":")[1]
    with pytest.raises(StoreError, match="fel användarnamn eller lösenord för 'verkstad'") as refused:
        Store(pg_url.replace(f":{password}@", ":fel-losenord@"))
    assert password not in str(refused.value) and "fel-losenord" not in str(refused.value)
    # Without create (a kernel, report, export) the first query is where it fails: still Swedish.
    later = Store("postgresql+psycopg://nobody@127.0.0.1:1/verkstad", create=False)
    with pytest.raises(StoreError, match="ingen databasserver svarar"):
        later.session_by_code("ABC123")
    # What a participant's screen shows: no address, no driver text (those go to the log).
    for refused in (
        lambda: later.record("T" * 24, "e", "i", "single_choice", 1),
        lambda: later.join("ABC123"),
        lambda: later.participant("T" * 24),
        lambda: later.progress("T" * 24),
    ):
        with pytest.raises(StoreError) as shown:
            refused()
        assert str(shown.value) == store_mod.PARTICIPANT_UNAVAILABLE
        assert "127.0.0.1" not in str(shown.value) and "säg till den som leder passet" in str(shown.value)
    run = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "export", "ABC123", "--db", "postgresql://nobody@127.0.0.1:1/verkstad"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "Fel: Kan inte nå databasen" in run.stderr and "Traceback" not in run.stderr


def test_session_codes_are_short_unambiguous_and_typed_loosely(store):
    s = store.create_session("  Regionkonferensen,\n pass 2 ", LESSON, "lattlast")
    assert s.name == "Regionkonferensen, pass 2"
    assert len(s.code) == 6 and set(s.code) <= set(store_mod.CODE_ALPHABET)
    typed = s.code[:3].lower() + " - " + s.code[3:].lower()
    assert store.session_by_code(typed).id == s.id
    with pytest.raises(UnknownSession, match="inget pass med koden"):
        store.session_by_code("ZZZZZZ")
    with pytest.raises(StoreError, match="namn"):
        store.create_session("   ", LESSON)
    with pytest.raises(StoreError, match="nivå"):
        store.create_session("x", LESSON, "<b>")


def test_facilitator_key_survives_a_restart_and_a_wrong_key_is_refused(db):
    first = Store(db)
    key = first.facilitator_key()
    first.close()
    again = Store(db)
    second = again.facilitator_key()  # each start of a server prints a new key; the earlier ones still work
    assert second != key
    for k in (key, second):
        assert again.check_key(k) and again.check_key(k.lower())
        assert not again.check_key(k[:-1] + ("A" if k[-1] != "A" else "B"))
    assert not again.check_key("") and not again.check_key(None) and not again.check_key("x" * 500)
    with again.engine.connect() as c:  # only hashes are stored, never the key itself
        stored = " ".join(v for (v,) in c.exec_driver_sql("SELECT value FROM settings"))
    assert key not in stored and second not in stored


def test_only_the_newest_keys_stay_valid_and_an_old_plain_key_becomes_a_hash(db):
    from samverkan.workshop.store import KEYS_KEPT

    s = Store(db)
    with s.engine.begin() as c:  # a database from before hashing: the key in plain text
        c.exec_driver_sql("INSERT INTO settings (name, value) VALUES ('facilitator_key', 'ABCDEFGHJKLM')")
    s.close()
    s = Store(db)
    assert s.check_key("ABCDEFGHJKLM")
    with s.engine.connect() as c:
        assert "ABCDEFGHJKLM" not in " ".join(v for (v,) in c.exec_driver_sql("SELECT value FROM settings"))
    keys = [s.facilitator_key() for _ in range(KEYS_KEPT)]
    assert all(s.check_key(k) for k in keys) and not s.check_key("ABCDEFGHJKLM")
    s.close()


def test_a_session_takes_as_many_as_its_cap_and_the_facilitator_can_change_it(store, monkeypatch):
    monkeypatch.setenv("SAMVERKAN_ROOM_SIZE", "3")
    session = store.create_session("Rum för tre", LESSON)
    assert store.cap(session.id) == 3
    people = [store.join(session.code) for _ in range(3)]
    with pytest.raises(StoreError, match="fullt"):
        store.join(session.code)
    store.record(people[0].token, "principer-quiz", "q1", "single_choice", 0, True)
    assert store.remove_silent(session.code) == 2  # the two who never answered
    assert store.stats(session.id).participants == 1
    store.join(session.code), store.join(session.code)
    store.set_cap(session.code, 5)
    store.join(session.code), store.join(session.code)
    with pytest.raises(StoreError, match="fullt"):
        store.join(session.code)
    for bad in (0, -1, 10**6, "5", True):
        with pytest.raises(StoreError, match="heltal"):
            store.set_cap(session.code, bad)


def test_an_answer_is_stored_once_however_often_the_click_is_retried(store):
    s = store.create_session("Pass", LESSON)
    p = store.join(s.code, "Bord 4")
    for _ in range(3):
        store.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", 1, False)
    assert store.stats(s.id).answers == 1
    store.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", 0, True)  # a changed mind
    latest = store.answers(s.id, "latest")
    assert len(latest) == 1 and latest[0]["value"] == 0 and latest[0]["correct"] is True
    assert latest[0]["group"] == "Bord 4" and latest[0]["participant"] == 1
    assert store.progress(p.token) == {("principer-quiz", "principer-quiz-1"): 0}  # the page shows the latest
    # What the statistics count is the first answer; the change is kept as a revision, the retries are not.
    (first,) = store.answers(s.id)
    assert (first["value"], first["correct"], first["revisions"], first["latest"]) == (1, False, 1, 0)
    assert [(r["value"], r["revision"]) for r in store.answers(s.id, "all")] == [(1, 1), (0, 2)]
    stats = store.stats(s.id)
    assert (stats.participants, stats.answered, stats.answers, stats.revisions) == (1, 1, 1, 1)


def test_revisions_are_bounded_and_the_first_answer_never_moves(store):
    s = store.create_session("Pass", LESSON)
    p = store.join(s.code)
    store.join(s.code)  # joined, never answered: counted as joined, not as answered
    for i in range(MAX_REVISIONS + 10):
        store.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", i % 3, i % 3 == 0)
    assert len(store.answers(s.id, "all")) == MAX_REVISIONS
    (first,) = store.answers(s.id)
    assert first["value"] == 0 and first["correct"] is True and first["latest"] == (MAX_REVISIONS + 9) % 3
    stats = store.stats(s.id)
    assert (stats.participants, stats.answered, stats.answers) == (2, 1, 1)


def test_a_version_1_database_keeps_its_answers_as_first_answers(tmp_path):
    import sqlalchemy as sa

    from samverkan.workshop import store as store_module

    path = tmp_path / "gammal.sqlite"
    old = Store(path)
    s = old.create_session("Pass", LESSON)
    p = old.join(s.code)
    old.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", 2, False)
    with old.engine.begin() as c:  # as version 1 left it: no log, no details
        c.execute(store_module.answer_log.delete())
        c.execute(store_module.session_details.delete())
        c.execute(
            store_module.settings.update().where(store_module.settings.c.name == "schema_version").values(value="1")
        )
    old.close()
    new = Store(path)
    (first,) = new.answers(s.id)
    assert first["value"] == 2 and first["revisions"] == 0
    assert new.details(s.id).mode == "egen_takt"  # a session from before details: the defaults
    with new.engine.connect() as c:
        version = c.execute(
            sa.select(store_module.settings.c.value).where(store_module.settings.c.name == "schema_version")
        )
        assert version.scalar() == store_module.SCHEMA_VERSION
    Store(path)  # a second start copies nothing twice
    assert len(new.answers(s.id, "all")) == 1


def test_no_personal_data_only_a_table_from_the_list(store):
    s = store.create_session("Pass", LESSON)
    for bad in ("Anna Andersson", "Bord 41", "Bord 0", "<script>", "Bord 4; DROP TABLE answers"):
        with pytest.raises(StoreError, match="Välj ett bord"):
            store.join(s.code, bad)
    assert store.join(s.code, "").group is None
    assert store.stats(s.id).participants == 1
    columns = {c.name for t in store_mod.metadata.sorted_tables for c in t.columns}
    assert not columns & {"name_of_person", "email", "ip", "user_agent", "username"}


def test_closed_session_refuses_joins_and_answers_and_reopens(store):
    s = store.create_session("Pass", LESSON)
    p = store.join(s.code)
    store.set_open(s.code, False)
    with pytest.raises(SessionClosed, match="stängt"):
        store.join(s.code)
    with pytest.raises(SessionClosed, match="sparades inte"):
        store.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", 1, False)
    store.set_open(s.code, True)
    store.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", 1, False)
    assert store.stats(s.id).answers == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("bad token!", "e", "i", "single_choice", 1), "giltig deltagarkod"),
        (("T" * 24, "e", "i", "single_choice", 1), "hör inte till något pass"),
        (("T" * 24, "../../etc", "i", "single_choice", 1), "ogiltig fråga"),
        (("T" * 24, "e", "i", "exec", 1), "okänd typ"),
        (("T" * 24, "e", "i", "free_text", "x" * 30_000), "för långt"),
    ],
)
def test_hostile_or_broken_answers_are_refused_with_a_message(store, args, message):
    store.create_session("Pass", LESSON)
    with pytest.raises(StoreError, match=message):
        store.record(*args)


def _writer(url: str, code: str, barrier, errors) -> None:  # runs in a forked process
    try:
        s = Store(url, create=False)
        barrier.wait(timeout=60)
        p = s.join(code, "Bord 1")
        for n in range(5):
            s.record(p.token, "principer-quiz", f"principer-quiz-{n + 1}", "single_choice", n % 3, n % 2 == 0)
        s.close()
    except BaseException:
        errors.put(traceback.format_exc())


def test_100_participants_writing_at_once_from_separate_processes_all_arrive(db):
    """On PostgreSQL this also meets the default max_connections (100, three kept for superusers)."""
    s = Store(db)
    session = s.create_session("Stort rum", LESSON)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(100)
    errors = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(s.url, session.code, barrier, errors)) for _ in range(100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert not found, found[0]
    assert all(p.exitcode == 0 for p in procs)
    stats = s.stats(session.id)
    assert stats.participants == 100
    assert stats.answers == 500
    assert not any("locked" in e for e in found)
    s.close()


def test_the_participant_cap_holds_when_many_join_at_once(db, monkeypatch):
    monkeypatch.setattr(store_mod, "MAX_PARTICIPANTS", 5)
    s = Store(db)
    session = s.create_session("Litet rum", LESSON)
    barrier = threading.Barrier(12)
    joined, full = [], []

    def arrive() -> None:
        barrier.wait(timeout=30)
        try:
            joined.append(s.join(session.code))
        except StoreError as exc:
            full.append(str(exc))

    threads = [threading.Thread(target=arrive) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(joined) == 5 and s.stats(session.id).participants == 5
    assert full == ["Passet är fullt. Säg till den som leder passet."] * 7
    s.close()


def test_a_full_postgresql_server_makes_an_answer_wait_instead_of_failing(pg_url, monkeypatch, caplog):
    import time

    import psycopg

    s = Store(pg_url)
    session = s.create_session("Fullt", LESSON)
    p = s.join(session.code)
    kernel = Store(pg_url, create=False)  # connects per transaction, as a participant kernel does
    hogs = []
    try:
        with pytest.raises(psycopg.OperationalError, match="too many clients|remaining connection slots"):
            while len(hogs) < 200:
                hogs.append(psycopg.connect(pg_url.replace("+psycopg", ""), connect_timeout=5))
        release = threading.Timer(1.5, lambda: [h.close() for h in hogs[:2]])
        release.start()
        t0 = time.monotonic()
        kernel.record(p.token, "principer-quiz", "principer-quiz-1", "single_choice", 1, False)
        assert time.monotonic() - t0 >= 1.0  # it waited for a free slot
        assert s.stats(session.id).answers == 1
        release.join()
        with pytest.raises(psycopg.OperationalError, match="too many clients|remaining connection slots"):
            while len(hogs) < 200:  # full again
                hogs.append(psycopg.connect(pg_url.replace("+psycopg", ""), connect_timeout=5))
        monkeypatch.setattr(store_mod, "PG_FULL_WAIT", 0.5)
        with caplog.at_level("WARNING", logger="samverkan.workshop"):
            with pytest.raises(StoreError, match="^Databasen svarar inte just nu"):  # the participant's screen
                kernel.record(p.token, "principer-quiz", "principer-quiz-2", "single_choice", 1, False)
        assert "inga lediga anslutningar (höj max_connections)" in caplog.text  # the log says why
        with pytest.raises(StoreError, match="inga lediga anslutningar \\(höj max_connections\\)"):
            kernel.stats(session.id)  # the dashboard, report and export say it straight away
    finally:
        for h in hogs:
            h.close()
    s.close()


def test_servers_starting_at_once_on_an_empty_database_share_tables_and_key(postgres):
    """Two (here: four) ``samverkan serve`` processes against one new PostgreSQL database, started together."""
    for _round in range(3):
        url = postgres.database("start")
        barrier = threading.Barrier(4)
        keys, errors = [], []

        def start() -> None:
            try:
                barrier.wait(timeout=30)
                st = Store(url)
                keys.append(st.facilitator_key())
                st.close()
            except BaseException:
                errors.append(traceback.format_exc())

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors[0]
        check = Store(url, create=False)
        assert len(keys) == 4 and len(set(keys)) == 4 and all(check.check_key(k) for k in keys)
        check.close()


def test_participant_view_restores_every_kind_of_answer(tmp_path, monkeypatch, kit):
    from samverkan.workshop import participant

    db = Store(tmp_path / "p.sqlite")
    s = db.create_session("Pass", LESSON)
    p = db.join(s.code, "Bord 2")
    view = participant.ParticipantView(db, db.participant(p.token), kit)
    assert len(view.built) == 1  # only the exercise on screen is built
    assert "Övning 1 av 4" in view.position.value and view.prev_button.disabled
    by_type = {type(view.exercise(i)).__name__: view.exercise(i) for i in range(len(view.ids))}
    quiz, matching = by_type["QuizWidget"], by_type["MatchingWidget"]
    scenario, free = by_type["ScenarioWidget"], by_type["FreeTextWidget"]
    quiz.choices.index = 0
    quiz.check_button.click()
    quiz.next_button.click()
    matching.dropdowns[0].value = matching.exercise.categories[0].id
    matching.check_button.click()
    scenario.choices.index = 1
    scenario.choose_button.click()
    free.answer.value = HOSTILE
    free.submit_button.click()
    assert "sparat" in free.guidance.value
    assert db.stats(s.id).answers == 4

    again = participant.ParticipantView(db, db.participant(p.token), kit)  # what a reload gives
    assert "Välkommen tillbaka" in again.header.value and "Bord 2" in again.header.value
    assert all(label.endswith("✓") for label, _ in again.picker.options)
    by_type = {type(again.exercise(i)).__name__: again.exercise(i) for i in range(len(again.ids))}
    first_q = by_type["QuizWidget"].questions[0].id
    assert set(by_type["QuizWidget"].results) == {first_q}
    assert by_type["QuizWidget"].position == 1  # the first unanswered question
    assert by_type["MatchingWidget"].dropdowns[0].value == matching.exercise.categories[0].id
    assert by_type["MatchingWidget"].score.value
    assert by_type["ScenarioWidget"].run.path == [(scenario.scenario.start, 1)]
    assert by_type["FreeTextWidget"].answer.value == HOSTILE
    assert db.stats(s.id).answers == 4  # restoring wrote nothing


def test_participant_view_steps_through_exercises_and_starts_at_the_first_unanswered(tmp_path, kit):
    from samverkan.workshop import participant

    db = Store(tmp_path / "p.sqlite")
    s = db.create_session("Pass", LESSON)
    p = db.join(s.code)
    view = participant.ParticipantView(db, db.participant(p.token), kit)
    view.next_button.click()
    assert view.current == 1 and view.picker.value == 1 and "Övning 2 av 4" in view.position.value
    view.picker.value = 3
    assert view.current == 3 and view.next_button.disabled
    view.prev_button.click()
    assert view.current == 2
    first = kit.exercises[view.ids[0]]
    if first.kind == "matching":
        db.record(p.token, first.id, first.id, "matching", {first.items[0].id: first.items[0].category}, False)
    again = participant.ParticipantView(db, db.participant(p.token), kit)
    assert again.current == 1  # the first exercise without a saved answer


def test_participant_app_without_token_or_with_a_bad_one_shows_the_join_form(tmp_path, monkeypatch):
    from samverkan.workshop import participant

    db = Store(tmp_path / "p.sqlite")
    monkeypatch.setenv("SAMVERKAN_DB", db.url)
    monkeypatch.setattr(participant, "_STATE", {})
    assert 'action="/delta"' in participant.app("kod=ABC<script>").value
    assert "<script>" not in participant.app("kod=ABC<script>").value
    bad = participant.app("p=" + "A" * 24).value
    assert "hör inte till något pass" in bad and 'role="alert"' in bad
    monkeypatch.delenv("SAMVERKAN_DB")
    monkeypatch.setattr(participant, "_STATE", {})
    assert "inte igång" in participant.app("").value


def test_participant_kernel_stays_lean(tmp_path):
    """A participant kernel never imports pandas or matplotlib (150 of them run at once)."""
    db = Store(tmp_path / "lean.sqlite")
    s = db.create_session("Pass", LESSON)
    p = db.join(s.code)
    code = (
        "import sys\n"
        "from samverkan.workshop import participant\n"
        "participant.prepare()\n"
        f"w = participant.app('kod={s.code}&p={p.token}')\n"
        "assert len(w.children) > 3, w\n"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'numpy', 'voila', 'nbformat') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "SAMVERKAN_DB": db.url},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_dashboard_needs_the_key_and_counts_answers(tmp_path, monkeypatch):
    from samverkan.workshop.dashboard import Dashboard, dashboard_app

    db = Store(tmp_path / "d.sqlite")
    key = db.facilitator_key()
    monkeypatch.setenv("SAMVERKAN_DB", db.url)
    s = db.create_session("Pass", LESSON)
    refused = dashboard_app({"nyckel": "FEL"})
    html = " ".join(getattr(c, "value", "") for c in refused.children)
    assert "Fel handledarnyckel" in html and s.code not in html
    login = dashboard_app({})
    assert any(type(c).__name__ == "Password" for c in login.children)
    opened = dashboard_app({"nyckel": key.lower()})
    assert not any(type(c).__name__ == "Password" for c in opened.children)

    d = Dashboard(db)
    assert d.session is not None and d.session.code == s.code
    assert s.code in d.join_info.value
    p = db.join(s.code, "Bord 9")
    db.record(p.token, "principer-reflektion", "principer-reflektion", "free_text", HOSTILE)
    assert d.refresh() is True
    assert '<span class="sv-answers">1</span>' in d.stats.value
    reflection = d.panels["principer-reflektion"]  # each exercise's answers are shown by its own button
    assert not reflection.body.children
    reflection.toggle.value = True
    shown = " ".join(w.value for w in reflection.body.children)
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "Bord 9" in shown
    assert d.refresh() is False  # nothing new: nothing redrawn
    d._on_csv()
    assert 'download="svar-' in d.csv_link.value
    d._on_toggle()
    assert not db.session(s.id).is_open and "Öppna passet igen" == d.toggle_button.description


def test_summary_counts_and_chart_alt_text(kit, store):
    from samverkan.workshop.summary import alt_text, item_html, summarise

    s = store.create_session("Pass", LESSON)
    quiz = kit.exercises["principer-quiz"]
    q = quiz.questions[0]
    right = sorted(q.correct_indices)[0]
    wrong = next(i for i in range(len(q.choices)) if i not in q.correct_indices)
    for value in (right, right, wrong):
        p = store.join(s.code)
        store.record(p.token, quiz.id, q.id, q.kind, value, value == right)
    items = summarise(kit, s, store.answers(s.id))
    it = next(i for i in items if i.key == (quiz.id, q.id))
    assert (it.answered, it.right) == (3, 2)
    assert it.options[right].count == 2 and it.options[wrong].count == 1
    assert "2 svar (rätt svar)" in alt_text(it)
    html = item_html(it)
    assert 'alt="Liggande stapeldiagram' in html and "<table>" in html and "67 %" in html


def test_csv_export_is_semicolon_separated_and_defuses_formulas(kit, store):
    from samverkan.workshop.summary import CSV_COLUMNS, export_csv

    s = store.create_session('=HYPERLINK("x")', LESSON)
    p = store.join(s.code, "Bord 3")
    store.record(p.token, "principer-reflektion", "principer-reflektion", "free_text", '=1+1;"hej"\nrad två')
    text = export_csv(store, s, kit)
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == CSV_COLUMNS
    assert rows[1][0].startswith("'=") and rows[1][8] == '\'=1+1;"hej"\nrad två'
    assert rows[1][6] == "1" and rows[1][7] == "Bord 3"
    assert p.token not in text


def test_report_builds_from_a_stored_session(tmp_path):
    db = Store(tmp_path / "r.sqlite")
    s = db.create_session("Konferensen", LESSON)
    from samverkan.content import loader, paths

    kit = loader.load_kit(paths.kit_root())
    q = kit.exercises["principer-quiz"].questions[0]
    for n in range(4):
        p = db.join(s.code, f"Bord {n % 2 + 1}")
        db.record(p.token, "principer-quiz", q.id, q.kind, n % 2, (n % 2) in q.correct_indices)
    db.record(p.token, "principer-reflektion", "principer-reflektion", "free_text", HOSTILE)
    db.join(s.code)  # no table: the report once crashed on it (issue 15)
    out = tmp_path / "rapport.html"
    run = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "report", s.code, "--db", db.url, "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="sv">' in html
    assert "Rapport: Konferensen" in html and "5 deltagare" in html and "5 svar" in html
    assert "Att samtala om" in html and "Bord 1" in html and "Inget bord" in html
    assert "&lt;script&gt;" in html and "<script" not in html
    assert 'src="http' not in html and "<link" not in html  # self-contained: loads nothing
    assert html.count('src="data:image/png;base64,') >= 1 and 'alt="Liggande stapeldiagram' in html

    missing = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "report", "NOPE42", "--db", db.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "inget pass med koden NOPE42" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_server_recognises_a_prepared_participant_kernel_by_the_generated_cell():
    from samverkan.build import notebooks
    from samverkan.workshop.runtime import reserve_size
    from samverkan.workshop.server import PREPARED_MARK

    nb = notebooks.participant_app()
    assert PREPARED_MARK == f'id="cell-id={nb.cells[1]["id"]}"'
    assert "participant.prepare()" in nb.cells[1]["source"] and "participant.app()" in nb.cells[2]["source"]
    assert [reserve_size(n) for n in (1, 10, 30, 150, 400)] == [1, 1, 3, 10, 10]


def test_dashboard_shows_the_picked_sessions_answers_even_for_the_same_lesson(tmp_path, monkeypatch):
    from samverkan.workshop.dashboard import Dashboard

    db = Store(tmp_path / "two.sqlite")
    first = db.create_session("Förmiddag", LESSON)
    second = db.create_session("Eftermiddag", LESSON)
    p = db.join(second.code)
    db.record(p.token, "principer-reflektion", "principer-reflektion", "free_text", "Bara i eftermiddagspasset")
    d = Dashboard(db)
    d.picker.value = first.id
    d.panels["principer-reflektion"].toggle.value = True
    assert "Bara i eftermiddagspasset" not in " ".join(w.value for w in d.panels["principer-reflektion"].body.children)
    d.picker.value = second.id
    d.panels["principer-reflektion"].toggle.value = True
    assert "Bara i eftermiddagspasset" in " ".join(w.value for w in d.panels["principer-reflektion"].body.children)


def test_serve_refuses_a_public_address_it_cannot_use(tmp_path):
    """SAMVERKAN_PUBLIC_URL (the proxy's address, docs/driftsattning.md) must be the proxy's root."""
    import os

    from ..servers import free_port

    for bad in ("verkstad.kommun.se", "https://verkstad.kommun.se/verkstad/", "https://verkstad.kommun.se"):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "samverkan.cli",
                "serve",
                "--port",
                str(free_port()),
                "--db",
                str(tmp_path / "x.sqlite"),
                "--room-size",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SAMVERKAN_PUBLIC_URL": bad},
        )
        assert run.returncode == 2, run.stderr[-500:]
        assert "SAMVERKAN_PUBLIC_URL" in run.stderr and "sluta med /" in run.stderr and "Traceback" not in run.stderr


def test_backup_copies_a_running_store_with_what_is_still_in_its_wal(tmp_path):
    """samverkan backup: a copy taken while the store is open holds every committed answer, even those
    that are still only in the write-ahead log (a plain copy of the .sqlite file misses them)."""
    import shutil
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "levande.sqlite"
    s = Store(db)
    session = s.create_session("Kopia", LESSON)
    with s.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_autocheckpoint=0")  # keep the answers in the WAL, as a busy server may
    people = [s.join(session.code) for _ in range(5)]
    for n, p in enumerate(people):
        s.record(p.token, "principer-quiz", "q1", "single_choice", n % 3, n % 2 == 0)
    assert (tmp_path / "levande.sqlite-wal").stat().st_size > 0
    naive = tmp_path / "naiv.sqlite"
    shutil.copy(db, naive)  # what a facilitator would do by hand
    out = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "backup", str(tmp_path / "kopia.sqlite"), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Kopian är sparad i" in out.stdout and "5 svar" in out.stdout
    copy = sqlite3.connect(tmp_path / "kopia.sqlite")
    assert copy.execute("SELECT count(*) FROM answers").fetchone()[0] == 5
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    assert not (tmp_path / "kopia.sqlite-wal").exists()
    naive_count = (
        sqlite3.connect(naive).execute("SELECT count(*) FROM sqlite_master WHERE name = 'answers'").fetchone()[0]
    )
    assert naive_count == 0 or sqlite3.connect(naive).execute("SELECT count(*) FROM answers").fetchone()[0] < 5
    again = subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "backup", str(tmp_path / "kopia.sqlite"), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2 and "finns redan" in again.stderr  # never overwrites
    s.close()
