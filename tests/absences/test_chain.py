"""The approval chain in services and screens: decisions, delegation, escalation, timeliness."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sao.absences.models import (
    AbsenceRequest,
    AbsenceStep,
    AbsenceType,
    Delegation,
    RequestStatus,
    StepAction,
)
from sao.absences.selectors import approved_absences_for, entry_timeliness
from sao.absences.services import (
    AbsenceError,
    absence_request_create,
    absence_request_decide,
    absence_request_resubmit,
    absences_escalate,
    delegation_create,
    travel_group_create,
)
from sao.attendance.models import DirtyDay, MonthClose, MonthCloseStatus
from sao.audit.models import AuditEntry
from sao.notify.models import OutboundMessage

pytestmark = pytest.mark.django_db

D = dt.date
DAY = D(2026, 12, 14)  # a Monday


def dl(cast, employee=None, *, start=DAY, end=DAY, actor=None):
    return absence_request_create(
        employee=employee or cast.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=start,
        end_date=end,
        actor=actor or cast.operator_a,
        reference="ST-9/A",
    )


def audit_actions(request) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="absences.absencerequest", object_id=str(request.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_full_approval_marks_every_day(cast):
    request = dl(cast, start=D(2026, 12, 11), end=D(2026, 12, 14))  # Fri..Mon, weekend included

    absence_request_decide(request=request, action="approve", actor=cast.supervisor_a)
    assert not DirtyDay.objects.exists()
    absence_request_decide(request=request, action="approve", actor=cast.verifier_a)

    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.working_days == 2
    assert sorted(DirtyDay.objects.values_list("date", flat=True)) == [
        D(2026, 12, 11),
        D(2026, 12, 12),
        D(2026, 12, 13),
        D(2026, 12, 14),
    ]
    assert audit_actions(request) == ["absence.create", "absence.approve.atasan", "absence.approve.verif"]


def test_reject_leaves_days_and_needs_reason(cast):
    request = dl(cast)

    with pytest.raises(AbsenceError) as error:
        absence_request_decide(request=request, action="reject", actor=cast.supervisor_a)
    assert error.value.code == "reason_missing"

    absence_request_decide(request=request, action="reject", actor=cast.supervisor_a, reason="Tidak ada ST")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert not DirtyDay.objects.exists()
    entry = AuditEntry.objects.get(action="absence.reject.atasan")
    assert entry.reason == "Tidak ada ST"
    assert entry.old_value["status"] == RequestStatus.WAITING_SUPERVISOR
    assert entry.new_value["status"] == RequestStatus.REJECTED


def test_change_then_resubmit(cast):
    request = dl(cast)
    absence_request_decide(request=request, action="change", actor=cast.supervisor_a, reason="Tanggal salah")

    absence_request_resubmit(
        request=request,
        actor=cast.operator_a,
        start_date=D(2026, 12, 15),
        end_date=D(2026, 12, 15),
        reference="ST-9/A",
        note="",
    )

    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_SUPERVISOR
    assert request.start_date == D(2026, 12, 15)
    assert audit_actions(request) == ["absence.create", "absence.change.atasan", "absence.resubmit"]


def test_verifier_cannot_skip_supervisor(cast):
    request = dl(cast)

    with pytest.raises(AbsenceError) as error:
        absence_request_decide(request=request, action="approve", actor=cast.verifier_a)

    assert error.value.code == "wrong_stage"


def test_plh_approves_within_dates_only(cast):
    request = dl(cast)
    delegation_create(
        role="atasan",
        official=cast.head_a,
        acting=cast.other_a,
        valid_from=D(2026, 12, 1),
        valid_to=D(2026, 12, 10),
        actor=cast.admin_bkd,
        decree="ND-7/2026",
    )
    inside = timezone.make_aware(dt.datetime(2026, 12, 10, 9, 0))
    outside = timezone.make_aware(dt.datetime(2026, 12, 11, 9, 0))

    with pytest.raises(AbsenceError):
        absence_request_decide(request=request, action="approve", actor_employee=cast.other_a, now=outside)
    absence_request_decide(request=request, action="approve", actor_employee=cast.other_a, now=inside)

    step = AbsenceStep.objects.get(request=request, action=StepAction.APPROVE)
    assert step.delegation == Delegation.objects.get()
    assert step.actor_employee == cast.other_a
    assert "Plh" in AuditEntry.objects.get(action="absence.approve.atasan").actor_label
    assert AuditEntry.objects.filter(action="absence.delegation").count() == 1


def test_acting_verifier(cast):
    request = dl(cast, cast.person_b, actor=cast.operator_b)  # no atasan: waits for a verifier
    delegation_create(
        role="verif",
        unit=cast.agency_b,
        acting=cast.other_a,
        valid_from=D(2026, 1, 1),
        valid_to=D(2026, 12, 31),
        actor=cast.admin_bkd,
        kind="plt",
    )

    absence_request_decide(
        request=request,
        action="approve",
        actor_employee=cast.other_a,
        now=timezone.make_aware(dt.datetime(2026, 12, 14, 9, 0)),
    )

    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_escalation_once_after_three_days(cast):
    cast.head_a.supervisor = cast.other_a
    cast.head_a.save(update_fields=["supervisor"])
    cast.other_a.phone = "081300000009"
    cast.other_a.save(update_fields=["phone"])
    request = dl(cast)
    entered = request.stage_since

    assert absences_escalate(now=entered + dt.timedelta(days=2, hours=23)) == 0
    assert absences_escalate(now=entered + dt.timedelta(days=3, minutes=1)) == 1
    assert absences_escalate(now=entered + dt.timedelta(days=9)) == 0

    request.refresh_from_db()
    assert request.escalated_at is not None
    assert "absence.escalate" in audit_actions(request)
    message = OutboundMessage.objects.get(topic="absence.escalated")
    assert message.recipient == "081300000009"
    assert request.code in message.text


def test_late_approval_in_closed_month_still_marks(cast):
    MonthClose.objects.create(unit=cast.agency_a, month=D(2026, 11, 1), status=MonthCloseStatus.CLOSED)
    request = dl(cast, start=D(2026, 11, 30), end=D(2026, 11, 30))

    assert request.entered_late
    assert request.entered_after_close
    absence_request_decide(request=request, action="approve", actor=cast.supervisor_a)
    absence_request_decide(request=request, action="approve", actor=cast.verifier_a)

    assert list(DirtyDay.objects.values_list("date", flat=True)) == [D(2026, 11, 30)]


def test_timeliness_counts_per_operator(cast, client):
    dl(cast, start=D(2026, 11, 30), end=D(2026, 11, 30))  # late
    dl(cast, cast.other_a, start=D(2026, 12, 14), end=D(2026, 12, 14))  # on time

    rows = entry_timeliness(user=cast.operator_a, start=D(2026, 11, 1), end=D(2026, 12, 31))

    assert rows == [
        {"entered_unit__name": "UPT A", "entered_by_label": "opa", "total": 2, "late": 1, "after_close": 0}
    ]
    assert entry_timeliness(user=cast.operator_b, start=D(2026, 11, 1), end=D(2026, 12, 31)) == []
    client.force_login(cast.operator_a)
    page = client.get("/absences/timeliness/?from=2026-11-01&to=2026-12-31").content.decode()
    assert page.count('data-testid="timeliness-row"') == 1


def test_approved_absences_one_query(cast, django_assert_num_queries):
    approved = dl(cast)
    absence_request_decide(request=approved, action="approve", actor=cast.supervisor_a)
    absence_request_decide(request=approved, action="approve", actor=cast.verifier_a)
    dl(cast, cast.other_a)  # still waiting
    hours = absence_request_create(
        employee=cast.staff_a2,
        absence_type=AbsenceType.objects.get(code="IJINJ"),
        start_date=DAY,
        end_date=DAY,
        start_time=dt.time(9),
        end_time=dt.time(11),
        actor=cast.operator_a,
    )
    AbsenceRequest.objects.filter(pk=hours.pk).update(status=RequestStatus.APPROVED)

    with django_assert_num_queries(1):
        found = approved_absences_for(
            employee_ids=[cast.staff_a1.pk, cast.other_a.pk, cast.staff_a2.pk], start=DAY, end=DAY
        )

    assert list(found) == [cast.staff_a1.pk]
    [absence] = found[cast.staff_a1.pk]
    assert (absence.code, absence.start_date, absence.end_date) == ("DL", DAY, DAY)
    assert absence.counts_as_present
    assert absence.reference == "ST-9/A"


def test_ijin_hours_needs_times(cast):
    with pytest.raises(AbsenceError) as error:
        absence_request_create(
            employee=cast.staff_a2,
            absence_type=AbsenceType.objects.get(code="IJINJ"),
            start_date=DAY,
            end_date=DAY,
            actor=cast.operator_a,
        )
    assert error.value.code == "hours_missing"


def test_overlap_rejected(cast):
    first = dl(cast)

    with pytest.raises(AbsenceError) as error:
        dl(cast, start=DAY - dt.timedelta(days=1), end=DAY)

    assert error.value.code == "overlap"
    assert first.code in error.value.message


def test_travel_group_all_or_none(cast):
    dl(cast, cast.other_a)  # other_a is already away on DAY

    with pytest.raises(AbsenceError) as error:
        travel_group_create(
            employees=[cast.staff_a1, cast.other_a],
            absence_type=AbsenceType.objects.get(code="PD"),
            start_date=DAY,
            end_date=DAY,
            reference="ST-50/A",
            destination="Balikpapan",
            actor=cast.operator_a,
        )
    assert error.value.code == "overlap"
    assert cast.other_a.nip in error.value.message
    assert not AbsenceRequest.objects.filter(reference="ST-50/A").exists()

    created = travel_group_create(
        employees=[cast.staff_a1, cast.staff_a2],
        absence_type=AbsenceType.objects.get(code="PD"),
        start_date=DAY,
        end_date=DAY,
        reference="ST-50/A",
        destination="Balikpapan",
        actor=cast.operator_a,
    )
    assert {request.employee for request in created} == {cast.staff_a1, cast.staff_a2}
    assert len({request.group_id for request in created}) == 1


def test_group_form_on_the_web(cast, client):
    client.force_login(cast.operator_a)

    response = client.post(
        "/absences/group/",
        {
            "employees": [cast.staff_a1.pk, cast.other_a.pk],
            "absence_type": AbsenceType.objects.get(code="DL").pk,
            "start_date": "2026-12-14",
            "end_date": "2026-12-15",
            "reference": "ST-77/A",
            "destination": "Bontang",
        },
    )

    assert response.status_code == 302
    assert AbsenceRequest.objects.filter(reference="ST-77/A", working_days=2).count() == 2


def test_web_form_sick_needs_evidence(cast, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.employee_a)
    sick = AbsenceType.objects.get(code="SAKITSK")
    form = {
        "employee": cast.staff_a2.pk,
        "absence_type": sick.pk,
        "start_date": "2026-12-14",
        "end_date": "2026-12-15",
    }

    without = client.post("/absences/new/", form)
    assert without.status_code == 200
    assert [error.code for error in without.context["form"].non_field_errors().as_data()] == [
        "evidence_missing"
    ]

    note = SimpleUploadedFile("surat-dokter.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    with_note = client.post("/absences/new/", {**form, "evidence": note})
    assert with_note.status_code == 302
    request = AbsenceRequest.objects.get(employee=cast.staff_a2)
    assert request.has_doctor_note
    assert request.entered_by == cast.employee_a
    assert request.evidence.name.endswith(".pdf")
    assert (tmp_path / request.evidence.name).read_bytes() == b"%PDF-1.4 test"


def test_employee_form_offers_only_self(cast, client):
    client.force_login(cast.employee_a)

    response = client.post(
        "/absences/new/",
        {
            "employee": cast.staff_a1.pk,
            "absence_type": AbsenceType.objects.get(code="DL").pk,
            "start_date": "2026-12-14",
            "end_date": "2026-12-14",
            "reference": "ST-1",
        },
    )

    assert response.status_code == 200
    assert "employee" in response.context["form"].errors
    assert not AbsenceRequest.objects.exists()


def test_calendar_shows_balance(cast, client):
    dl(cast, cast.staff_a2)
    client.force_login(cast.employee_a)

    page = client.get(f"/absences/employees/{cast.staff_a2.pk}/2026/")
    other = client.get(f"/absences/employees/{cast.staff_a1.pk}/2026/")

    assert page.status_code == 200
    assert page.context["balance"].remaining == 24
    assert 'title="2026-12-14"' in page.content.decode()
    assert other.status_code == 404


@pytest.mark.parametrize("year", [0, 1999, 2101, 9999, 99999])
def test_calendar_of_an_unsupported_year_is_404(cast, client, year):
    client.force_login(cast.employee_a)

    page = client.get(f"/absences/employees/{cast.staff_a2.pk}/{year}/")

    assert page.status_code == 404


@pytest.mark.parametrize(
    "url", ["/absences/", "/absences/new/", "/absences/group/", "/absences/inbox/", "/absences/timeliness/"]
)
def test_operator_pages_render(cast, client, url):
    dl(cast)
    client.force_login(cast.operator_a)

    assert client.get(url).status_code == 200


def test_my_calendar_redirects(cast, client):
    client.force_login(cast.employee_a)

    response = client.get("/absences/mine/")

    assert response.status_code == 302
    assert response.url.startswith(f"/absences/employees/{cast.staff_a2.pk}/")


def test_group_form_forbidden_to_employee(cast, client):
    client.force_login(cast.employee_a)

    assert client.get("/absences/group/").status_code == 403


def test_list_query_count_fixed(cast, client, django_assert_max_num_queries):
    for employee in (cast.staff_a1, cast.staff_a2, cast.other_a):
        dl(cast, employee)
    client.force_login(cast.operator_a)
    client.get("/absences/")  # warm the session and the user's unit

    with django_assert_max_num_queries(8):
        response = client.get("/absences/")

    assert response.content.decode().count('data-testid="absence-row"') == 3


def test_inbox_query_count_fixed(cast, client, django_assert_max_num_queries):
    first = dl(cast, cast.staff_a1)
    absence_request_decide(request=first, action="approve", actor=cast.supervisor_a)
    dl(cast, cast.other_a)  # no atasan: goes straight to the verifier
    client.force_login(cast.verifier_a)
    client.get("/absences/inbox/")

    with django_assert_max_num_queries(8):
        response = client.get("/absences/inbox/")

    assert response.content.decode().count('data-testid="inbox-row"') == 2


def test_resubmit_screen_after_change(cast, client):
    request = dl(cast)
    absence_request_decide(request=request, action="change", actor=cast.supervisor_a, reason="Tanggal salah")
    client.force_login(cast.operator_a)

    page = client.get(f"/absences/{request.code}/")
    response = client.post(f"/absences/{request.code}/resubmit/", {
        "start_date": "2026-12-15", "end_date": "2026-12-15", "reference": "ST-9/A", "note": "",
    })

    request.refresh_from_db()
    assert 'data-testid="resubmit-form"' in page.content.decode()
    assert response.status_code == 302
    assert request.status == RequestStatus.WAITING_SUPERVISOR
    assert request.start_date == D(2026, 12, 15)


def test_resubmit_outside_scope_is_404(cast, client):
    request = dl(cast)
    absence_request_decide(request=request, action="change", actor=cast.supervisor_a, reason="x")
    client.force_login(cast.operator_b)

    response = client.post(f"/absences/{request.code}/resubmit/", {
        "start_date": "2026-12-15", "end_date": "2026-12-15", "reference": "ST-9/A", "note": "",
    })

    assert response.status_code == 404


def test_perjalanan_dinas_days_read_dl(cast):
    from sao.attendance.compute import recompute
    from sao.attendance.models import DailyResult

    request = absence_request_create(
        employee=cast.staff_a1,
        absence_type=AbsenceType.objects.get(code="PD"),
        start_date=DAY,
        end_date=DAY,
        actor=cast.operator_a,
        reference="SPPD-12/A",
        destination="Jakarta",
    )
    absence_request_decide(request=request, action="approve", actor=cast.supervisor_a)
    absence_request_decide(request=request, action="approve", actor=cast.verifier_a)

    recompute(start=DAY, end=DAY, employee_ids=[cast.staff_a1.pk])

    result = DailyResult.objects.get(employee=cast.staff_a1, date=DAY)
    assert (result.status, result.absence_code) == ("DL", "PD")
