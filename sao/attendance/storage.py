"""Storing computed DailyResult rows: only new and changed rows are written.

Every row carries `values_hash`, a 64-bit hash of its stored values (`row_hash`). Before writing a
chunk, the recompute reads the keys and hashes already stored for it (`load_stored`) and sorts its
rows into unchanged (skipped), changed and new. Stored rows without a counterpart are stale and
deleted.

On PostgreSQL new rows are copied straight into the table with COPY, and changed rows are copied
into a temporary staging table and merged with one INSERT ... ON CONFLICT DO UPDATE. On SQLite
both go through an `executemany` upsert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.db import IntegrityError, connection, transaction

from sao.attendance.models import DailyResult

logger = logging.getLogger("sao.attendance.compute")

WRITE_BATCH_SIZE = 5000

# Columns of a result row, in the order of the tuples built by sao.attendance.rows.
COLUMNS = (
    "employee_id",
    "date",
    "shift_code",
    "unit_id",
    "status",
    "is_working_day",
    "check_in",
    "check_out",
    "late_minutes",
    "early_minutes",
    "late_code",
    "early_code",
    "worked_minutes",
    "flags",
    "absence_code",
    "holiday_name",
    "rule_version",
    "explanation",
    "values_hash",
    "computed_at",
)
KEY_COLUMNS = ("employee_id", "date", "shift_code")
DATETIME_COLUMNS = (COLUMNS.index("check_in"), COLUMNS.index("check_out"), COLUMNS.index("computed_at"))
DATE_COLUMN = COLUMNS.index("date")
HASH_COLUMN = COLUMNS.index("values_hash")
STAGING_TABLE = "attendance_dailyresult_staging"

# Stands for a missing number or instant inside the hash tuple, because hash(None) differs
# between CPython 3.11 processes.
MISSING = -(2**62)


_TEXT_HASHES: dict[tuple, int] = {}


def text_hash(
    status: str,
    late_code: str,
    early_code: str,
    flags: tuple[str, ...],
    absence_code: str,
    holiday_name: str,
    rule_version: str,
) -> int:
    """Return a 64-bit hash of a result's text values that is the same in every process.

    hash() of a str is salted per process, so the texts go through BLAKE2b. Results repeat few
    combinations of these values, so each combination is hashed once per process.
    """
    key = (status, late_code, early_code, flags, absence_code, holiday_name, rule_version)
    value = _TEXT_HASHES.get(key)
    if value is None:
        text = "\x1f".join(
            (status, late_code, early_code, "\x1e".join(flags), absence_code, holiday_name, rule_version)
        )
        value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)
        if len(_TEXT_HASHES) > 100_000:
            _TEXT_HASHES.clear()
        _TEXT_HASHES[key] = value
    return value


def row_hash(
    unit_id: int,
    texts: int,
    is_working_day: bool,
    check_in: int | None,
    check_out: int | None,
    late_minutes: int | None,
    early_minutes: int | None,
    worked_minutes: int | None,
) -> int:
    """Return the 64-bit hash of a result's stored values, with `texts` from `text_hash`.

    Instants are microseconds since the epoch. CPython hashes a tuple of ints the same way in
    every process (only str and bytes hashing is salted), so the value can be stored and compared
    by a later run. Another Python version may hash differently, which costs one rewrite of
    every row and nothing else.
    """
    return hash(
        (
            unit_id,
            texts,
            is_working_day,
            MISSING if check_in is None else check_in,
            MISSING if check_out is None else check_out,
            MISSING if late_minutes is None else late_minutes,
            MISSING if early_minutes is None else early_minutes,
            MISSING if worked_minutes is None else worked_minutes,
        )
    )


def load_stored(
    *, employee_ids: list[int], start: dt.date, end: dt.date
) -> dict[tuple, tuple[int, int | None]]:
    """Return {(employee id, date, shift code): (pk, values_hash)} of the stored rows, in one query."""
    if connection.vendor == "postgresql":
        # A plain cursor, because the ORM's row handling took about four times as long for a
        # 60,000-row read in a measurement on the development machine.
        table = connection.ops.quote_name(DailyResult._meta.db_table)
        sql = (
            "SELECT employee_id, date, shift_code, id, values_hash "  # noqa: S608
            f"FROM {table} WHERE employee_id = ANY(%s) AND date BETWEEN %s AND %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(employee_ids), start, end])
            return {(row[0], row[1], row[2]): (row[3], row[4]) for row in cursor.fetchall()}

    return {
        (employee_id, day, shift_code): (pk, values_hash)
        for pk, employee_id, day, shift_code, values_hash in DailyResult.objects.filter(
            employee_id__in=employee_ids, date__range=(start, end)
        ).values_list("pk", "employee_id", "date", "shift_code", "values_hash")
    }


def write_results(*, new_rows: list[tuple], changed_rows: list[tuple], stale_pks: list[int]) -> None:
    """Insert `new_rows`, update `changed_rows` and delete the rows `stale_pks`, in one transaction.

    Rows are tuples in COLUMNS order with Python values.
    """
    with transaction.atomic():
        for offset in range(0, len(stale_pks), WRITE_BATCH_SIZE):
            DailyResult.objects.filter(pk__in=stale_pks[offset : offset + WRITE_BATCH_SIZE]).delete()
        if connection.vendor == "postgresql":
            _write_postgresql(new_rows, changed_rows)
        else:
            _write_upsert(new_rows + changed_rows)


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def _quoted_columns() -> str:
    return ", ".join(connection.ops.quote_name(column) for column in COLUMNS)


def _write_postgresql(new_rows: list[tuple], changed_rows: list[tuple]) -> None:
    if new_rows:
        try:
            # A savepoint, so a row inserted meanwhile by another recompute only sends these rows
            # through the merge below instead of failing the chunk.
            with transaction.atomic(), connection.wrap_database_errors:
                _copy_rows(DailyResult._meta.db_table, new_rows)
        except IntegrityError:
            logger.warning(
                "%s new results collided with rows stored meanwhile; merging them instead", len(new_rows)
            )
            changed_rows = changed_rows + new_rows
    if changed_rows:
        _merge_rows(changed_rows)


def _copy_rows(table: str, rows: list[tuple]) -> None:
    statement = f"COPY {connection.ops.quote_name(table)} ({_quoted_columns()}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _merge_rows(rows: list[tuple]) -> None:
    """Copy rows into the session's staging table and upsert them into DailyResult."""
    table = connection.ops.quote_name(DailyResult._meta.db_table)
    staging = connection.ops.quote_name(STAGING_TABLE)
    columns = _quoted_columns()
    with connection.cursor() as cursor:
        # The staging table lives as long as the connection and is emptied at every commit.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
    _copy_rows(STAGING_TABLE, rows)

    keys = ", ".join(connection.ops.quote_name(column) for column in KEY_COLUMNS)
    updates = ", ".join(
        f"{name} = excluded.{name}"
        for name in (connection.ops.quote_name(column) for column in COLUMNS if column not in KEY_COLUMNS)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )


