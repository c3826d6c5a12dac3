"""The workshop store: sessions, anonymous participants and their answers.

SQLAlchemy Core, so the same code runs on the embedded SQLite file (the
default) and on PostgreSQL from a URL (``postgresql+psycopg://…``).

What is stored, and what is not:

* a session: name, lesson, level, a short join code, open or closed;
* a participant: a random token (the only thing that ties a browser to its
  answers), an optional table ("Bord 4", chosen from a list, so no personal
  names), and when they joined;
* an answer: which exercise and item, the value chosen, right or wrong;
* every answer given, in ``answer_log``: the first one to an item is what the
  statistics count ("rätt vid första försöket"), later changes are kept as
  revisions (at most :data:`MAX_REVISIONS` an item), never overwriting it;
* a session's details (``session_details``): audience, the exercises chosen
  for it, organisation, place, date and the facilitator's conclusions, and the
  room's state in the led mode (mode, the exercise released, whether its
  result is shown, a countdown), so two servers show the same moment.

No name, e-mail, IP address or browser fingerprint is stored anywhere.

SQLite settings for a room of 150 (see README, "Mätningar"): WAL mode, a 30 s
busy timeout, every write in its own short ``BEGIN IMMEDIATE`` transaction
(so a writer waits for the lock instead of failing with "database is locked"
when it would have to upgrade a read lock), ``synchronous=FULL`` so a power
cut loses no committed answer.

The latest answer is stored exactly once per participant, exercise and item:
a retried click, or a changed mind, updates that one row (an upsert on a
unique key), it never adds a second. A changed mind also adds a row to
``answer_log`` (a retried click with the same value does not).

PostgreSQL (several ``samverkan serve`` processes sharing one database, see
docs/driftsattning.md): the same statements (``INSERT … ON CONFLICT``), plain
``BEGIN``, and:

* the tables are created under an advisory lock, so two servers starting at
  once against an empty database do not both try to create them;
* a join locks its session's row (``FOR NO KEY UPDATE``) while it counts the
  participants, so the cap holds with several writers; answers are not
  blocked by it;
* the server process keeps a small connection pool; every other process (one
  participant kernel each, the dashboard, report, export) connects per
  transaction and holds no idle connection, so 150 kernels on each of two
  servers do not need 300 of the server's ``max_connections``. When the
  server is full ("too many clients") a transaction waits and tries again
  for up to :data:`PG_FULL_WAIT` seconds instead of losing the answer;
* every failure to reach the database becomes a :class:`StoreError` in
  Swedish that says what to check.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import os
import random
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from samverkan.content.schema import ANSWER_KINDS, AUDIENCES
from samverkan.errors import ParameterError, SamverkanError, SessionClosed, StoreError, UnknownSession  # noqa: F401 - the store's errors, importable from here too

SCHEMA_VERSION = "2"  # 2: answer_log and session_details (created and filled in by create())
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
CODE_LENGTH = 6
KEY_LENGTH = 12
MAX_GROUPS = 40
MAX_PARTICIPANTS = 1000  # per session, the most a facilitator can allow
DEFAULT_CAP = 150  # places in a session when nobody says otherwise (serve sets it from --room-size)
KEYS_KEPT = 5  # facilitator keys that stay valid: each start of a server adds one
KEY_ROUNDS = 60_000  # PBKDF2 rounds: a stolen database gives no key to try quickly
SESSION_CACHE_SECONDS = 2.0  # a join sees a closed session this late at most (the page's redeem checks again)
TICKET_SECONDS = 15 * 60  # a join form's ticket must be used (the page opened) within this time
MAX_VALUE_CHARS = 20_000
MAX_READING_CHARS = 200_000  # one reader's saved state: every answer of a lesson, free texts included
MAX_REVISIONS = 25  # answers kept per participant and item; later changes still update the latest answer
MAX_EXERCISES = 100  # exercises chosen for one session
MAX_CONCLUSIONS_CHARS = 10_000
MAX_COUNTDOWN = 3600  # seconds
MODES = {"egen_takt": "i egen takt", "ledd": "handledarstyrt"}
KINDS = ANSWER_KINDS  # from the exercise kinds (samverkan.content.schema), so a new kind is never refused
GROUP_RE = re.compile(r"Bord ([1-9]|[1-3][0-9]|40)")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
PG_CONNECT_TIMEOUT = 10  # seconds; psycopg would otherwise wait as long as the operating system does
PG_FULL_WAIT = 20.0  # seconds a transaction retries while PostgreSQL has no free connection slot
PG_POOL = {"pool_size": 5, "max_overflow": 10, "pool_recycle": 1800}  # the server process only
CREATE_LOCK = 0x53764B31  # pg_advisory_xact_lock key held while the tables are created

PARTICIPANT_UNAVAILABLE = (
    "Databasen svarar inte just nu, så det gick inte att spara eller visa dina svar. "
    "Försök igen om en stund, eller säg till den som leder passet."
)

log = logging.getLogger("samverkan.workshop")
metadata = sa.MetaData()

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(12), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("lesson", sa.String(80), nullable=False),
    sa.Column("level", sa.String(20), nullable=False),
    sa.Column("is_open", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("grp", sa.String(40)),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
)

# Self-study progress behind a personal link (the lesson reader): the token from the link, the lesson,
# and a JSON state (audience, level, page, answers). Never a name; the token is the only key.
readings = sa.Table(
    "readings",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("lesson", sa.String(80), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def _answer_columns() -> list[sa.Column]:
    """The columns of an answer, the same in ``answers`` (the latest) and ``answer_log`` (every one)."""
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("exercise_id", sa.String(80), nullable=False),
        sa.Column("item_id", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Text, nullable=False),  # JSON
        sa.Column("correct", sa.Boolean),
        sa.Column("extra", sa.Text, nullable=False, default="{}"),  # JSON
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    ]


answers = sa.Table(
    "answers",
    metadata,
    *_answer_columns(),
    sa.UniqueConstraint("participant_id", "exercise_id", "item_id", name="one_answer_per_item"),
    sa.Index("answers_by_session", "session_id", "answered_at"),
)

# Every answer as given, oldest first: the first row for a (participant, exercise, item) is the one the
# statistics count, the later ones are revisions (shown in the CSV export, never counted as the answer).
answer_log = sa.Table(
    "answer_log",
    metadata,
    *_answer_columns(),
    sa.Index("answer_log_by_item", "participant_id", "exercise_id", "item_id"),
    sa.Index("answer_log_by_session", "session_id", "id"),
)

# A session's details and the room's state in the led mode. One row per session (none: the defaults).
session_details = sa.Table(
    "session_details",
    metadata,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("audience", sa.String(20)),  # None: a mixed room, every question
    sa.Column("exercises", sa.Text),  # JSON list of exercise ids; None: the lesson's workshop path
    sa.Column("organisation", sa.String(120)),
    sa.Column("place", sa.String(120)),
    sa.Column("held_on", sa.String(10)),  # YYYY-MM-DD
    sa.Column("conclusions", sa.Text),
    sa.Column("mode", sa.String(12), nullable=False, default="egen_takt"),
    sa.Column("current", sa.String(80)),  # the exercise released in the led mode; None: not started
    sa.Column("step", sa.Integer, nullable=False, default=0),  # the question of it the projector shows
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
    sa.Column("deadline", sa.DateTime(timezone=True)),  # the countdown's end, if one runs
    sa.Column("version", sa.Integer, nullable=False, default=0),  # counts changes of the room's state
)


@dataclass(frozen=True)
class Details:
    """A session's details: audience, chosen exercises, where and when, conclusions, and the room's state."""

    audience: str | None = None
    exercises: tuple[str, ...] | None = None
    organisation: str = ""
    place: str = ""
    held_on: str = ""
    conclusions: str = ""
    mode: str = "egen_takt"
    current: str | None = None
    step: int = 0
    revealed: bool = False
    deadline: dt.datetime | None = None
    version: int = 0

    @property
    def led(self) -> bool:
        """Whether the facilitator releases the exercises one by one (handledarstyrt)."""
        return self.mode == "ledd"

    def room(self) -> dict[str, Any]:
        """The room's state as JSON-ready values: what a participant's page follows."""
        return {
            "mode": self.mode,
            "current": self.current,
            "step": self.step,
            "revealed": self.revealed,
            "deadline": self.deadline.timestamp() if self.deadline else None,
            "version": self.version,
        }


@dataclass(frozen=True)
class Session:
    """A workshop session as stored: id, join code, name, lesson, level, open or closed, when created."""

    id: int
    code: str
    name: str
    lesson: str
    level: str
    is_open: bool
    created_at: dt.datetime

    @property
    def label(self) -> str:
        """The session in one line: code, name and whether it is open ("öppet") or closed ("stängt")."""
        state = "öppet" if self.is_open else "stängt"
        return f"{self.code} – {self.name} ({state})"


@dataclass(frozen=True)
class Participant:
    """An anonymous participant: row id, token, their session and table (None: no table chosen)."""

    id: int
    token: str
    session: Session
    group: str | None


@dataclass(frozen=True)
class Stats:
    """How many have joined a session, how many answers it has, and when the last one was stored."""

    participants: int  # joined
    answers: int  # items answered: one per participant and item, however often it was changed
    last_answer: dt.datetime | None
    answered: int = 0  # participants who have answered at least one item
    revisions: int = 0  # changed answers kept besides the first ones

    @property
    def signature(self) -> tuple:
        """The counts and last answer time as a tuple, to tell whether anything changed since the last look."""
        return (self.participants, self.answers, self.last_answer, self.answered, self.revisions)


def now() -> dt.datetime:
    """The current time in UTC, timezone-aware (how every time is stored)."""
    return dt.datetime.now(dt.UTC)


def database_url(db: str | os.PathLike | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL as it is, or a path to an SQLite file.

    ``postgresql://`` and ``postgres://`` (as libpq and many hosting panels write
    them) mean the psycopg 3 driver that ``.[postgresql]`` installs.
    """
    if db is None:
        from samverkan.content.paths import kit_root

        db = kit_root() / "verkstad" / "samverkan.sqlite"
    text = str(db)
    if "://" in text:
        try:
            url = sa.engine.make_url(text)
        except Exception as exc:
            raise ParameterError(f"--db: {text!r} är ingen giltig databasadress ({exc}).") from None
        if url.drivername in ("postgresql", "postgres"):
            return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return text
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise ParameterError(f"--db: {path} är en mapp; ange en fil, till exempel {path / 'samverkan.sqlite'}.")
    return f"sqlite:///{path}"


