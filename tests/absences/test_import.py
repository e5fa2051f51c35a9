"""`sao import-absences`: absences approved on paper, row errors with line numbers."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sao.absences.models import AbsenceRequest, Channel, RequestStatus
from sao.attendance.models import DirtyDay
from sao.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_import_rows_and_errors(cast, tmp_path):
    path = tmp_path / "absen.csv"
    path.write_text(
        "nip,type,date_from,date_to,reference,note\n"
        f"{cast.staff_a1.nip},DL,2026-11-02,2026-11-03,ST-10/A,rapat\n"  # line 2: good
        f"{cast.person_b.nip},DL,2026-11-02,2026-11-02,ST-11/B,\n"  # line 3: another unit
        f"{cast.staff_a2.nip},XX,2026-11-02,2026-11-02,,\n"  # line 4: unknown type
        f"{cast.other_a.nip},IJIN,02/11/2026,2026-31-11,,\n"  # line 5: bad date
        f"{cast.other_a.nip},SAKIT,2026-11-05,2026-11-05,,demam\n"  # line 6: good
    )
    out, err = StringIO(), StringIO()

    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("import_absences", str(path), "--operator", "opa", stdout=out, stderr=err)

    assert "3 rows rejected" in str(error.value)
    assert "2 imported, 3 rejected" in out.getvalue()
    errors = err.getvalue().splitlines()
    assert len(errors) == 3
    assert all(path.name in line for line in errors)
    assert cast.person_b.nip in errors[0]
    assert "2026-31-11" in errors[2]

    imported = AbsenceRequest.objects.get(employee=cast.staff_a1)
    assert imported.status == RequestStatus.APPROVED
    assert imported.channel == Channel.IMPORT
    assert imported.entered_by == cast.operator_a
    assert imported.working_days == 2
    entry = AuditEntry.objects.get(object_id=str(imported.pk), action="absence.create")
    assert entry.actor == cast.operator_a
    assert entry.actor_label == "sao import-absences (opa)"
    assert set(DirtyDay.objects.filter(employee=cast.staff_a1).values_list("date", flat=True)) == {
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
    }


def test_import_missing_column(cast, tmp_path):
    path = tmp_path / "absen.csv"
    path.write_text("nip,type,date_from\n1,DL,2026-11-02\n")

    with pytest.raises(CommandError) as error:
        call_command("import_absences", str(path), "--operator", "opa")

    assert "date_to" in str(error.value)
    assert not AbsenceRequest.objects.exists()


def test_import_unknown_operator(tmp_path, db):
    path = tmp_path / "absen.csv"
    path.write_text("nip,type,date_from,date_to,reference,note\n")

    with pytest.raises(CommandError) as error:
        call_command("import_absences", str(path), "--operator", "siapa")

    assert "siapa" in str(error.value)


def test_import_line_numbers(cast):
    from sao.absences.importing import absences_import

    data = (
        "nip,type,date_from,date_to,reference,note\n"
        f"{cast.person_b.nip},DL,2026-11-02,2026-11-02,ST-11/B,\n"
        f"{cast.staff_a2.nip},XX,2026-11-02,2026-11-02,,\n"
        f"{cast.staff_a2.nip},DL,2026-11-02,2026-11-02,,\n"
    ).encode()

    result = absences_import(data=data, filename="absen.csv", operator=cast.operator_a)

    assert result.created == []
    assert [(error.line, error.code) for error in result.errors] == [
        (2, "nip_unknown"),
        (3, "type_unknown"),
        (4, "letter_missing"),
    ]
