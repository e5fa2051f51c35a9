import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sao.org.models import Employee, ImportBatch

STAFF_NIP = "198609262015051001"


def upload(client, text: str, name="pegawai.csv"):
    return client.post(reverse("org:employee_import"),
                       {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def test_import_preview_then_apply(client, cast):
    client.force_login(cast.operator_a)
    text = (
        "nip,nama,kode_unit,nip_atasan\n"
        f"{STAFF_NIP},Andi Wijaya,UPT-A,{cast.staff_a1.nip}\n"
        "1.97E+17,Rusak,UPT-A,\n"
        "198001012005011003,Lain Unit,UPT-B,\n"
    )

    response = upload(client, text)
    batch = ImportBatch.objects.get()
    preview = client.get(response["Location"])

    assert response.status_code == 302
    assert bytes(batch.data) == text.encode()
    assert preview.status_code == 200
    assert [error.code for error in preview.context["plan"].errors] == [
        "excel_number", "unit_out_of_scope"
    ]
    assert not Employee.objects.filter(nip=STAFF_NIP).exists()

    applied = client.post(reverse("org:employee_import_apply", args=[batch.pk]))

    batch.refresh_from_db()
    assert applied.status_code == 302
    assert batch.status == "applied"
    assert batch.summary == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert Employee.objects.get(nip=STAFF_NIP).supervisor == cast.staff_a1
    assert not Employee.objects.filter(nip="198001012005011003").exists()


def test_import_cannot_change_other_unit_employee(client, cast):
    client.force_login(cast.operator_a)
    text = f"nip,nama,kode_unit\n{cast.person_b.nip},Pindah Diam-diam,UPT-A\n"

    batch_url = upload(client, text)["Location"]
    preview = client.get(batch_url)

    assert [error.code for error in preview.context["plan"].errors] == ["employee_out_of_scope"]


def test_import_rejects_other_file_types(client, cast):
    client.force_login(cast.operator_a)

    response = upload(client, "x", name="pegawai.pdf")

    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("Berkas") or \
        "pegawai.pdf" in response.context["form"].errors["file"][0]
    assert ImportBatch.objects.count() == 0


def test_batch_of_another_user_is_404(client, cast):
    client.force_login(cast.operator_a)
    batch_url = upload(client, "nip,nama,kode_unit\n")["Location"]
    client.force_login(cast.operator_b)

    response = client.get(batch_url)

    assert response.status_code == 404


def test_apply_twice_is_refused(client, cast):
    client.force_login(cast.operator_a)
    upload(client, f"nip,nama,kode_unit\n{STAFF_NIP},Andi,UPT-A\n")
    batch = ImportBatch.objects.get()
    client.post(reverse("org:employee_import_apply", args=[batch.pk]))

    client.post(reverse("org:employee_import_apply", args=[batch.pk]))

    assert Employee.objects.filter(nip=STAFF_NIP).count() == 1


def test_default_language_is_indonesian(client, cast):
    client.force_login(cast.operator_a)

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en")

    assert response["Content-Language"] == "id"
    assert "Pegawai aktif" in response.content.decode()


def test_language_switch_saved_on_user(client, cast):
    client.force_login(cast.operator_a)

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("home"))

    cast.operator_a.refresh_from_db()
    assert cast.operator_a.language == "en"
    assert response["Content-Language"] == "en"
    assert "Active employees" in response.content.decode()


def test_language_switch_ignores_foreign_next(client, cast):
    client.force_login(cast.operator_a)

    response = client.post(reverse("set_language"),
                           {"language": "en", "next": "https://evil.example/"})

    assert response["Location"] == "/"


@pytest.mark.django_db
def test_lockout_after_five_failures(client, cast):
    for _attempt in range(5):
        client.post(reverse("login"), {"username": "opa", "password": "wrong"},
                    REMOTE_ADDR="10.0.0.5")

    locked = client.post(reverse("login"), {"username": "opa", "password": "secret-pass-123"},
                         REMOTE_ADDR="10.0.0.5")
    other_address = client.post(reverse("login"),
                                {"username": "opa", "password": "secret-pass-123"},
                                REMOTE_ADDR="10.0.0.6")

    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    assert other_address.status_code == 302


def test_login_with_right_password(client, cast):
    response = client.post(reverse("login"), {"username": "opa", "password": "secret-pass-123"})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_admin_cannot_apply_operator_batch(client, cast):
    client.force_login(cast.operator_a)
    batch_url = upload(client, f"nip,nama,kode_unit\n{STAFF_NIP},Andi,UPT-A\n")["Location"]
    batch = ImportBatch.objects.get()
    client.force_login(cast.admin_bkd)

    preview = client.get(batch_url)
    applied = client.post(reverse("org:employee_import_apply", args=[batch.pk]))

    assert preview.status_code == 404
    assert applied.status_code == 404
    assert not Employee.objects.filter(nip=STAFF_NIP).exists()


def test_preview_shows_readable_changes(client, cast):
    client.force_login(cast.operator_bkd)
    text = f"nip,nama,kode_unit,kedudukan_hukum\n{cast.other_a.nip},Lain A,UPT-B,02\n"

    preview = client.get(upload(client, text)["Location"])

    ((_row, details),) = preview.context["shown_changes"]
    shown = {(old, new) for _label, old, new in details}
    assert ("UPT A", "UPT B") in shown
    assert ("Aktif", "Cuti di luar tanggungan negara (CLTN)") in shown


def test_binary_upload_gets_file_error_page(client, cast):
    client.force_login(cast.operator_a)

    response = client.post(reverse("org:employee_import"), {
        "file": SimpleUploadedFile("binary.csv", b"\x7fELF\x00\x01" * 500, "text/csv")
    })
    preview = client.get(response["Location"])

    assert preview.status_code == 422
    assert preview.context["file_error"].code == "file_unreadable"


def test_out_of_scope_page_is_friendly_404(client, cast):
    client.force_login(cast.operator_a)

    response = client.get(reverse("org:employee_detail", args=[cast.person_b.pk]))

    assert response.status_code == 404
    assert 'data-testid="whoami"' in response.content.decode()


def test_admin_bkd_can_unlock_an_account(client, cast):
    for _attempt in range(5):
        client.post(reverse("login"), {"username": "opa", "password": "wrong"})
    client.force_login(cast.admin_bkd)

    listing = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert listing.status_code == 200
    assert "opa" in listing.content.decode()