def _sqlite_setup(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy's "begin" event below emit BEGIN, so writes can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")  # persistent; a no-op once the file is in WAL mode
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get("sv_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Store:
    """All reads and writes of the workshop, each in one short transaction.

    ``create``: make the tables if they are missing (``samverkan serve``); without
    it the database must exist. ``pool``: keep connections open between
    transactions; by default only a creating store (the server process) does.
    SQLite always pools (opening the file costs nothing on the server).
    """

    def __init__(self, url: str | os.PathLike | None = None, *, create: bool = True, pool: bool | None = None):
        self.url = database_url(url)
        is_sqlite = self.url.startswith("sqlite")
        if is_sqlite:
            path = Path(sa.engine.make_url(self.url).database or "")
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                raise ParameterError(f"Databasen {path} finns inte. Starta verkstaden med samverkan serve först.")
        if is_sqlite:
            options: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        else:
            query = sa.engine.make_url(self.url).query
            connect_args: dict[str, Any] = {}
            if "connect_timeout" not in query:
                connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
            if "application_name" not in query:
                connect_args["application_name"] = "samverkansverkstaden"
            options = {"connect_args": connect_args}
            if create if pool is None else pool:
                options.update(PG_POOL, pool_pre_ping=True)
            else:
                options["poolclass"] = sa.pool.NullPool
        try:
            self.engine = sa.create_engine(self.url, **options)
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"Drivrutinen för databasen saknas ({exc.name}). För PostgreSQL: "
                "pip install -e '.[postgresql]' och en adress som postgresql+psycopg://…"
            ) from None
        except sa.exc.ArgumentError as exc:
            raise ParameterError(f"--db: databasadressen går inte att använda ({exc}).") from None
        self.dialect = self.engine.dialect.name
        self._secret: bytes | None = None  # the join tickets' signing key, read from the store on first use
        self._sessions_seen: dict[str, tuple[Session, float]] = {}  # see cached_session()
        if is_sqlite:
            _sqlite_setup(self.engine)
        if create:
            self.create()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- set-up -----------------------------------------------------------
    def create(self) -> None:
        """Make missing tables, record the schema version, hash an old plain-text key; SQLite must allow WAL."""
        if self.dialect == "sqlite":
            with self._read() as c:
                mode = c.exec_driver_sql("PRAGMA journal_mode").scalar()
                if str(mode).lower() != "wal":
                    raise StoreError(
                        f"SQLite-filen kan inte använda WAL-läge (fick {mode}); lägg den på en lokal disk."
                    )
            with self._guard():
                metadata.create_all(self.engine)
            with self._write() as c:
                self._migrate(c)
                self._migrate_plain_key(c)
            return
        # PostgreSQL: DDL is transactional; the lock keeps a second server that starts at the same
        # moment from creating the same tables (it waits, then finds them made).
        with self._write() as c:
            c.execute(sa.select(sa.func.pg_advisory_xact_lock(CREATE_LOCK)))
            metadata.create_all(c)
            self._migrate(c)
            self._migrate_plain_key(c)

    def _migrate(self, c: sa.Connection) -> None:
        """Bring a database from an earlier version up to :data:`SCHEMA_VERSION` (the new tables exist by now)."""
        version = c.execute(sa.select(settings.c.value).where(settings.c.name == "schema_version")).scalar()
        if version == "1":
            # Version 1 kept only the latest answer: it becomes the first entry of the log (the best there is).
            logged = sa.select(answer_log.c.id).where(
                answer_log.c.participant_id == answers.c.participant_id,
                answer_log.c.exercise_id == answers.c.exercise_id,
                answer_log.c.item_id == answers.c.item_id,
            )
            columns = [
                "session_id",
                "participant_id",
                "exercise_id",
                "item_id",
                "kind",
                "value",
                "correct",
                "extra",
                "answered_at",
            ]
            c.execute(
                answer_log.insert().from_select(
                    columns,
                    sa.select(*[answers.c[n] for n in columns]).where(~logged.exists()).order_by(answers.c.id),
                )
            )
        self._upsert_setting(c, "schema_version", SCHEMA_VERSION, replace=version is not None)

    def close(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

    def backup(self, target: str | os.PathLike) -> Path:
        """A consistent copy of the SQLite store in ``target``, taken while the server runs.

        Copying the ``.sqlite`` file alone misses what is still in its write-ahead log (``-wal``);
        SQLite's online backup copies the database as one transaction sees it, WAL included.
        """
        if self.dialect != "sqlite":
            raise StoreError(
                "samverkan backup kopierar en SQLite-fil. För PostgreSQL: använd pg_dump (se docs/driftsattning.md)."
            )
        import sqlite3

        source_path = Path(sa.engine.make_url(self.url).database or "")
        target = Path(target).expanduser().resolve()
        if target == source_path.resolve():
            raise StoreError("Kopian kan inte ha samma namn som databasen. Välj en annan fil.")
        if target.is_dir():
            raise StoreError(f"{target} är en mapp; ange en fil, till exempel {target / 'kopia.sqlite'}.")
        if target.exists():
            raise StoreError(f"{target} finns redan. Välj ett nytt filnamn, så skrivs ingen kopia över.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".delvis")
        src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                dst.close()
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise StoreError(f"Kopian kunde inte skrivas ({exc}).") from None
        finally:
            src.close()
        partial.replace(target)
        return target

    def _write(self, participant: bool = False):
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed at the end of the block.

        ``participant``: the error for an unreachable database is worded for a
        participant's screen (no address, no driver message; those go to the log).
        """
        return self._transaction(write=True, participant=participant)

    def _read(self, participant: bool = False):
        """A connection for reading."""
        return self._transaction(write=False, participant=participant)

    @contextmanager
    def _transaction(self, write: bool, participant: bool = False) -> Iterator[sa.Connection]:
        with self._guard(participant):
            conn = self._connect()
            try:
                if write:
                    conn = conn.execution_options(sv_write=True)
                    with conn.begin():
                        yield conn
                else:
                    yield conn
            finally:
                conn.close()

    def _connect(self) -> sa.Connection:
        """A connection; waits and tries again while PostgreSQL has no free slot."""
        deadline = time.monotonic() + PG_FULL_WAIT
        pause = 0.05
        while True:
            try:
                return self.engine.connect()
            except sa.exc.OperationalError as exc:
                if self.dialect != "postgresql" or not _server_full(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 2, 1.0)

    @contextmanager
    def _guard(self, participant: bool = False) -> Iterator[None]:
        """Turn a database that cannot be reached, or went away, into a Swedish :class:`StoreError`."""
        try:
            yield
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            message = unreachable_message(self.engine.url, exc)
            if participant:
                log.warning("%s", message)
                raise StoreError(PARTICIPANT_UNAVAILABLE) from None
            raise StoreError(message) from None

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT (both have ``on_conflict_do_nothing``)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        if self.dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        raise ParameterError(  # pragma: no cover - only SQLite and PostgreSQL are supported
            f"Databastypen {self.dialect} stöds inte; använd SQLite eller PostgreSQL."
        )

    def _upsert_setting(self, c: sa.Connection, name: str, value: str, *, replace: bool) -> None:
        stmt = self._insert(settings).values(name=name, value=value)
        if replace:
            stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["name"])
        c.execute(stmt)

    # -- the facilitator key ---------------------------------------------
    # Only a salted PBKDF2 hash of each key is stored (settings "facilitator_key_hash:…"). Each start
    # of a server makes a new key and prints it; the :data:`KEYS_KEPT` newest stay valid, so two
    # servers sharing a database, and a restart, do not lock anyone out.
    def _key_salt(self, c: sa.Connection) -> bytes:
        self._upsert_setting(c, "facilitator_key_salt", secrets.token_hex(16), replace=False)
        return bytes.fromhex(
            c.execute(sa.select(settings.c.value).where(settings.c.name == "facilitator_key_salt")).scalar_one()
        )

    @staticmethod
    def _key_hash(key: str, salt: bytes) -> str:
        import hashlib

        return hashlib.pbkdf2_hmac("sha256", normalise_code(key).encode(), salt, KEY_ROUNDS).hex()

    def new_facilitator_key(self) -> str:
        """A new key for the dashboard; only its hash is stored. Older keys stay valid (the newest few)."""
        key = new_code(KEY_LENGTH)
        with self._write() as c:
            digest = self._key_hash(key, self._key_salt(c))
            c.execute(
                self._insert(settings).values(
                    name=f"facilitator_key_hash:{digest[:16]}", value=f"{now().isoformat()} {digest}"
                )
            )
            rows = c.execute(
                sa.select(settings.c.name, settings.c.value).where(settings.c.name.like("facilitator_key_hash:%"))
            ).all()
            old = sorted(rows, key=lambda r: r.value, reverse=True)[KEYS_KEPT:]
            if old:
                c.execute(settings.delete().where(settings.c.name.in_([r.name for r in old])))
        return key

    def facilitator_key(self) -> str:
        """A new facilitator key (see :meth:`new_facilitator_key`), kept for callers of the old name."""
        return self.new_facilitator_key()

    def _migrate_plain_key(self, c: sa.Connection) -> None:
        """A database from before hashing kept the key in plain text: keep it valid, as a hash only."""
        plain = c.execute(sa.select(settings.c.value).where(settings.c.name == "facilitator_key")).scalar()
        if plain is None:
            return
        digest = self._key_hash(plain, self._key_salt(c))
        self._upsert_setting(c, f"facilitator_key_hash:{digest[:16]}", f"{now().isoformat()} {digest}", replace=True)
        c.execute(settings.delete().where(settings.c.name == "facilitator_key"))

    def check_key(self, key: str | None) -> bool:
        """Whether ``key`` matches one of the stored facilitator key hashes (each compared in constant time)."""
        if not key or len(key) > 100:
            return False
        with self._read() as c:
            salt = c.execute(sa.select(settings.c.value).where(settings.c.name == "facilitator_key_salt")).scalar()
            stored = (
                c.execute(sa.select(settings.c.value).where(settings.c.name.like("facilitator_key_hash:%")))
                .scalars()
                .all()
            )
        if salt is None or not stored:
            return False
        given = self._key_hash(key, bytes.fromhex(salt)).encode()
        ok = False
        for value in stored:  # every one compared, in constant time each
            ok |= hmac.compare_digest(given, value.rsplit(" ", 1)[-1].encode())
        return ok

    # -- sessions -----------------------------------------------------------
    def create_session(
        self,
        name: str,
        lesson: str,
        level: str = "standard",
        cap: int | None = None,
        *,
        audience: str | None = None,
        exercises: list[str] | tuple[str, ...] | None = None,
        mode: str = "egen_takt",
        organisation: str = "",
        place: str = "",
        held_on: str = "",
    ) -> Session:
        """A new open session. ``cap``: how many may join (default: ``SAMVERKAN_ROOM_SIZE``, set by serve,
        or :data:`DEFAULT_CAP`); the facilitator can change it later (:meth:`set_cap`). ``audience``,
        ``exercises`` (None: the lesson's workshop path), ``mode`` and where and when: see :class:`Details`."""
        details = self._checked_details(
            audience=audience, exercises=exercises, mode=mode, organisation=organisation, place=place, held_on=held_on
        )
        name = " ".join(str(name).split())[:120]
        if not name:
            raise StoreError("Ge passet ett namn, till exempel ”Regionkonferensen, pass 2”.")
        if not ID_RE.fullmatch(lesson or ""):
            raise StoreError(f"Okänd lektion {str(lesson)[:40]!r}.")
        if level not in ("standard", "lattlast"):
            raise StoreError(f"Okänd nivå {str(level)[:40]!r}; välj standard eller lattlast.")
        for _ in range(20):
            code = new_code(CODE_LENGTH)
            try:
                with self._write() as c:
                    sid = c.execute(
                        sessions.insert().values(
                            code=code,
                            name=name,
                            lesson=lesson,
                            level=level,
                            is_open=True,
                            created_at=now(),
                        )
                    ).inserted_primary_key[0]
                    self._upsert_setting(c, f"session_cap:{sid}", str(self._checked_cap(cap)), replace=True)
                    c.execute(session_details.insert().values(session_id=sid, **details))
            except sa.exc.IntegrityError:
                continue  # the code was taken: draw another
            return self.session(sid)
        raise StoreError("Kunde inte skapa en unik kod; försök igen.")  # pragma: no cover

    def session(self, session_id: int) -> Session:
        """The session with this id; :class:`UnknownSession` if there is none."""
        with self._read() as c:
            row = c.execute(sa.select(sessions).where(sessions.c.id == session_id)).mappings().first()
        if row is None:
            raise UnknownSession(f"Passet {session_id} finns inte.")
        return _session(row)

    def session_by_code(self, code: str | None, *, participant: bool = False) -> Session:
        """The session with this join code (see :func:`normalise_code`); :class:`UnknownSession` if none."""
        code = normalise_code(code)
        if not code:
            raise UnknownSession("Skriv koden som den som leder passet visar.")
        with self._read(participant) as c:
            row = c.execute(sa.select(sessions).where(sessions.c.code == code)).mappings().first()
        if row is None:
            raise UnknownSession(f"Det finns inget pass med koden {code[:12]}. Kontrollera koden och försök igen.")
        return _session(row)

    def sessions(self) -> list[Session]:
        """Every session, newest first."""
        with self._read() as c:
            rows = c.execute(
                sa.select(sessions).order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
            ).mappings()
            return [_session(r) for r in rows]

    # -- details and the room's state ------------------------------------
    @staticmethod
    def _checked_details(**given: Any) -> dict[str, Any]:
        """The given detail fields, checked and in the columns' form; a Swedish StoreError if one is wrong."""
        out: dict[str, Any] = {}
        for name, value in given.items():
            if name == "audience":
                if value not in (None, "", *AUDIENCES):
                    raise StoreError("Okänd målgrupp; välj förtroendevalda, tjänstepersoner eller alla.")
                out[name] = value or None
            elif name == "exercises":
                if value is None:
                    out[name] = None
                    continue
                ids = list(value) if isinstance(value, (list, tuple)) else None
                if (
                    ids is None
                    or len(ids) > MAX_EXERCISES
                    or not all(isinstance(e, str) and ID_RE.fullmatch(e) for e in ids)
                ):
                    raise StoreError("Listan över övningar är ogiltig.")
                out[name] = json.dumps(list(dict.fromkeys(ids)))
            elif name == "mode":
                if value not in MODES:
                    raise StoreError("Okänt läge; välj handledarstyrt eller i egen takt.")
                out[name] = value
            elif name in ("organisation", "place"):
                text = " ".join(str(value or "").split())
                if len(text) > 120:
                    raise StoreError("Organisation och plats får vara högst 120 tecken.")
                out[name] = text
            elif name == "held_on":
                text = str(value or "").strip()
                if text:
                    try:
                        text = dt.date.fromisoformat(text).isoformat()
                    except ValueError:
                        raise StoreError("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-02-10.") from None
                out[name] = text
            elif name == "conclusions":
                text = str(value or "").replace("\r\n", "\n").strip()
                if len(text) > MAX_CONCLUSIONS_CHARS:
                    raise StoreError(f"Slutsatserna får vara högst {MAX_CONCLUSIONS_CHARS} tecken.")
                out[name] = text
            else:  # pragma: no cover - a programming error, not input
                raise TypeError(name)
        return out

    def details(self, session_id: int) -> Details:
        """The session's details and room state (the defaults for a session from before they existed)."""
        with self._read(participant=True) as c:
            row = (
                c.execute(sa.select(session_details).where(session_details.c.session_id == session_id))
                .mappings()
                .first()
            )
        return _details(row)

    def set_details(self, code: str, **fields: Any) -> Details:
        """Change the session's audience, exercises, organisation, place, date (``held_on``) or conclusions."""
        values = self._checked_details(**fields)
        session = self.session_by_code(code)
        with self._write() as c:
            self._ensure_details(c, session.id)
            if values:
                c.execute(session_details.update().where(session_details.c.session_id == session.id).values(**values))
        return self.details(session.id)

    @staticmethod
    def _ensure_details(c: sa.Connection, session_id: int) -> None:
        exists = c.execute(
            sa.select(session_details.c.session_id).where(session_details.c.session_id == session_id)
        ).first()
        if exists is None:
            c.execute(session_details.insert().values(session_id=session_id))

    _UNSET: Any = object()

    def set_room(
        self,
        code: str,
        *,
        mode: str | None = None,
        current: str | None = _UNSET,
        step: int | None = None,
        revealed: bool | None = None,
        countdown: int | None = _UNSET,
    ) -> Details:
        """Change the room's state: the mode, the exercise released (``current``; releasing another hides
        the result again and stops the countdown), the question of it the projector shows (``step``, which
        hides the result again), whether its result is shown, a countdown in seconds
        (None stops it). Each change counts up ``version``, which the participants' pages follow."""
        values: dict[str, Any] = {}
        if mode is not None:
            values.update(self._checked_details(mode=mode))
        if current is not self._UNSET:
            if current is not None and not ID_RE.fullmatch(str(current)):
                raise StoreError("Okänd övning.")
            values.update(current=current, step=0, revealed=False, deadline=None)
        if step is not None:
            if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < 1000:
                raise StoreError("Okänd fråga.")
            values.update(step=step, revealed=False)
        if revealed is not None:
            values["revealed"] = bool(revealed)
        if countdown is not self._UNSET:
            if countdown is None:
                values["deadline"] = None
            elif isinstance(countdown, bool) or not isinstance(countdown, int) or not 5 <= countdown <= MAX_COUNTDOWN:
                raise StoreError(f"Nedräkningen ska vara mellan 5 och {MAX_COUNTDOWN} sekunder.")
            else:
                values["deadline"] = now() + dt.timedelta(seconds=countdown)
        session = self.session_by_code(code)
        with self._write() as c:
            self._ensure_details(c, session.id)
            c.execute(
                session_details.update()
                .where(session_details.c.session_id == session.id)
                .values(version=session_details.c.version + 1, **values)
            )
        return self.details(session.id)

    def rooms(self) -> dict[str, dict[str, Any]]:
        """The room state of every open session, by join code: what the server hands to participants' pages."""
        with self._read() as c:
            rows = c.execute(
                sa.select(sessions.c.code, session_details)
                .join(session_details, session_details.c.session_id == sessions.c.id)
                .where(sessions.c.is_open)
            ).mappings()
            return {r["code"]: _details(r).room() for r in rows}

    @staticmethod
    def _checked_cap(cap: int | None) -> int:
        if cap is None:
            room = os.environ.get("SAMVERKAN_ROOM_SIZE", "")
            cap = min(int(room) if room.isdigit() and int(room) > 0 else DEFAULT_CAP, MAX_PARTICIPANTS)
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_PARTICIPANTS:
            raise StoreError(f"Antalet platser ska vara ett heltal mellan 1 och {MAX_PARTICIPANTS}.")
        return cap

    def cap(self, session_id: int) -> int:
        """How many participants may join the session."""
        with self._read() as c:
            return self._cap(c, session_id)

    def _cap(self, c: sa.Connection, session_id: int) -> int:
        value = c.execute(sa.select(settings.c.value).where(settings.c.name == f"session_cap:{session_id}")).scalar()
        return int(value) if value and value.isdigit() else MAX_PARTICIPANTS  # a session from before caps

    def set_cap(self, code: str, cap: int) -> Session:
        """Let ``cap`` participants join the session (the facilitator raises or lowers it)."""
        cap = self._checked_cap(cap)
        session = self.session_by_code(code)
        with self._write() as c:
            self._upsert_setting(c, f"session_cap:{session.id}", str(cap), replace=True)
        return session

    def remove_silent(self, code: str) -> int:
        """Remove the session's participants who have not answered anything; returns how many.

        A script that filled the session with joins is undone this way; a real participant who
        had not answered yet is asked to join again by their own page.
        """
        session = self.session_by_code(code)
        with self._write() as c:
            answered = sa.select(answers.c.participant_id).where(answers.c.session_id == session.id)
            result = c.execute(
                participants.delete().where(participants.c.session_id == session.id, participants.c.id.not_in(answered))
            )
        return int(result.rowcount or 0)

    def set_open(self, code: str, is_open: bool) -> Session:
        """Open or close the session with this code; returns it as it is now."""
        session = self.session_by_code(code)
        with self._write() as c:
            c.execute(
                sessions.update()
                .where(sessions.c.id == session.id)
                .values(is_open=is_open, closed_at=None if is_open else now())
            )
        return self.session(session.id)

    # -- participants -----------------------------------------------------
    def join(self, code: str | None, group: str | None = None, token: str | None = None) -> Participant:
        """A new anonymous participant in an open session; returns it with its token (``token``: use this one)."""
        group = self._checked_group(group)
        session = self.session_by_code(code, participant=True)
        if not session.is_open:
            raise SessionClosed(f"Passet {session.code} är stängt. Fråga den som leder passet.")
        token = token or secrets.token_urlsafe(18)
        with self._write(participant=True) as c:
            # Lock the session's row while counting (PostgreSQL; SQLite's BEGIN IMMEDIATE locks the file):
            # two joins at once on two servers must not both take the last place.
            still_open = c.execute(
                sa.select(sessions.c.is_open).where(sessions.c.id == session.id).with_for_update(key_share=True)
            ).scalar_one()
            if not still_open:
                raise SessionClosed(f"Passet {session.code} är stängt. Fråga den som leder passet.")
            count = c.execute(
                sa.select(sa.func.count()).select_from(participants).where(participants.c.session_id == session.id)
            ).scalar_one()
            if count >= min(self._cap(c, session.id), MAX_PARTICIPANTS):
                raise StoreError("Passet är fullt. Säg till den som leder passet.")
            pid = c.execute(
                participants.insert().values(token=token, session_id=session.id, grp=group, joined_at=now())
            ).inserted_primary_key[0]
        return Participant(pid, token, session, group)

    @staticmethod
    def _checked_group(group: str | None) -> str | None:
        group = (group or "").strip() or None
        if group is not None and not GROUP_RE.fullmatch(group):
            raise StoreError("Välj ett bord i listan, eller inget bord.")
        return group

    # A join form that is sent takes no place yet: it gives a signed ticket, and the place is taken when
    # the participant's page opens with it (redeem). Thousands of join requests from a script then store
    # nothing and fill no session; only opened pages, which each cost the sender a kernel, count.
    def _join_secret(self) -> bytes:
        if self._secret is None:
            with self._write() as c:
                self._upsert_setting(c, "join_secret", secrets.token_hex(32), replace=False)
                self._secret = bytes.fromhex(
                    c.execute(sa.select(settings.c.value).where(settings.c.name == "join_secret")).scalar_one()
                )
        return self._secret

    @staticmethod
    def _ticket_sig(secret: bytes, code: str, group: str | None, token: str, stamp: int) -> str:
        message = f"{code}|{group or ''}|{token}|{stamp}".encode()
        return hmac.new(secret, message, "sha256").hexdigest()[:32]

    def join_ticket(self, code: str | None, group: str | None = None) -> tuple[Session, str, str]:
        """Check a join (the session exists and is open, the table is valid) without storing anything;
        returns (session, token, ticket). :meth:`redeem` turns the ticket into a participant."""
        group = self._checked_group(group)
        session = self.cached_session(code)
        if session is None:
            session = self.session_by_code(code, participant=True)
            self._sessions_seen[session.code] = (session, time.monotonic() + SESSION_CACHE_SECONDS)
        if not session.is_open:
            raise SessionClosed(f"Passet {session.code} är stängt. Fråga den som leder passet.")
        token = secrets.token_urlsafe(18)
        stamp = int(time.time())
        return session, token, f"{stamp}.{self._ticket_sig(self._join_secret(), session.code, group, token, stamp)}"

    def cached_session(self, code: str | None) -> Session | None:
        """The session for ``code`` if it was looked up in the last :data:`SESSION_CACHE_SECONDS` (a room
        arriving, or a script flooding the join form, asks for the same code again and again)."""
        hit = self._sessions_seen.get(normalise_code(code))
        if hit is None or hit[1] < time.monotonic():
            if len(self._sessions_seen) > 1000:
                self._sessions_seen.clear()
            return None
        return hit[0]

    def redeem(
        self, code: str | None, token: str, ticket: str, group: str | None = None, max_age: float = TICKET_SECONDS
    ) -> Participant:
        """The participant behind ``token``: the existing one, or a new one if ``ticket`` is a valid,
        fresh ticket from :meth:`join_ticket` for this code, table and token (the place is taken now)."""
        try:
            return self.participant(token)
        except UnknownSession:
            pass
        group = self._checked_group(group)
        session = self.session_by_code(code, participant=True)
        stamp_text, _, sig = (ticket or "").partition(".")
        if not stamp_text.isdigit() or not TOKEN_RE.fullmatch(token or ""):
            raise UnknownSession("Länken saknar en giltig deltagarkod. Gå med i passet igen från startsidan.")
        stamp = int(stamp_text)
        good = hmac.compare_digest(
            sig.encode(), self._ticket_sig(self._join_secret(), session.code, group, token, stamp).encode()
        )
        if not good or not 0 <= time.time() - stamp <= max_age:
            raise UnknownSession("Länken har gått ut. Gå med i passet igen från startsidan.")
        try:
            return self.join(session.code, group, token=token)
        except sa.exc.IntegrityError:  # the same ticket redeemed twice at once: the other one won
            return self.participant(token)

    def participant(self, token: str | None) -> Participant:
        """The participant whose token this is, with their session; :class:`UnknownSession` if none."""
        if not token or not TOKEN_RE.fullmatch(token):
            raise UnknownSession("Länken saknar en giltig deltagarkod. Gå med i passet igen från startsidan.")
        with self._read(participant=True) as c:
            row = (
                c.execute(
                    sa.select(participants.c.id.label("pid"), participants.c.token, participants.c.grp, sessions)
                    .join(sessions, sessions.c.id == participants.c.session_id)
                    .where(participants.c.token == token)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise UnknownSession("Den här länken hör inte till något pass. Gå med i passet igen från startsidan.")
        return Participant(row["pid"], row["token"], _session(row), row["grp"])

    # -- answers ----------------------------------------------------------
    def record(
        self,
        token: str,
        exercise_id: str,
        item_id: str,
        kind: str,
        value: Any,
        correct: bool | None = None,
        extra: dict | None = None,
    ) -> None:
        """Store one answer: the latest for the item is replaced (never a second row), and a changed
        answer is added to the log, where the first one stays what the statistics count."""
        if not ID_RE.fullmatch(exercise_id or "") or not ID_RE.fullmatch(item_id or ""):
            raise StoreError("Svaret har en ogiltig fråga och sparades inte.")
        if kind not in KINDS:
            raise StoreError("Svaret har en okänd typ och sparades inte.")
        value_json = json.dumps(value, ensure_ascii=False)
        extra_json = json.dumps(extra or {}, ensure_ascii=False)
        if len(value_json) > MAX_VALUE_CHARS or len(extra_json) > 2000:
            raise StoreError("Svaret är för långt och sparades inte.")
        if correct is not None:
            correct = bool(correct)
        if not token or not TOKEN_RE.fullmatch(token):
            raise UnknownSession("Länken saknar en giltig deltagarkod.")
        stamp = now()
        with self._write(participant=True) as c:
            row = c.execute(
                sa.select(participants.c.id, participants.c.session_id, sessions.c.is_open)
                .join(sessions, sessions.c.id == participants.c.session_id)
                .where(participants.c.token == token)
            ).first()
            if row is None:
                raise UnknownSession("Den här länken hör inte till något pass; svaret sparades inte.")
            if not row.is_open:
                raise SessionClosed("Passet är stängt, så svaret sparades inte.")
            latest = c.execute(
                sa.select(answers.c.value).where(
                    answers.c.participant_id == row.id,
                    answers.c.exercise_id == exercise_id,
                    answers.c.item_id == item_id,
                )
            ).scalar()
            given = {  # one answer, as the log keeps it and as the latest answer
                "session_id": row.session_id,
                "participant_id": row.id,
                "exercise_id": exercise_id,
                "item_id": item_id,
                "kind": kind,
                "value": value_json,
                "correct": correct,
                "extra": extra_json,
                "answered_at": stamp,
            }
            if latest != value_json:  # a retried click with the same answer is not a revision
                kept = c.execute(
                    sa.select(sa.func.count()).where(
                        answer_log.c.participant_id == row.id,
                        answer_log.c.exercise_id == exercise_id,
                        answer_log.c.item_id == item_id,
                    )
                ).scalar_one()
                if kept < MAX_REVISIONS:
                    c.execute(answer_log.insert().values(**given))
            stmt = self._insert(answers).values(**given)
            stmt = stmt.on_conflict_do_update(
                index_elements=["participant_id", "exercise_id", "item_id"],
                set_={"kind": kind, "value": value_json, "correct": correct, "extra": extra_json, "answered_at": stamp},
            )
            c.execute(stmt)

    def save_reading(self, token: str, lesson: str, state: dict[str, Any]) -> None:
        """Keep a reader's state (audience, level, page, answers) behind its personal link; the last save wins."""
        if not _reading_key(token, lesson):
            raise StoreError("Länken är inte giltig, så din plats sparades inte.")
        text = json.dumps(state, ensure_ascii=False)
        if len(text) > MAX_READING_CHARS:
            raise StoreError("Svaren är för långa för att sparas; korta ett fritextsvar.")
        stamp = now()
        with self._write(participant=True) as c:
            stmt = self._insert(readings).values(token=token, lesson=lesson, state=text, updated_at=stamp)
            c.execute(
                stmt.on_conflict_do_update(
                    index_elements=["token", "lesson"], set_={"state": text, "updated_at": stamp}
                )
            )

    def reading(self, token: str, lesson: str) -> dict[str, Any] | None:
        """The state saved behind a personal link for this lesson, or None."""
        if not _reading_key(token, lesson):
            return None
        with self._read(participant=True) as c:
            text = c.execute(
                sa.select(readings.c.state).where(readings.c.token == token, readings.c.lesson == lesson)
            ).scalar()
        if text is None:
            return None
        try:
            state = json.loads(text)
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

    def progress(self, token: str) -> dict[tuple[str, str], Any]:
        """The participant's stored answers: ``{(exercise_id, item_id): value}``."""
        with self._read(participant=True) as c:
            rows = c.execute(
                sa.select(answers.c.exercise_id, answers.c.item_id, answers.c.value)
                .join(participants, participants.c.id == answers.c.participant_id)
                .where(participants.c.token == token)
                .order_by(answers.c.answered_at, answers.c.id)
            )
            return {(r.exercise_id, r.item_id): json.loads(r.value) for r in rows}

    def stats(self, session_id: int) -> Stats:
        """The session's counts: joined, items answered, participants who answered, revisions, last answer."""
        with self._read() as c:
            n_part = c.execute(
                sa.select(sa.func.count()).select_from(participants).where(participants.c.session_id == session_id)
            ).scalar_one()
            n_ans, n_who, last = c.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count(sa.distinct(answers.c.participant_id)),
                    sa.func.max(answers.c.answered_at),
                ).where(answers.c.session_id == session_id)
            ).one()
            n_log = c.execute(
                sa.select(sa.func.count()).select_from(answer_log).where(answer_log.c.session_id == session_id)
            ).scalar_one()
        return Stats(n_part, n_ans, _aware(last), n_who, max(0, n_log - n_ans))

    def answers(self, session_id: int, which: str = "first") -> list[dict[str, Any]]:
        """The session's answers, oldest first, with a participant number instead of the token.

        ``which``: ``"first"`` (the default, what statistics count) the first answer to each item, with
        ``revisions`` (how often it was changed) and ``latest`` (the value it has now); ``"latest"`` the
        answer each item has now; ``"all"`` every answer given, with ``revision`` (1 for the first).
        """
        if which not in ("first", "latest", "all"):
            raise ValueError(which)
        if which == "latest":
            return self._latest_answers(session_id)
        with self._read() as c:
            numbers = self._numbers(c, session_id)
            rows = (
                c.execute(
                    sa.select(answer_log, participants.c.grp)
                    .join(participants, participants.c.id == answer_log.c.participant_id)
                    .where(answer_log.c.session_id == session_id)
                    .order_by(answer_log.c.id)
                )
                .mappings()
                .all()
            )
            now_values = {
                (r.participant_id, r.exercise_id, r.item_id): r.value
                for r in c.execute(
                    sa.select(
                        answers.c.participant_id, answers.c.exercise_id, answers.c.item_id, answers.c.value
                    ).where(answers.c.session_id == session_id)
                )
            }
        out: list[dict[str, Any]] = []
        first: dict[tuple, dict[str, Any]] = {}
        for r in rows:
            key = (r["participant_id"], r["exercise_id"], r["item_id"])
            row = _answer_row(r, numbers)
            seen = first.get(key)
            if seen is None:
                row["revision"] = 1
                row["revisions"] = 0
                row["latest"] = row["value"]
                first[key] = row
                out.append(row)
            else:
                seen["revisions"] += 1
                seen["latest"] = row["value"]
                if which == "all":
                    row["revision"] = seen["revisions"] + 1
                    out.append(row)
        if which == "all":
            for row in out:
                row.pop("revisions", None)
                row.pop("latest", None)
        else:  # the answer as it is now (changes beyond MAX_REVISIONS update it but are not logged)
            for key, row in first.items():
                if key in now_values:
                    row["latest"] = json.loads(now_values[key])
        return out

    def _numbers(self, c: sa.Connection, session_id: int) -> dict[int, int]:
        """Participant row id → number in the session (1, 2, … in the order they joined)."""
        ids = c.execute(
            sa.select(participants.c.id).where(participants.c.session_id == session_id).order_by(participants.c.id)
        ).scalars()
        return {pid: n for n, pid in enumerate(ids, start=1)}

    def _latest_answers(self, session_id: int) -> list[dict[str, Any]]:
        with self._read() as c:
            numbers = self._numbers(c, session_id)
            rows = (
                c.execute(
                    sa.select(answers, participants.c.grp)
                    .join(participants, participants.c.id == answers.c.participant_id)
                    .where(answers.c.session_id == session_id)
                    .order_by(answers.c.answered_at, answers.c.id)
                )
                .mappings()
                .all()
            )
        return [_answer_row(r, numbers) for r in rows]

    def iter_groups(self, session_id: int) -> Iterator[tuple[str | None, int]]:
        """(table, participant count) for each table in the session; None is those who chose no table."""
        with self._read() as c:
            rows = c.execute(
                sa.select(participants.c.grp, sa.func.count())
                .where(participants.c.session_id == session_id)
                .group_by(participants.c.grp)
            )
            yield from ((r[0], r[1]) for r in rows)


def _answer_row(r: Any, numbers: dict[int, int]) -> dict[str, Any]:
    """A stored answer row as the report, summary and export read it (the token never leaves the store)."""
    return {
        "participant": numbers.get(r["participant_id"], 0),
        "group": r["grp"],
        "exercise_id": r["exercise_id"],
        "item_id": r["item_id"],
        "kind": r["kind"],
        "value": json.loads(r["value"]),
        "correct": r["correct"],
        "extra": json.loads(r["extra"] or "{}"),
        "answered_at": _aware(r["answered_at"]),
    }


def _details(row: Any) -> Details:
    """A ``session_details`` row (or None: the defaults) as :class:`Details`."""
    if row is None:
        return Details()
    try:
        exercises = json.loads(row["exercises"]) if row["exercises"] else None
    except ValueError:
        exercises = None
    return Details(
        audience=row["audience"],
        exercises=tuple(e for e in exercises if isinstance(e, str)) if isinstance(exercises, list) else None,
        organisation=row["organisation"] or "",
        place=row["place"] or "",
        held_on=row["held_on"] or "",
        conclusions=row["conclusions"] or "",
        mode=row["mode"] if row["mode"] in MODES else "egen_takt",
        current=row["current"],
        step=int(row["step"] or 0),
        revealed=bool(row["revealed"]),
        deadline=_aware(row["deadline"]),
        version=int(row["version"] or 0),
    )


def _reading_key(token: str | None, lesson: str | None) -> bool:
    """Whether a personal link's token and lesson id have the shapes the store keeps."""
    return bool(token and TOKEN_RE.fullmatch(token) and ID_RE.fullmatch(lesson or ""))


def _server_full(exc: sa.exc.OperationalError) -> bool:
    text = str(exc.orig)
    return "too many clients" in text or "remaining connection slots are reserved" in text


def unreachable_message(url: sa.URL, exc: BaseException) -> str:
    """What to check when the database cannot be used, in Swedish, with the driver's own words last."""
    where = url.render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", exc) or exc).strip()
    detail = " ".join(detail.split())[:300]
    if url.get_backend_name() == "sqlite":
        return f"Kan inte använda databasfilen {url.database}: {detail}"
    host = f"{url.host or 'localhost'}:{url.port or 5432}"
    low = detail.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        why = f"fel användarnamn eller lösenord för {url.username!r}. Kontrollera användare och lösenord i --db."
    elif "does not exist" in low and "database" in low:
        why = (
            f"databasen {url.database!r} finns inte på {host}. Skapa den först "
            "(se docs/driftsattning.md, ”Skapa roll och databas”)."
        )
    elif "no pg_hba.conf entry" in low:
        why = f"databasservern på {host} tar inte emot anslutningar från den här datorn (se pg_hba.conf)."
    elif "too many clients" in low or "remaining connection slots" in low:
        why = f"databasservern på {host} har inga lediga anslutningar (höj max_connections)."
    elif "connection refused" in low:
        why = (
            f"ingen databasserver svarar på {host}. Kontrollera att PostgreSQL är igång och att "
            "adress och port stämmer."
        )
    elif "timeout" in low or "timed out" in low:
        why = f"databasservern på {host} svarade inte i tid. Kontrollera adressen och nätverket."
    elif "translate host name" in low or "name or service not known" in low:
        why = f"datornamnet {url.host!r} är okänt. Kontrollera adressen i --db."
    elif "server closed the connection" in low or "terminating connection" in low or "consuming input failed" in low:
        why = f"förbindelsen med databasservern på {host} bröts. Försök igen om en stund."
    else:
        why = f"databasen på {host} gick inte att använda."
    return f"Kan inte nå databasen {where}: {why} (PostgreSQL svarade: {detail})"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite returns naive datetimes; they were stored as UTC
    return value


def _session(row: Any) -> Session:
    created = _aware(row["created_at"])
    assert created is not None  # the column is NOT NULL
    return Session(
        row["id"],
        row["code"],
        row["name"],
        row["lesson"],
        row["level"],
        bool(row["is_open"]),
        created,
    )


def new_code(length: int) -> str:
    """A random code of ``length`` characters from :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str | None) -> str:
    """A typed session code as stored: spaces and dashes dropped, upper case, at most 40 characters."""
    if not code:
        return ""
    return re.sub(r"[\s-]", "", str(code))[:40].upper()
