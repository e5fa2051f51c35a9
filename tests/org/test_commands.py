import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sao.org.models import Employee, Unit
from tests.conftest import shared_fixture


@pytest.mark.django_db
def test_import_units_command_reports_counts(capsys):
    with translation.override("en"):
        call_command("import_units", str(shared_fixture("kaltim-units.csv")))

    assert "70 created" in capsys.readouterr().out
    assert Unit.objects.count() == 70


@pytest.mark.django_db
def test_import_units_command_names_bad_line(tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_text("code,parent_code,kind,name\nP,,province,Prov\nA,X,opd,A\n")

    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_units", str(path))

    assert "line 3, column parent_code" in capsys.readouterr().err


@pytest.mark.django_db
def test_import_employees_dry_run_writes_nothing(tmp_path, capsys):
    call_command("import_units", str(shared_fixture("kaltim-units.csv")))
    path = tmp_path / "pegawai.csv"
    path.write_text("nip,nama,kode_unit\n198609262015051001,Andi,OPD-BKD\n"
                    "200012312024211001,Siti,RSUD-AWS\n1.97E+17,Rusak,OPD-BKD\n")

    with translation.override("en"):
        call_command("import_employees", str(path), "--dry-run")

    output = capsys.readouterr()
    assert "2 to create" in output.out
    assert "line 4, column nip" in output.err
    assert Employee.objects.count() == 0


@pytest.mark.django_db
def test_import_employees_saves_valid_rows_then_fails(tmp_path, capsys):
    call_command("import_units", str(shared_fixture("kaltim-units.csv")))
    path = tmp_path / "pegawai.csv"
    path.write_text("nip,nama,kode_unit\n198609262015051001,Andi,OPD-BKD\n"
                    "200012312024211001,Siti,RSUD-AWS\n198001012005011003,X,OPD-NOPE\n")

    with pytest.raises(CommandError):
        call_command("import_employees", str(path))

    assert set(Employee.objects.values_list("nip", flat=True)) == {
        "198609262015051001", "200012312024211001"
    }
    assert Employee.objects.get(nip="200012312024211001").kind == "PPPK"
