import pytest
from django.utils import translation

from sao.audit.models import AuditEntry
from sao.org.importing.common import ImportFileError
from sao.org.importing.units import units_import
from sao.org.models import Unit
from tests.conftest import shared_fixture

HEADER = "code,parent_code,kind,name,short_name,city,schedule_profile,employee_estimate,source\n"


def run_import(text: str):
    return units_import(data=text.encode(), filename="units.csv", actor_label="test")


@pytest.mark.django_db
def test_kaltim_tree_imports_every_unit():
    data = shared_fixture("kaltim-units.csv").read_bytes()

    result = units_import(data=data, filename="kaltim-units.csv", actor_label="test")

    assert result.errors == []
    assert result.created == 70
    assert Unit.objects.count() == 70
    assert Unit.objects.get(code="PROV-KALTIM").parent is None
    assert Unit.objects.get(code="OPD-BKD").name == "Badan Kepegawaian Daerah"


@pytest.mark.django_db
def test_kaltim_tree_paths_and_zones():
    units_import(data=shared_fixture("kaltim-units.csv").read_bytes(), filename="k.csv")

    rsud = Unit.objects.get(code="RSUD-AWS")
    jakarta = Unit.objects.get(code="OFF-PENGHUBUNG-JKT")
    samsat = Unit.objects.get(code="UPT-BAPENDA-BERAU")
    assert rsud.path == "/PROV-KALTIM/OPD-DINKES/RSUD-AWS/"
    assert rsud.depth == 2
    assert rsud.schedule_profile == "shift"
    assert jakarta.time_zone == "Asia/Jakarta"
    assert rsud.time_zone == "Asia/Makassar"
    assert samsat.schedule_profile == "6day"
    assert samsat.details_unverified
    assert samsat.employee_estimate == 32
    assert rsud.agency() == rsud
    assert samsat.agency().code == "OPD-BAPENDA"
    assert Unit.objects.get(code="OPD-BIRO-ORG").agency().code == "OPD-SETDA"


@pytest.mark.django_db
def test_reimport_changes_nothing():
    data = shared_fixture("kaltim-units.csv").read_bytes()
    units_import(data=data, filename="k.csv")
    entries = AuditEntry.objects.count()

    again = units_import(data=data, filename="k.csv")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 70)
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_unknown_parent_rejected_with_line():
    result = run_import(HEADER + "P,,province,Prov,,,,,\nA,NOPE,opd,Dinas A,,,,,\nB,P,opd,Dinas B,,,,,\n")

    assert [(error.line, error.column, error.code) for error in result.errors] == [
        (3, "parent_code", "parent_unknown")
    ]
    assert "NOPE" in result.errors[0].message
    assert set(Unit.objects.values_list("code", flat=True)) == {"P", "B"}


@pytest.mark.django_db
def test_duplicate_code_rejected_with_both_lines():
    with translation.override("en"):
        result = run_import(HEADER + "P,,province,Prov,,,,,\nA,P,opd,Dinas A,,,,,\nA,P,opd,Dinas A2,,,,,\n")

    assert [(error.line, error.code) for error in result.errors] == [(4, "code_duplicate")]
    assert "line 3" in result.errors[0].message
    assert Unit.objects.get(code="A").name == "Dinas A"


@pytest.mark.django_db
def test_child_before_parent_is_placed():
    result = run_import(HEADER + "C,A,upt,UPT C,,,,,\nA,P,opd,Dinas A,,,,,\nP,,province,Prov,,,,,\n")

    assert result.errors == []
    assert Unit.objects.get(code="C").path == "/P/A/C/"


@pytest.mark.django_db
def test_cycle_rejected():
    result = run_import(HEADER + "A,B,opd,A,,,,,\nB,A,opd,B,,,,,\n")

    assert {error.code for error in result.errors} >= {"parent_cycle"}
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_bad_kind_and_profile_rejected():
    result = run_import(HEADER + "P,,province,Prov,,,,,\nA,P,dinas,Dinas A,,,,,\nB,P,opd,B,,,7day,,\n")

    assert [(error.line, error.column, error.code) for error in result.errors] == [
        (3, "kind", "kind_unknown"),
        (4, "schedule_profile", "profile_unknown"),
    ]


@pytest.mark.django_db
def test_moved_unit_updates_subtree_paths():
    run_import(HEADER + "P,,province,Prov,,,,,\nA,P,opd,A,,,,,\nB,P,opd,B,,,,,\nC,A,upt,C,,,,,\n"
               "D,C,school,D,,,,,\n")

    result = run_import(HEADER + "C,B,upt,C,,,,,\n")

    assert result.updated == 1
    assert Unit.objects.get(code="D").path == "/P/B/C/D/"


@pytest.mark.django_db
def test_missing_columns_is_file_error():
    with pytest.raises(ImportFileError) as caught:
        run_import("code,name\nA,Dinas A\n")

    assert caught.value.code == "missing_columns"
    assert "parent_code" in str(caught.value)
