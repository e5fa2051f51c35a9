"""Rename the seeded izin and sakit absence types from English to Indonesian.

These four types were seeded with English names, which the Indonesian screens showed as they
are. Only rows that still carry the exact seeded name are renamed, so a name that BKD has
edited since stays as BKD wrote it. The codes (IJIN, IJINJ, SAKIT, SAKITSK) do not change.
"""

from django.db import migrations

# code, seeded English name, Indonesian name
RENAMES = [
    ("IJIN", "Ijin (whole day)", "Izin (sehari penuh)"),
    ("IJINJ", "Ijin (hours)", "Izin (beberapa jam)"),
    ("SAKIT", "Sakit without a doctor's note", "Sakit tanpa surat dokter"),
    ("SAKITSK", "Sakit with a doctor's note", "Sakit dengan surat dokter"),
]


def rename_to_indonesian(apps, schema_editor):
    AbsenceType = apps.get_model("absences", "AbsenceType")
    for code, english, indonesian in RENAMES:
        AbsenceType.objects.filter(code=code, name=english).update(name=indonesian)


def rename_to_english(apps, schema_editor):
    AbsenceType = apps.get_model("absences", "AbsenceType")
    for code, english, indonesian in RENAMES:
        AbsenceType.objects.filter(code=code, name=indonesian).update(name=english)


class Migration(migrations.Migration):
    dependencies = [("absences", "0004_absence_type_day_code")]

    operations = [migrations.RunPython(rename_to_indonesian, rename_to_english)]
