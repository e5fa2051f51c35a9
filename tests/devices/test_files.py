"""File imports of punches: USB attlog.dat, push ATTLOG text, ZK desktop CSV and XLSX.

Every test reads the real fixture from ../shared/fixtures/cases in place and stores it
through the real ledger and ingest service.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from sao.devices.fileformats import FileFormat, FileRejected, parse_file
from sao.devices.files import ImportStatus, punch_file_import
from sao.devices.models import Device, DeviceStatus, Punch, QuarantinedRecord, RawUpload
from sao.devices.services import device_accept, device_register
from tests.conftest import make_unit, shared_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English; the default language of SAO is Indonesian."""
    with translation.override("en"):
        yield


@pytest.fixture
def unit():
    province = make_unit("PROV", "province")
    return make_unit("OPD-X", "opd", province, name="Dinas X", time_zone="Asia/Makassar")


def register(serial: str, unit, *, commissioned_on=dt.date(2020, 1, 1)) -> Device:
    device, _created = device_register(serial=serial, unit=unit, time_zone="Asia/Makassar",
                                       commissioned_on=commissioned_on, actor_label="test")
    return device


def import_fixture(name: str, **options):
    path = shared_fixture(f"cases/{name}")
    return punch_file_import(data=path.read_bytes(), filename=path.name, **options)


def stored(device: Device) -> list[tuple[str, dt.datetime, int, int, int]]:
    return [
        (punch.pin, punch.local_wall_time, punch.state, punch.verify, punch.workcode)
        for punch in Punch.objects.filter(device=device).order_by("local_time", "pin", "state")
    ]


def test_usb_machine_number_column(unit):
    """Column 3 of a USB file is the machine number, not the state."""
    device = register("USB0000000001", unit)

    summary = import_fixture("BC-01_1_attlog.dat", serial=device.serial)

    assert summary.file_format == FileFormat.USB
    assert summary.accepted == 4
    assert summary.quarantined == 0
    assert summary.warnings == []
    assert stored(device) == [
        ("1001", dt.datetime(2024, 3, 4, 7, 28, 15), 0, 1, 0),
        ("00123", dt.datetime(2024, 3, 4, 7, 41, 2), 0, 15, 0),
        ("1001", dt.datetime(2024, 3, 4, 16, 3, 44), 1, 1, 0),
        ("00123", dt.datetime(2024, 3, 4, 16, 10, 30), 1, 15, 0),
    ]


def test_usb_machine_number_matches_file_name():
    """Every record carries machine number 1, matching the `1_` file name."""
    path = shared_fixture("cases/BC-01_1_attlog.dat")

    parsed = parse_file(path.read_bytes(), filename=path.name)

    assert dict(parsed.machine_numbers) == {1: 4}
    assert [record.pin for record in parsed.records] == ["1001", "1001", "00123", "00123"]


def test_usb_instants_in_wita(unit):
    """A 07:28:15 WITA punch is 23:28:15 UTC the day before."""
    device = register("USB0000000001", unit)

    import_fixture("BC-01_1_attlog.dat", serial=device.serial)

    first = Punch.objects.filter(device=device).order_by("instant").first()
    assert first.instant == dt.datetime(2024, 3, 3, 23, 28, 15, tzinfo=dt.UTC)


def test_usb_file_without_device_fails_clearly(unit):
    """A `1_attlog.dat` names a machine number, not a device, so the import requests the device."""
    summary = import_fixture("BC-01_1_attlog.dat")

    assert summary.status == ImportStatus.FAILED
    assert summary.error_code == "device_required"
    upload = RawUpload.objects.get(pk=summary.upload_id)
    assert bytes(upload.body) == shared_fixture("cases/BC-01_1_attlog.dat").read_bytes()
    assert "choose the device" in upload.parse_error


def test_usb_serial_header_and_trailer(unit):
    """Header and checksum lines are framing; the torn line is rejected by number."""
    device = register("CQZ7231260012", unit)

    summary = import_fixture("BC-02_CQZ7231260012_attlog.dat")

    assert summary.serial == "CQZ7231260012"
    assert RawUpload.objects.get(pk=summary.upload_id).device == device
    assert summary.accepted == 2
    assert summary.quarantined == 1
    assert summary.quarantined_by_reason == {"too_few_columns": [4]}
    assert stored(device) == [
        ("1001", dt.datetime(2024, 3, 5, 7, 26, 40), 0, 1, 0),
        ("1001", dt.datetime(2024, 3, 5, 16, 1, 5), 1, 1, 0),
    ]


