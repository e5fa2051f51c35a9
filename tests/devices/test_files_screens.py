"""The punch file upload screen: stored bytes, a background job, an htmx progress fragment.

Huey runs in immediate mode here, so the job finishes inside the POST; the progress fragment
is then read exactly as the status page polls it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from huey.contrib.djhuey import HUEY

from sao.devices.models import Punch, RawUpload
from sao.devices.services import device_register
from sao.devices.tasks import ImportState, import_progress_get
from tests.conftest import shared_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_huey():
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


@pytest.fixture
def device_a(cast):
    device, _created = device_register(serial="CQZ7231260012", unit=cast.unit_a,
                                       time_zone="Asia/Makassar", commissioned_on=dt.date(2020, 1, 1),
                                       actor_label="test")
    return device


def upload(client, name: str, **fields):
    path_ = shared_fixture(f"cases/{name}")
    with path_.open("rb") as handle:
        return client.post("/devices/import/", {"file": handle, **fields})


def test_upload_runs_job_and_shows_summary(client, cast, device_a, immediate_huey):
    client.force_login(cast.operator_a)

    response = upload(client, "BC-02_CQZ7231260012_attlog.dat", device=device_a.serial,
                      file_format="auto", date_order="")

    assert response.status_code == 302
    raw = RawUpload.objects.get(source="file")
    assert response["Location"] == f"/devices/import/{raw.pk}/"
    assert bytes(raw.body) == shared_fixture("cases/BC-02_CQZ7231260012_attlog.dat").read_bytes()
    assert Punch.objects.filter(device=device_a).count() == 2
    assert import_progress_get(raw.pk)["state"] == ImportState.DONE

    fragment = client.get(f"/devices/import/{raw.pk}/progress/")
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert 'id="import-lines">5<' in html  # serial, two punches, a malformed line, checksum
    assert 'id="import-accepted">2<' in html
    assert 'id="import-quarantined">1<' in html
    assert "too_few_columns" in html
    assert "hx-trigger" not in html  # finished: the fragment stops polling


def test_running_job_fragment_polls(client, cast, device_a, immediate_huey):
    """While the job runs, the fragment re-requests itself every second and shows the count."""
    from sao.devices.files import punch_file_store
    from sao.devices.tasks import import_progress_set

    client.force_login(cast.operator_a)
    raw = punch_file_store(data=b"1001\t2024-03-04 07:28:15\t0\t1\t0\t0\n", filename="a.attlog",
                           serial=device_a.serial)
    import_progress_set(raw.pk, state=ImportState.RUNNING, done=50000, total=100000)

    html = client.get(f"/devices/import/{raw.pk}/progress/").content.decode()

    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="50"' in html
    assert "50000" in html
    assert "100000" in html


def test_declared_date_order_required(client, cast, device_a, immediate_huey):
    client.force_login(cast.operator_a)

    upload(client, "BC-17_punches.xlsx", device=device_a.serial, file_format="xlsx", date_order="")

    raw = RawUpload.objects.get(source="file")
    html = client.get(f"/devices/import/{raw.pk}/").content.decode()
    assert "(dmy, mdy" in html  # the message asks for the date order in either language
    assert Punch.objects.count() == 0


def test_other_units_device_not_offered(client, cast, device_a, immediate_huey):
    """operator_b cannot import for unit A's device, nor see unit A's import."""
    client.force_login(cast.operator_b)

    response = upload(client, "BC-02_CQZ7231260012_attlog.dat", device=device_a.serial,
                      file_format="auto", date_order="")

    assert response.status_code == 200
    assert "device" in response.context["form"].errors
    assert RawUpload.objects.count() == 0


def test_other_units_import_hidden(client, cast, device_a, immediate_huey):
    client.force_login(cast.operator_a)
    upload(client, "BC-02_CQZ7231260012_attlog.dat", device=device_a.serial, file_format="auto",
           date_order="")
    raw = RawUpload.objects.get(source="file")

    client.force_login(cast.operator_b)

    assert client.get(f"/devices/import/{raw.pk}/").status_code == 404


def test_employee_cannot_import(client, cast):
    client.force_login(cast.employee_a)

    assert client.get("/devices/import/").status_code == 403