# ---------------------------------------------------------------------------------------------
# SQLite (and any other backend)


def _upsert_sql() -> str:
    """Return the INSERT ... ON CONFLICT DO UPDATE statement for one row."""
    table = connection.ops.quote_name(DailyResult._meta.db_table)
    placeholders = ", ".join("%s" for _column in COLUMNS)
    keys = ", ".join(connection.ops.quote_name(column) for column in KEY_COLUMNS)
    updates = ", ".join(
        f"{name} = excluded.{name}"
        for name in (connection.ops.quote_name(column) for column in COLUMNS if column not in KEY_COLUMNS)
    )
    # Every name comes from the model and COLUMNS, and values travel as parameters.
    return (
        f"INSERT INTO {table} ({_quoted_columns()}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def _write_upsert(rows: list[tuple]) -> None:
    if not rows:
        return
    adapt_date = connection.ops.adapt_datefield_value
    adapt_datetime = connection.ops.adapt_datetimefield_value
    adapted = []
    for row in rows:
        values = list(row)
        values[DATE_COLUMN] = adapt_date(values[DATE_COLUMN])
        for index in DATETIME_COLUMNS:
            values[index] = adapt_datetime(values[index])
        adapted.append(values)
    sql = _upsert_sql()
    with connection.cursor() as cursor:
        for offset in range(0, len(adapted), WRITE_BATCH_SIZE):
            cursor.executemany(sql, adapted[offset : offset + WRITE_BATCH_SIZE])