def test_usb_serial_header_without_file_name(unit):
    """The header line alone names the device when the file was renamed."""
    device = register("CQZ7231260012", unit)
    data = shared_fixture("cases/BC-02_CQZ7231260012_attlog.dat").read_bytes()

    summary = punch_file_import(data=data, filename="export.dat", file_format=FileFormat.USB)

    assert summary.serial == device.serial
    assert summary.accepted == 2
    assert QuarantinedRecord.objects.get(upload_id=summary.upload_id).raw == "     10"


def test_invalid_lines_quarantined(unit):
    """Four bad lines are quarantined with their reasons; the two good ones are stored."""
    device = register("PUSH000000005", unit, commissioned_on=dt.date(2020, 1, 1))

    summary = import_fixture("BC-05_invalid_lines.attlog", serial=device.serial,
                             file_format=FileFormat.PUSH)

    assert summary.accepted == 2
    assert summary.quarantined == 4
    assert summary.quarantined_by_reason == {
        "empty_pin": [2],
        "before_commissioning": [3],
        "invalid_date": [4],
        "future": [5],
    }
    assert summary.status == ImportStatus.COMPLETED_WITH_WARNINGS
    assert stored(device) == [
        ("1001", dt.datetime(2024, 3, 6, 7, 27, 33), 0, 1, 0),
        ("1001", dt.datetime(2024, 3, 6, 16, 2, 10), 1, 1, 0),
    ]
    assert not Punch.objects.filter(pin__in=["1002", "1003", "1004"]).exists()


def test_xlsx_declared_day_first(unit):
    """Formatted number PIN, real datetime, date-only midnight, dd/mm text, serial number."""
    device = register("XLSX000000017", unit)

    summary = import_fixture("BC-17_punches.xlsx", serial=device.serial, date_order="dmy")

    assert summary.file_format == FileFormat.XLSX
    assert summary.accepted == 6
    assert [(pin, time) for pin, time, *_rest in stored(device)] == [
        ("1001", dt.datetime(2024, 3, 4, 7, 41)),
        ("1003", dt.datetime(2024, 3, 4, 8, 2)),
        ("0012", dt.datetime(2024, 3, 4, 13, 52)),
        ("1001", dt.datetime(2024, 3, 4, 16, 5)),
        ("0012", dt.datetime(2024, 3, 5, 0, 0)),
        ("1002", dt.datetime(2024, 3, 13, 7, 29)),
    ]
    assert len(summary.warnings) == 1
    assert "Line 7" in summary.warnings[0]
    assert "2024-03-04 08:02:00" in summary.warnings[0]


def test_xlsx_without_date_order_stops(unit):
    """Without a declared order, 04/03/2024 is not guessed; nothing is stored."""
    device = register("XLSX000000017", unit)

    summary = import_fixture("BC-17_punches.xlsx", serial=device.serial)

    assert summary.status == ImportStatus.FAILED
    assert summary.error_code == "date_order_required"
    assert "line 4" in summary.error
    assert Punch.objects.count() == 0
    assert RawUpload.objects.filter(pk=summary.upload_id, size__gt=0).exists()


def test_zk_desktop_csv(unit):
    """BOM header, US dates with AM/PM, quoted name with a comma, PINs kept as text."""
    device = register("ZKCSV00000018", unit)

    summary = import_fixture("BC-18_zk_export.csv", serial=device.serial, date_order="mdy")

    assert summary.file_format == FileFormat.ZKCSV
    assert summary.accepted == 4
    assert stored(device) == [
        ("0042", dt.datetime(2024, 3, 4, 7, 29), 0, 0, 0),
        ("0107", dt.datetime(2024, 3, 4, 7, 45), 0, 0, 0),
        ("0107", dt.datetime(2024, 3, 4, 12, 10), 1, 0, 0),
        ("0042", dt.datetime(2024, 3, 4, 16, 2), 1, 0, 0),
    ]


def test_duplicates_collapse_and_reimport_adds_nothing(unit):
    """The triple collapses, same-second out/in both stay, a second import adds 0."""
    device = register("DUP0000000020", unit)

    first = import_fixture("BC-20_duplicates.attlog", serial=device.serial)
    second = import_fixture("BC-20_duplicates.attlog", serial=device.serial)

    assert first.file_format == FileFormat.PUSH
    assert (first.accepted, first.duplicates) == (5, 2)
    assert (second.accepted, second.duplicates) == (0, 7)
    assert stored(device) == [
        ("1001", dt.datetime(2024, 3, 18, 7, 28, 15), 0, 1, 0),
        ("1001", dt.datetime(2024, 3, 18, 7, 28, 17), 0, 1, 0),
        ("1001", dt.datetime(2024, 3, 18, 12, 0), 0, 1, 0),
        ("1001", dt.datetime(2024, 3, 18, 12, 0), 1, 1, 0),
        ("1001", dt.datetime(2024, 3, 18, 16, 3, 44), 1, 1, 0),
    ]


