"""`sao demo` builds historical device faults through the faults services."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from sao.attendance.models import DailyResult, DayStatus
from sao.demo.units import SEED_FILE
from sao.devices.models import CommandStatus, Punch, UploadSource
from sao.faults.models import (
    FaultCause,
    FaultOutage,
    FaultStatus,
    FaultTicket,
    ManualPresenceBatch,
    PresenceBatchStatus,
)
from sao.faults.selectors import fault_board
from sao.org.models import Role, User

SIZE = 300
DAYS = 5

# The seed policy is a data-migration row that a transactional test's flush removes, so the
# database is serialised at set-up and restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo_run(live_server, monkeypatch, settings, tmp_path):
    """Return a function that runs the demo against the live test server, not its own gunicorn."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"

    @contextlib.contextmanager
    def live_push_server():
        yield live_server.url

    monkeypatch.setattr("sao.demo.services.push_server", live_push_server)
    # The shared-cache in-memory database fails on concurrent writers instead of waiting.
    monkeypatch.setattr("sao.demo.devices.PUSH_THREADS", 1)
    # The recompute queue is a Huey file shared by the machine, and the demo computes itself.
    monkeypatch.setattr("sao.attendance.dirty.enqueue_recompute", lambda: None)
    monkeypatch.setattr("sao.faults.services.enqueue_recompute", lambda: None)

    def run() -> str:
        out = io.StringIO()
        # In English, so the checks below read the fault lines whatever the default language is.
        with translation.override("en"):
            call_command("demo", "--employees", str(SIZE), "--units", str(SEED_FILE), "--days",
                         str(DAYS), stdout=out, stderr=io.StringIO())
        return out.getvalue()

    return run


def window_punches(outage: FaultOutage):
    punches = Punch.objects.filter(device=outage.device, instant__gte=outage.start)
    return punches if outage.end is None else punches.filter(instant__lte=outage.end)


def test_demo_faults_stories(demo_run):
    output = demo_run()

    tickets = list(FaultTicket.objects.order_by("failure_started_at"))
    assert len(tickets) == 5
    assert len({ticket.device_id for ticket in tickets}) == 5

    # Every fault was reported by the unit; exactly one report came over an hour late.
    assert all(ticket.reported_at is not None for ticket in tickets)
    assert [ticket.late_report for ticket in tickets].count(True) == 1

    # Detected silences: the check's ticket, the unit's report and a completed backfill.
    silent = [ticket for ticket in tickets if ticket.cause == FaultCause.SILENT]
    assert len(silent) == 2
    for ticket in silent:
        assert ticket.status == FaultStatus.RESOLVED
        assert ticket.history.first().actor_label == "faults-check"
        outage = ticket.outages.get()
        command = outage.backfill_command
        assert command.status == CommandStatus.DONE
        assert command.text.startswith("DATA QUERY ATTLOG StartTime=")
        # The punches of the window came only from the backfill, not from the first push.
        uploads = set(window_punches(outage).values_list("upload__received_at", flat=True))
        assert all(received > outage.end for received in uploads), ticket.pk
    # The morning silence covered the check-ins, so its backfill brought punches.
    morning = silent[0].outages.get()
    assert window_punches(morning).exists()
    stories = re.findall(r"days '[^']+' (\d+) before the backfill and (\d+) after; "
                         r"punches recovered (\d+)", output)
    assert len(stories) >= 3, output
    for line in stories:
        before, after, recovered = map(int, line)
        if recovered:
            assert before > after

    # Lost punches: none recorded in the window, entered by the operator, approved.
    [batch] = ManualPresenceBatch.objects.all()
    assert batch.status == PresenceBatchStatus.APPROVED
    assert batch.evidence.name.endswith(".pdf")
    # The seed tree may have no unit-operator or verifier login over the site, and then BKD's
    # operator enters and BKD's admin approves.
    assert batch.entered_by.role in (Role.OPERATOR_UNIT, Role.OPERATOR_BKD)
    assert batch.decided_by.role in (Role.VERIFIER, Role.ADMIN_BKD)
    assert batch.decided_by != batch.entered_by
    lost_window = batch.ticket.outages.get()
    in_window = window_punches(lost_window)
    assert in_window.exists()
    assert set(in_window.values_list("source", flat=True)) == {UploadSource.MANUAL}
    assert in_window.count() == batch.entries.count()

    # The replaced device and the open fault.
    assert [ticket.status for ticket in tickets].count(FaultStatus.REPLACED) == 1
    [open_ticket] = [ticket for ticket in tickets if ticket.is_open]
    assert open_ticket.status == FaultStatus.IN_REPAIR
    open_window = open_ticket.outages.get()
    assert open_window.end is None
    assert not window_punches(open_window).exists()
    day = open_window.start.astimezone(open_ticket.device.zone).date()
    assert DailyResult.objects.filter(date=day, status=DayStatus.PERLU_VERIFIKASI).exists()
    bkd = User.objects.get(role=Role.OPERATOR_BKD)
    assert [row.ticket.pk for row in fault_board(user=bkd, now=timezone.now())] == [open_ticket.pk]

    # A second run reuses the stored faults: no ticket, punch or presence entry is added.
    # Only the faulty devices' punches are counted, because a hospital's night shift may
    # end after the first run and send its check-out in the second.
    fault_punches = Punch.objects.filter(device__in=[ticket.device_id for ticket in tickets])
    counts = (FaultTicket.objects.count(), fault_punches.count(),
              ManualPresenceBatch.objects.count())

    again = demo_run()

    assert (FaultTicket.objects.count(), fault_punches.count(),
            ManualPresenceBatch.objects.count()) == counts
    assert "before the backfill" not in again
