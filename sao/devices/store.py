"""Raw-SQL reads and writes on the hot path of the push endpoints and of the punch ingest.

Building these statements with the ORM took most of the server's CPU time per push POST
(about 7 ms for a 50-line batch). The SQL here is fixed text with parameters, and rows are
turned into model instances with the same converters the ORM applies, so callers get the
usual `Device` objects. Table and column names come from the models, never from input.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

from sao.devices.models import Device, PinMapping, RawUpload
from sao.org.models import Unit


@functools.lru_cache(maxsize=16)
def _row_loader(model: type[Model], vendor: str) -> tuple[list[str], list[str], list[list]]:
    """Return a model's column names, attribute names and per-column converters for a vendor."""
    fields = model._meta.concrete_fields
    columns = [field.column for field in fields]
    attnames = [field.attname for field in fields]
    converters = []
    for field in fields:
        expression = field.get_col(model._meta.db_table)
        converters.append([*connection.ops.get_db_converters(expression),
                           *expression.get_db_converters(connection)])
    return columns, attnames, converters


def _instance(model: type[Model], values: Sequence) -> Model:
    """Build a model instance from raw column values in `concrete_fields` order."""
    _columns, attnames, converters = _row_loader(model, connection.vendor)
    converted = []
    for value, functions in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, None, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


def _select_list(model: type[Model], alias: str) -> str:
    columns, _attnames, _converters = _row_loader(model, connection.vendor)
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(column)}" for column in columns)


# The statements are built once per database vendor: quoting names showed in profiles.


@functools.lru_cache(maxsize=4)
def _device_find_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {_select_list(Device, 'd')}, {_select_list(Unit, 'u')} "  # noqa: S608
        f"FROM {quote(Device._meta.db_table)} d "
        f"LEFT JOIN {quote(Unit._meta.db_table)} u ON u.{quote('id')} = d.{quote('unit_id')} "
        f"WHERE d.{quote('serial')} = %s"
    )


def device_find(*, serial: str) -> Device | None:
    """Return the device with this serial and its unit (one query), or None."""
    device_columns = len(Device._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(_device_find_sql(connection.vendor), [serial])
        row = cursor.fetchone()
    if row is None:
        return None

    device = _instance(Device, row[:device_columns])
    unit = _instance(Unit, row[device_columns:]) if device.unit_id is not None else None
    Device.unit.field.set_cached_value(device, unit)
    return device


@functools.lru_cache(maxsize=64)
def _device_update_sql(vendor: str, names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(Device._meta.get_field(name).column)} = %s" for name in names)
    return f"UPDATE {quote(Device._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608


def device_update(*, device_id: int, values: dict) -> None:
    """Set device columns by attribute name in one UPDATE. Datetimes must be aware."""
    if not values:
        return
    sql = _device_update_sql(connection.vendor, tuple(values))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(_adapt(value) for value in values.values()), device_id])


@functools.lru_cache(maxsize=4)
def _punch_times_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    last_punch = quote("last_punch_at")
    first_data = quote("first_data_at")
    return (
        f"UPDATE {quote(Device._meta.db_table)} SET "  # noqa: S608
        f"{last_punch} = {greatest}(COALESCE({last_punch}, %s), %s), "
        f"{first_data} = COALESCE({first_data}, %s) WHERE {quote('id')} = %s"
    )


def device_punch_times_update(*, device_id: int, newest: dt.datetime,
                              received_at: dt.datetime) -> None:
    """Raise the device's last punch time to `newest` and set its first data time once."""
    newest_value = _adapt(newest)
    with connection.cursor() as cursor:
        cursor.execute(_punch_times_sql(connection.vendor),
                       [newest_value, newest_value, _adapt(received_at), device_id])