def test_unknown_pins_listed(unit):
    """Punches of unmapped PINs are stored and the summary names the PINs."""
    device = register("DUP0000000020", unit)

    summary = import_fixture("BC-20_duplicates.attlog", serial=device.serial)

    assert summary.unknown_pins == ["1001"]
    assert summary.unknown_pin_count == 1
    assert Punch.objects.filter(employee__isnull=True).count() == 5


def test_pending_device_keeps_file_unparsed():
    """A file for an unknown serial is stored unparsed and adds no punches yet."""
    summary = import_fixture("BC-02_CQZ7231260012_attlog.dat")

    assert summary.status == ImportStatus.DEVICE_PENDING
    device = Device.objects.get(serial="CQZ7231260012")
    assert device.status == DeviceStatus.PENDING
    upload = RawUpload.objects.get(pk=summary.upload_id)
    assert upload.parsed_at is None
    assert upload.device == device
    assert Punch.objects.count() == 0


def test_accepting_device_imports_file(unit):
    """Accepting the pending device replays the stored file: its punches arrive without re-upload."""
    summary = import_fixture("BC-02_CQZ7231260012_attlog.dat")
    device = Device.objects.get(serial="CQZ7231260012")

    device_accept(device=device, unit=unit, time_zone="Asia/Makassar", actor_label="test")

    upload = RawUpload.objects.get(pk=summary.upload_id)
    assert upload.parsed_at is not None
    assert upload.accepted_count == 2
    assert Punch.objects.filter(device=device).count() == 2
    assert QuarantinedRecord.objects.get(upload=upload).line == 4


def test_pending_device_header_serial():
    """A renamed file whose header names an unknown device is linked to it, still unparsed."""
    data = shared_fixture("cases/BC-02_CQZ7231260012_attlog.dat").read_bytes()

    summary = punch_file_import(data=data, filename="export.dat", file_format=FileFormat.USB)

    assert summary.status == ImportStatus.DEVICE_PENDING
    upload = RawUpload.objects.get(pk=summary.upload_id)
    assert upload.device.serial == "CQZ7231260012"
    assert upload.parsed_at is None


def test_batches_report_progress(unit):
    """Small batches call the progress callback after each one, ending at the total."""
    device = register("DUP0000000020", unit)
    seen = []

    summary = import_fixture("BC-20_duplicates.attlog", serial=device.serial, batch_size=3,
                             progress=lambda done, total: seen.append((done, total)))

    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert (summary.accepted, summary.duplicates) == (5, 2)


def test_import_punches_command(unit, capsys):
    register("CQZ7231260012", unit)
    path = shared_fixture("cases/BC-02_CQZ7231260012_attlog.dat")

    call_command("import_punches", str(path))

    output = capsys.readouterr().out
    assert "device CQZ7231260012, format usb" in output
    assert "2 accepted, 0 duplicates, 1 quarantined" in output
    assert "quarantined too_few_columns: lines 4" in output


def test_import_punches_command_date_order(unit):
    register("XLSX000000017", unit)
    path = shared_fixture("cases/BC-17_punches.xlsx")

    with pytest.raises(CommandError, match="choose the date order"):
        call_command("import_punches", str(path), "--device", "XLSX000000017")


def test_zk_csv_checktime_layout():
    """USERID/CHECKTIME/CHECKTYPE exports: two-digit years, AM/PM, I and O for in and out."""
    data = b"USERID,CHECKTIME,CHECKTYPE\r\n0042,6/27/16 9:26 AM,I\r\n0042,6/27/16 5:02 PM,O\r\n"

    parsed = parse_file(data, filename="export.csv", date_order="mdy")

    assert [(r.pin, r.local_time, r.state, r.line) for r in parsed.records] == [
        ("0042", dt.datetime(2016, 6, 27, 9, 26), 0, 2),
        ("0042", dt.datetime(2016, 6, 27, 17, 2), 1, 3),
    ]


def test_csv_separate_date_and_time_columns():
    data = b"No.;Tanggal;Jam;Status\n1001;04/03/2024;07:41;C/In\n1001;31/02/2024;16:05;C/Out\n"

    parsed = parse_file(data, filename="rekap.csv", date_order="dmy")

    assert [(r.pin, r.local_time, r.state) for r in parsed.records] == [
        ("1001", dt.datetime(2024, 3, 4, 7, 41), 0),
    ]
    assert [(r.line, r.code) for r in parsed.rejected] == [(3, "invalid_date")]


def test_csv_without_time_column_rejected():
    with pytest.raises(FileRejected) as caught:
        parse_file(b"Name,Department\nAyu,UMUM\n", filename="staff.csv", file_format="zkcsv")

    assert caught.value.code == "header_missing"
