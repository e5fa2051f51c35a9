"""Report screens and downloads through Django's test client, against the `week` results."""

import csv
import datetime as dt
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from sao.reports.models import ReportSignatory

pytestmark = pytest.mark.django_db

DAILY_COLUMNS = (
    "unit_code,nip,pin,name,date,shift,status,check_in,check_out,late_minutes,early_minutes,tl,psw,flags"
)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def test_daily_csv_columns_and_values(client, week):
    client.force_login(week.operator_a)

    response = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-04", "format": "csv"})

    assert response.status_code == 200
    rows = csv_rows(response)
    assert ",".join(rows[0]) == DAILY_COLUMNS
    by_name = {row[3]: row for row in rows[1:]}
    # On Thursday the CLTN employee and the newcomer before the TMT have no row.
    assert sorted(by_name) == ["Ani Tepat"]
    ani = by_name["Ani Tepat"]
    assert ani[0] == "UPT-A"
    assert ani[1] == week.punctual.nip
    assert ani[2] == "101"
    assert ani[6] == "HADIR"
    assert ani[7:9] == ["07:45", "16:10"]
    assert ani[9] == "15"
    assert ani[11] == "TL1"


def test_daily_screen_lists_statuses(client, week):
    client.force_login(week.operator_a)

    response = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Ani Tepat" in text
    assert "Budi Cuti" in text
    assert "Citra Belajar" not in text


def test_daily_screen_query_count(client, week, django_assert_num_queries):
    client.force_login(week.operator_a)
    client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01"})

    # session, user, unit lookup, the operator's own unit for the scope, page count, page rows.
    with django_assert_num_queries(6):
        client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01"})


def test_operator_gets_404_for_other_unit(client, week):
    client.force_login(week.operator_b)

    for path in ("/reports/daily/", "/reports/recap/", "/reports/tpp/", "/reports/events/tk/"):
        response = client.get(path, {"unit": "UPT-A", "format": "csv"})
        assert response.status_code == 404, path


def test_operator_gets_404_for_other_rates(client, week):
    client.force_login(week.operator_b)

    response = client.get("/reports/rates/", {"unit": "OPD-A"})

    assert response.status_code == 404


def test_leader_reads_upt_of_agency(client, week):
    client.force_login(week.leader_a)

    response = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01", "format": "csv"})

    assert response.status_code == 200
    assert len(csv_rows(response)) == 3  # header, Ani, Budi


def test_invalid_month_is_400_with_message(client, week):
    client.force_login(week.operator_a)

    response = client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-13"})

    assert response.status_code == 400
    assert "2026-13" in response.content.decode()


def test_recap_lists_every_day(client, week):
    client.force_login(week.operator_a)

    response = client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-06", "format": "csv"})

    rows = csv_rows(response)
    header = rows[0]
    assert header[:2] == ["nip", "name"]
    assert header[2:32] == [f"d{day}" for day in range(1, 31)]
    by_name = {row[1]: row for row in rows[1:]}
    assert sorted(by_name) == ["Ani Tepat", "Budi Cuti", "Citra Belajar", "Dedi Baru"]
    ani = by_name["Ani Tepat"]
    assert ani[2:9] == ["HADIR", "HADIR", "LIBUR", "HADIR", "TK", "LIBUR", "LIBUR"]
    assert ani[9] == "-"  # 8 June was never computed
    totals = dict(zip(header[32:], ani[32:], strict=True))
    assert totals == {
        "scheduled": "4",
        "present": "3",
        "late": "1",
        "early": "0",
        "tk": "1",
        "duty": "0",
        "leave": "0",
        "no_result": "23",
    }
    # The employee on tugas belajar is listed with every day empty.
    assert set(by_name["Citra Belajar"][2:32]) == {"-"}


def test_recap_screen_query_count(client, week, django_assert_num_queries):
    client.force_login(week.operator_a)
    client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-06"})

    # session, user, unit lookup, the operator's own unit for the scope, current employees, ids of
    # employees moved out with results in the unit (none here, so their names need no query), the
    # page's employees, their results.
    with django_assert_num_queries(8):
        response = client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-06"})
    assert response.content.decode().count('data-testid="recap-day"') == 4 * 30


def test_recap_xlsx_opens(client, week):
    client.force_login(week.operator_a)

    response = client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-06", "format": "xlsx"})

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    names = [row[1] for row in rows[4:8]]
    assert names == ["Ani Tepat", "Budi Cuti", "Citra Belajar", "Dedi Baru"]
    # The spreadsheet shows the recap's short forms (H present, L day off), not the stored codes.
    assert rows[4][2:6] == ("H", "H", "L", "H")


def test_rates_xlsx_numbers(client, week):
    client.force_login(week.admin)

    response = client.get("/reports/rates/", {"start": "2026-06-01", "end": "2026-06-07", "format": "xlsx"})

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    opd_a = next(row for row in rows if row and row[2] == "OPD-A")
    assert opd_a[4] == 7
    assert opd_a[9] == pytest.approx(57.14)


def test_pdf_has_letterhead_and_signer(client, week):
    ReportSignatory.objects.create(
        unit=week.agency_a,
        name="Drs. Fajar Pimpinan, M.Si.",
        nip="197001011990031001",
        position="Kepala Dinas A",
    )
    client.force_login(week.operator_a)

    response = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01", "format": "pdf"})

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is absent; the PDF text was not checked")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "PEMERINTAH PROVINSI KALIMANTAN TIMUR" in text
    assert "UPT A" in text
    assert "197001011990031001" in text
    assert week.punctual.nip in text