@functools.lru_cache(maxsize=4)
def _raw_upload_insert_sql(vendor: str) -> tuple[list, str]:
    # Every column but the id, because the model's defaults exist in Python only, not in the table.
    fields = [field for field in RawUpload._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}".format(  # noqa: S608
        table=quote(RawUpload._meta.db_table),
        columns=", ".join(quote(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
        pk=quote("id"),
    )
    return fields, sql


def raw_upload_insert(*, device: Device | None, serial: str, source: str, table: str,
                      received_at: dt.datetime, body: bytes, filename: str = "",
                      query_string: str = "", content_type: str = "") -> RawUpload:
    """Insert one raw upload row and return it as a saved RawUpload."""
    upload = RawUpload(device=device, serial=serial, source=source, table=table,
                       received_at=received_at, body=body, size=len(body), filename=filename,
                       query_string=query_string, content_type=content_type)
    fields, sql = _raw_upload_insert_sql(connection.vendor)
    params = [field.get_db_prep_save(getattr(upload, field.attname), connection)
              for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        upload.pk = cursor.fetchone()[0]
    upload._state.adding = False
    upload._state.db = connection.alias
    return upload


@functools.lru_cache(maxsize=4)
def _counts_update_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    added = [quote(name) for name in ("accepted_count", "duplicate_count", "quarantined_count")]
    return (
        f"UPDATE {quote(RawUpload._meta.db_table)} SET {quote('parsed_at')} = %s, "  # noqa: S608
        f"{quote('line_count')} = %s, "
        + ", ".join(f"{column} = {column} + %s" for column in added)
        + f", {quote('unknown_pin_count')} = %s WHERE {quote('id')} = %s"
    )


def raw_upload_counts_update(*, upload_id: int, parsed_at: dt.datetime, line_count: int,
                             accepted: int, duplicates: int, quarantined: int,
                             unknown_pins: int) -> None:
    """Mark an upload parsed and add this parse's counts to it."""
    with connection.cursor() as cursor:
        cursor.execute(_counts_update_sql(connection.vendor),
                       [_adapt(parsed_at), line_count, accepted, duplicates, quarantined,
                        unknown_pins, upload_id])


@functools.lru_cache(maxsize=64)
def _pin_mapping_sql(vendor: str, pin_count: int, code_count: int) -> str:
    quote = connection.ops.quote_name
    if vendor == "postgresql":
        pins, codes = "= ANY(%s)", "= ANY(%s)"
    else:
        pins = "IN ({})".format(", ".join(["%s"] * pin_count))
        codes = "IN ({})".format(", ".join(["%s"] * code_count)) if code_count else "IN (NULL)"
    return (
        f"SELECT m.{quote('pin')}, m.{quote('employee_id')}, m.{quote('device_id')}, "  # noqa: S608
        f"u.{quote('depth')}, m.{quote('valid_from')}, m.{quote('valid_to')} "
        f"FROM {quote(PinMapping._meta.db_table)} m "
        f"LEFT JOIN {quote(Unit._meta.db_table)} u ON u.{quote('id')} = m.{quote('unit_id')} "
        f"WHERE m.{quote('pin')} {pins} "
        f"AND (m.{quote('device_id')} = %s OR u.{quote('code')} {codes})"
    )


def pin_mappings_fetch(*, device_id: int, unit_codes: Sequence[str], pins: Sequence[str],
                       ) -> list[tuple[str, int, int | None, int | None, dt.date, dt.date | None]]:
    """Return (pin, employee id, device id, unit depth, valid from, valid to) of the mappings.

    A mapping applies when it names the device or one of `unit_codes`, the codes of the
    device's unit and of every unit above it.
    """
    pins = list(pins)
    codes = list(unit_codes)
    if connection.vendor == "postgresql":
        sql = _pin_mapping_sql(connection.vendor, 0, 0)
        params = [pins, device_id, codes]
    else:
        sql = _pin_mapping_sql(connection.vendor, len(pins), len(codes))
        params = [*pins, device_id, *codes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(pin, employee_id, mapped_device, depth, _date(valid_from), _date(valid_to))
            for pin, employee_id, mapped_device, depth, valid_from, valid_to in rows]


def _date(value) -> dt.date | None:
    # SQLite returns dates as ISO text.
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
