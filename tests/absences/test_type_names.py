"""The seeded izin and sakit absence types carry Indonesian names, and BKD's own names stay."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from sao.absences.models import AbsenceType

pytestmark = pytest.mark.django_db

rename = importlib.import_module("sao.absences.migrations.0005_indonesian_type_names")


def test_seeded_types_named_in_indonesian():
    names = dict(AbsenceType.objects.filter(code__in=["IJIN", "IJINJ", "SAKIT", "SAKITSK"])
                 .values_list("code", "name"))

    assert names == {
        "IJIN": "Izin (sehari penuh)",
        "IJINJ": "Izin (beberapa jam)",
        "SAKIT": "Sakit tanpa surat dokter",
        "SAKITSK": "Sakit dengan surat dokter",
    }


def test_rename_keeps_names_edited_by_bkd():
    AbsenceType.objects.filter(code="IJIN").update(name="Ijin (whole day)")
    AbsenceType.objects.filter(code="SAKIT").update(name="Sakit tanpa surat keterangan")

    rename.rename_to_indonesian(apps, None)

    assert AbsenceType.objects.get(code="IJIN").name == "Izin (sehari penuh)"
    assert AbsenceType.objects.get(code="SAKIT").name == "Sakit tanpa surat keterangan"

    rename.rename_to_english(apps, None)

    assert AbsenceType.objects.get(code="IJIN").name == "Ijin (whole day)"
    assert AbsenceType.objects.get(code="IJINJ").name == "Ijin (hours)"
    assert AbsenceType.objects.get(code="SAKIT").name == "Sakit tanpa surat keterangan"
