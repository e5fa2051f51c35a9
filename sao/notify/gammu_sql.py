"""Gammu SMSD's SQL service: read received SMS from its `inbox` table, queue SMS in `outbox`.

The tables belong to gammu (schema version 17, the version gammu-smsd 1.42 checks at start-up;
gammu's pgsql.sql and sqlite.sql create them). They live in a database gammu owns, named by
SAO_NOTIFY['gammu_sql_url'] (environment SAO_GAMMU_SQL_URL):
    postgres://USER:PASSWORD@HOST:PORT/NAME     gammu-smsd driver native_pgsql
    sqlite:////var/spool/gammu/smsd.db          gammu-smsd driver sqlite3 (libdbi)
SAO never creates or migrates these tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from sao.notify.concat import CODING_GSM, CODING_UCS2, MessageTooLong, parse_concatenation, split_for_sms

logger = logging.getLogger("sao.notify.sms")

CREATOR_ID = "SAO"
CONNECT_TIMEOUT_SECONDS = 10
# Gammu-smsd itself waits MultipartTimeout (600 s by default, gammu-smsdrc(5)) for the parts of
# a message before storing them. SAO waits six times as long before it requests a resend. The
# margin is a choice, not a measured delay.
INCOMPLETE_AFTER = dt.timedelta(hours=1)
AGE_SECONDS = {
    "postgresql": 'EXTRACT(EPOCH FROM (LOCALTIMESTAMP - "UpdatedInDB"))',
    "sqlite": "(julianday('now') - julianday(\"UpdatedInDB\")) * 86400",
}


_OUTBOX_INSERT = (
    'INSERT INTO outbox ("DestinationNumber", "TextDecoded", "CreatorID", "Coding", "UDH", "Class", '
    '"MultiPart") VALUES (%s, %s, %s, %s, %s, -1, '
)
OUTBOX_INSERT_SINGLE = _OUTBOX_INSERT + "'false')"
OUTBOX_INSERT_MULTIPART = _OUTBOX_INSERT + "'true')"


class GammuSqlError(Exception):
    """Gammu's database could not be reached or rejected a statement; the message names the cause."""


@dataclass(frozen=True)
class InboxPart:
    """One row of gammu's inbox table: a whole SMS, or one part of a concatenated one."""

    id: int
    sender: str
    udh: str
    coding: str
    text_hex: str
    text_decoded: str
    # Seconds since gammu inserted the row, measured by the database clock (see read_unprocessed).
    age_seconds: float


@dataclass(frozen=True)
class InboxMessage:
    """The parts of one received message, in order; `complete` is False when parts are missing."""

    parts: list[InboxPart]
    complete: bool

    @property
    def ids(self) -> list[int]:
        return [part.id for part in self.parts]

    @property
    def sender(self) -> str:
        return self.parts[0].sender

    @property
    def source_name(self) -> str:
        return "gammu-sql:" + ",".join(str(part_id) for part_id in self.ids)

    @property
    def text(self) -> str:
        return join_part_texts(self.parts)


class GammuDatabase:
    """A DB-API connection to gammu's database; SQL is written with %s placeholders for both dialects."""

    def __init__(self, url: str):
        parsed = urlsplit(url or "")
        if parsed.scheme in ("postgres", "postgresql"):
            self.dialect = "postgresql"
        elif parsed.scheme == "sqlite":
            self.dialect = "sqlite"
        else:
            raise GammuSqlError(
                f"Gammu SQL URL {url!r} is not supported; use postgres://USER@HOST:PORT/NAME or "
                "sqlite:////path/to/smsd.db in SAO_GAMMU_SQL_URL."
            )
        self.url = url
        self.path = unquote(parsed.path[1:]) if self.dialect == "sqlite" else ""

    @contextmanager
    def connect(self) -> Iterator[object]:
        """Open a connection, commit on success, roll back on error, and close it."""
        try:
            if self.dialect == "postgresql":
                import psycopg

                connection = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_SECONDS)
            else:
                # mode=rw: a missing file is an error, where a plain connect would create an empty database.
                connection = sqlite3.connect(
                    f"file:{quote(self.path)}?mode=rw", uri=True, timeout=CONNECT_TIMEOUT_SECONDS
                )
        except Exception as exc:  # psycopg.Error and sqlite3.Error share no base class
            raise GammuSqlError(
                f"failed to connect to gammu's database {self._safe_url()}: {exc}; check SAO_GAMMU_SQL_URL"
            ) from exc
        try:
            yield connection
            connection.commit()
        except Exception:
            connection.rollback()
            raise
        finally:
            connection.close()

    def execute(self, connection, sql: str, params: tuple = ()):
        if self.dialect == "sqlite":
            sql = sql.replace("%s", "?")
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
        except Exception as exc:
            raise GammuSqlError(f"gammu's database {self._safe_url()} rejected a statement: {exc}") from exc
        return cursor

    def _safe_url(self) -> str:
        parsed = urlsplit(self.url)
        if parsed.password:
            return self.url.replace(f":{parsed.password}@", ":***@")
        return self.url


