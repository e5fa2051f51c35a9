"""Store the Kaltim policy seed as policy version 1 when no policy exists yet."""

from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parent.parent / "data" / "kaltim.yaml"


def seed_policy(apps, schema_editor):
    PolicyVersion = apps.get_model("calendars", "PolicyVersion")
    if PolicyVersion.objects.exists():
        return
    PolicyVersion.objects.create(
        number=1, document=SEED.read_text(encoding="utf-8"),
        legal_basis="Initial Kaltim seed: SE Gubernur 065/8208/B.Org-TL (2022), "
                    "SE 000.8/3/1288/B.ORG-TU/2025, SE 100.3.4/739/B.ORG-III/2026",
        created_by_label="migration",
    )


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_policy_roster_holidays")]

    operations = [migrations.RunPython(seed_policy, migrations.RunPython.noop)]