def test_tpp_percent_per_employee(client, week):
    client.force_login(week.operator_a)

    response = client.get("/reports/tpp/", {"unit": "UPT-A", "month": "2026-06", "format": "csv"})

    rows = {row[1]: row for row in csv_rows(response)[1:]}
    # Ani: TL1 0.5% + TK 3%; Budi: two TK days, 6%; the test table's base is the whole TPP.
    assert rows["Ani Tepat"][6] == "3.50"
    assert rows["Budi Cuti"][6] == "6.00"
    assert rows["Dedi Baru"][6] == "0.00"


def test_tlpsw_and_tk_reports(client, week):
    client.force_login(week.operator_a)

    late = csv_rows(
        client.get(
            "/reports/events/tlpsw/",
            {"unit": "UPT-A", "start": "2026-06-01", "end": "2026-06-07", "format": "csv"},
        )
    )
    absent = csv_rows(
        client.get(
            "/reports/events/tk/",
            {"unit": "UPT-A", "start": "2026-06-01", "end": "2026-06-07", "format": "csv"},
        )
    )

    assert [(row[3], row[4], row[11]) for row in late[1:]] == [("Ani Tepat", "2026-06-04", "TL1")]
    assert sorted((row[3], row[4]) for row in absent[1:]) == [
        ("Ani Tepat", "2026-06-05"),
        ("Budi Cuti", "2026-06-01"),
        ("Budi Cuti", "2026-06-02"),
    ]


def test_my_month_shows_own_days(client, week):
    client.force_login(week.employee_user)

    response = client.get("/reports/me/2026/6/")

    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-testid="day-status"') == 7
    assert "07:45" in text
    assert 'name="viewport"' in text


def test_my_month_without_employee_is_404(client, week):
    client.force_login(week.operator_a)

    assert client.get("/reports/me/").status_code == 404


def test_background_export_job(client, week, settings, tmp_path):
    from sao.reports.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    client.force_login(week.operator_a)

    # Huey is not running in tests: the task is run here, where a worker would run it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sao.reports.tasks.export_job_task", lambda job_id: None)
        response = client.post(
            "/reports/export/daily/", {"unit": "UPT-A", "date": "2026-06-01", "format": "xlsx"}
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/export/job/{job.pk}/"
    assert job.status == "queued"

    from sao.reports.services import export_job_run

    job = export_job_run(job_id=job.pk)
    assert job.status == "done"
    assert job.rows_done == 2
    assert job.rows_total == 2

    page = client.get(f"/reports/export/job/{job.pk}/")
    assert 'data-status="done"' in page.content.decode()
    download = client.get(f"/reports/export/job/{job.pk}/download/")
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    names = [row[3] for row in list(workbook.active.iter_rows(values_only=True))[4:]]
    assert names == ["Ani Tepat", "Budi Cuti"]


def test_background_pdf_export(client, week, settings, tmp_path):
    from sao.reports.models import ExportJob
    from sao.reports.services import export_job_run

    settings.MEDIA_ROOT = tmp_path
    client.force_login(week.operator_a)
    page = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01"}).content.decode()
    assert 'data-testid="export-background-pdf"' in page

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sao.reports.tasks.export_job_task", lambda job_id: None)
        client.post("/reports/export/daily/", {"unit": "UPT-A", "date": "2026-06-01", "format": "pdf"})
    job = export_job_run(job_id=ExportJob.objects.get().pk)
    download = client.get(f"/reports/export/job/{job.pk}/download/")

    assert (job.status, job.file_format, job.rows_done) == ("done", "pdf", 2)
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_export_job_of_other_user_is_404(client, week, tmp_path, settings):
    from sao.reports.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(user=week.operator_a, report="daily", params={}, file_format="csv")
    client.force_login(week.operator_b)

    assert client.get(f"/reports/export/job/{job.pk}/").status_code == 404
    assert client.get(f"/reports/export/job/{job.pk}/download/").status_code == 404


def test_export_job_outside_scope_fails_cleanly(week, tmp_path, settings):
    from sao.reports.models import ExportJob
    from sao.reports.services import export_job_run

    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(
        user=week.operator_b,
        report="daily",
        params={"unit": "UPT-A", "start": "2026-06-01"},
        file_format="csv",
    )

    job = export_job_run(job_id=job.pk)

    assert job.status == "failed"
    assert job.file_name == ""
    assert "UPT-A" in job.error


def test_recap_keeps_transferred_employee(client, week):
    from sao.org.services import employee_transfer

    employee_transfer(
        employee=week.punctual, unit=week.unit_b, valid_from=dt.date(2026, 6, 8), actor_label="test"
    )
    client.force_login(week.leader_a)

    response = client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-06", "format": "csv"})

    rows = {row[1]: row for row in csv_rows(response)[1:]}
    assert "Ani Tepat" in rows
    assert rows["Ani Tepat"][2:9] == ["HADIR", "HADIR", "LIBUR", "HADIR", "TK", "LIBUR", "LIBUR"]


def test_xlsx_continues_on_next_sheet(tmp_path):
    from sao.reports.exports import ReportTable, write_xlsx

    table = ReportTable(
        slug="long", title="Long", subtitle="", header=["n"], rows=([number] for number in range(5))
    )
    path = tmp_path / "long.xlsx"

    count = write_xlsx(table, str(path), sheet_rows=2)

    workbook = load_workbook(path, read_only=True)
    assert count == 5
    assert workbook.sheetnames == ["long", "long-2", "long-3"]
    assert [row[0] for row in list(workbook["long-3"].iter_rows(values_only=True))[3:]] == ["n", 4]
