"""`sao demo` with punches: devices per unit, punches through the push protocol, computed results."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from sao.absences.models import AbsenceRequest, RequestStatus
from sao.attendance.models import DailyResult, DayStatus
from sao.audit.models import AuditEntry
from sao.calendars.models import RosterEntry
from sao.demo.devices import SITE_KINDS
from sao.demo.units import SEED_FILE
from sao.devices.models import (
    Device,
    DeviceStatus,
    PinMapping,
    Punch,
    QuarantinedRecord,
    RawUpload,
    UploadSource,
)
from sao.devices.services import wall_time
from sao.org.models import LegalStatus, LegalStatusPeriod, Unit, UnitKind

SIZE = 300
DAYS = 5
WITA = ZoneInfo("Asia/Makassar")
# Inside the hours in which night-shift check-outs of the previous day arrive.
FROZEN_TIME = dt.time(7, 25)


@pytest.fixture
def demo_run(live_server, monkeypatch, settings):
    """Return a function that runs the demo against the live test server, not its own gunicorn.

    Gunicorn cannot open the in-memory SQLite test database, so the demo's push server is
    replaced by the live server of the same database. The punches still travel over HTTP.

    Both runs, and the live server in this process, see one fixed "now": yesterday at 07:25
    WITA. With the real clock, a night-shift check-out of the range's last day that falls
    due between the two runs (about 06:30 to 09:00 WITA) made the second run add a punch.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yesterday = timezone.now().astimezone(WITA).date() - dt.timedelta(days=1)
    frozen = dt.datetime.combine(yesterday, FROZEN_TIME, WITA)
    monkeypatch.setattr(timezone, "now", lambda: frozen)

    @contextlib.contextmanager
    def live_push_server():
        yield live_server.url

    monkeypatch.setattr("sao.demo.services.push_server", live_push_server)
    # The shared-cache in-memory database fails on concurrent writers instead of waiting.
    monkeypatch.setattr("sao.demo.devices.PUSH_THREADS", 1)

    def run() -> str:
        out = io.StringIO()
        call_command("demo", "--employees", str(SIZE), "--units", str(SEED_FILE), "--days", str(DAYS),
                     stdout=out, stderr=io.StringIO())
        return out.getvalue()

    return run


@pytest.mark.django_db(transaction=True)
def test_demo_attendance_twice(demo_run):
    output = demo_run()

    # Devices: one or two per site with employees, active, in the unit's time zone.
    sites = Unit.objects.filter(kind__in=SITE_KINDS, employees__isnull=False).distinct()
    assert sites.exists()
    for unit in sites:
        devices = list(Device.objects.filter(unit=unit))
        assert 1 <= len(devices) <= 2, unit.code
        for device in devices:
            assert device.status == DeviceStatus.ACTIVE
            assert device.time_zone == unit.time_zone
            assert device.commissioned_on is not None
            assert device.model
    for unit in Unit.objects.filter(kind=UnitKind.RSUD, employees__isnull=False):
        assert Device.objects.filter(unit=unit).count() == 2, unit.code
    assert PinMapping.objects.count() == SIZE

    # Punches arrived over the push protocol and belong to employees.
    assert RawUpload.objects.filter(source=UploadSource.PUSH, table="ATTLOG").exists()
    assert Punch.objects.exists()
    assert not Punch.objects.filter(employee__isnull=True).exists()
    # Besides the push, only the presence entered by hand for the demo's lost-punch fault.
    assert set(Punch.objects.values_list("source", flat=True)) <= {UploadSource.PUSH,
                                                                   UploadSource.MANUAL}
    assert not Punch.objects.filter(suspect=True).exists()
    away = LegalStatusPeriod.objects.exclude(status=LegalStatus.ACTIVE)
    assert away.exists()
    for period in away:
        # local_time stores the device's wall time as if it were UTC.
        midnight = wall_time(dt.datetime.combine(period.valid_from, dt.time.min))
        punches = Punch.objects.filter(employee=period.employee_id, local_time__gte=midnight)
        assert not punches.exists(), (period.employee_id, period.status, period.valid_from, period.valid_to)
    assert not QuarantinedRecord.objects.exists()

    # Results: mostly present, some late arrivals, night shifts in hospital rosters.
    statuses = {status: DailyResult.objects.filter(status=status).count() for status in DayStatus.values}
    assert statuses[DayStatus.HADIR] > statuses[DayStatus.TK] > 0
    assert DailyResult.objects.filter(late_code__startswith="TL").exists()
    # The rate reports read these counts; the demo refreshes them after computing.
    from sao.reports.models import UnitDayCount

    assert UnitDayCount.objects.filter(present__gt=0).exists()
    assert RosterEntry.objects.filter(shift_code="MALAM").exists()
    assert DailyResult.objects.filter(shift_code="MALAM", status=DayStatus.HADIR).exists()
    # Approved absences: the sick day lies in the range, so its result shows the absence.
    assert AbsenceRequest.objects.filter(status=RequestStatus.APPROVED).count() == 5
    sick = AbsenceRequest.objects.get(absence_type__code="SAKIT")
    sick_day = DailyResult.objects.get(employee=sick.employee, date=sick.start_date)
    assert (sick_day.status, sick_day.absence_code) == (DayStatus.SAKIT, "SAKIT")
    assert "Devices: " in output
    assert "0 errors" in output

    # A second run adds nothing: the same devices and PINs, and every resent punch is a duplicate.
    # NOTE: this is part of the test above because a second transactional test in this module
    # found the policy rows missing on its second run, which looks like a test-database issue.
    counts = {model.__name__: model.objects.count()
              for model in (Device, PinMapping, Punch, RosterEntry, DailyResult, AbsenceRequest,
                            AuditEntry)}

    again = demo_run()

    assert {model.__name__: model.objects.count()
            for model in (Device, PinMapping, Punch, RosterEntry, DailyResult, AbsenceRequest,
                            AuditEntry)} == counts
    assert "0 created; 0 PIN mappings created." in again