def join_part_texts(parts: list[InboxPart]) -> str:
    """Join the texts of the parts in order.

    Gammu 1.42 writes the whole linked text into TextDecoded of the first part and leaves it empty
    in the others, while the Text column contains each part's own text as UCS-2 hex (for both
    text codings). Joining the Text bytes before decoding also keeps a character whose UTF-16
    surrogate pair was cut between two parts.
    """
    if all(part.coding in (CODING_GSM, CODING_UCS2) and part.text_hex for part in parts):
        try:
            data = b"".join(bytes.fromhex(part.text_hex) for part in parts)
        except ValueError:
            data = None
        if data is not None:
            return data.decode("utf-16-be", errors="replace")
    return "".join(part.text_decoded or "" for part in parts)


def group_parts(parts: list[InboxPart]) -> list[InboxMessage]:
    """Group inbox rows into messages by sender and concatenation reference, oldest first.

    A row without a concatenation UDH is a message of its own. The parts of a concatenated
    message are ordered by their part number. The message is complete when every number from 1
    to the part count is present.
    """
    messages: list[InboxMessage] = []
    groups: dict[tuple[str, int, int], dict[int, InboxPart]] = {}
    order: list[tuple[str, int, int]] = []

    for part in sorted(parts, key=lambda row: row.id):
        concatenation = parse_concatenation(part.udh)
        if concatenation is None or concatenation.total <= 1:
            messages.append(InboxMessage(parts=[part], complete=True))
            continue
        key = (part.sender, concatenation.reference, concatenation.total)
        if key not in groups:
            groups[key] = {}
            order.append(key)
        # A part stored twice (gammu retried the insert) keeps its first row.
        groups[key].setdefault(concatenation.number, part)

    for key in order:
        numbered = groups[key]
        total = key[2]
        messages.append(
            InboxMessage(
                parts=[numbered[number] for number in sorted(numbered)],
                complete=set(numbered) == set(range(1, total + 1)),
            )
        )
    return sorted(messages, key=lambda message: min(message.ids))


def read_unprocessed(database: GammuDatabase) -> list[InboxPart]:
    """Return the inbox rows not yet marked Processed, oldest first.

    A row's age comes from UpdatedInDB, which the table's default fills on insert from the
    database's own clock, compared with that same clock. ReceivingDateTime would not do: it is
    the SMSC's time in the gammu host's local time zone.
    """
    age = AGE_SECONDS[database.dialect]
    with database.connect() as connection:
        cursor = database.execute(
            connection,
            f'SELECT "ID", "SenderNumber", "UDH", "Coding", "Text", "TextDecoded", {age} '  # noqa: S608
            "FROM inbox WHERE \"Processed\" = 'false' ORDER BY \"ID\"",
        )
        rows = cursor.fetchall()
    return [
        InboxPart(
            id=row[0],
            sender=row[1] or "",
            udh=row[2] or "",
            coding=row[3] or "",
            text_hex=row[4] or "",
            text_decoded=row[5] or "",
            # UpdatedInDB is rounded to whole seconds, so a fresh row can look slightly negative.
            age_seconds=max(float(row[6] or 0), 0.0),
        )
        for row in rows
    ]


def mark_processed(database: GammuDatabase, ids: list[int]) -> None:
    if not ids:
        return
    placeholders = ", ".join(["%s"] * len(ids))
    with database.connect() as connection:
        database.execute(
            connection,
            f"UPDATE inbox SET \"Processed\" = 'true' WHERE \"ID\" IN ({placeholders})",  # noqa: S608
            tuple(ids),
        )


def is_stale(message: InboxMessage, *, after: dt.timedelta = INCOMPLETE_AFTER) -> bool:
    """Tell whether the oldest part of an incomplete message has waited `after` or longer."""
    return max(part.age_seconds for part in message.parts) >= after.total_seconds()


def queue_outgoing(database: GammuDatabase, *, recipient: str, text: str) -> int:
    """Insert an SMS into gammu's outbox (later parts into outbox_multipart) and return its ID.

    All parts go in one transaction, so gammu-smsd never reads the first part without the rest.
    Raises GammuSqlError when the database rejects the rows or the text is too long.
    """
    try:
        outgoing = split_for_sms(text)
    except MessageTooLong as exc:
        raise GammuSqlError(str(exc)) from exc
    (first_text, first_udh), *later = outgoing.parts
    # MultiPart is a boolean in PostgreSQL and the text 'true'/'false' in SQLite. A quoted literal
    # suits both, but a bound Python bool would be stored as 1 or 0 in SQLite.
    insert = OUTBOX_INSERT_MULTIPART if later else OUTBOX_INSERT_SINGLE
    if database.dialect == "postgresql":
        insert += ' RETURNING "ID"'

    with database.connect() as connection:
        cursor = database.execute(
            connection, insert, (recipient, first_text, CREATOR_ID, outgoing.coding, first_udh)
        )
        outbox_id = cursor.fetchone()[0] if database.dialect == "postgresql" else cursor.lastrowid
        for position, (part_text, part_udh) in enumerate(later, start=2):
            database.execute(
                connection,
                'INSERT INTO outbox_multipart ("ID", "SequencePosition", "TextDecoded", "Coding", '
                '"UDH", "Class") VALUES (%s, %s, %s, %s, %s, -1)',
                (outbox_id, position, part_text, outgoing.coding, part_udh),
            )
    logger.info("Queued SMS %s to %s in gammu's outbox (%s parts)", outbox_id, recipient, len(outgoing.parts))
    return outbox_id
