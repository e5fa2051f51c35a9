from decimal import Decimal

from django.db import migrations

# The provincial attendance targets BKD Kaltim publishes: 97% and 99%.
TARGETS = [("Target 97%", Decimal("97.00")), ("Target 99%", Decimal("99.00"))]


def seed(apps, schema_editor):
    RateTarget = apps.get_model("reports", "RateTarget")
    for label, percent in TARGETS:
        RateTarget.objects.get_or_create(percent=percent, defaults={"label": label})


def unseed(apps, schema_editor):
    RateTarget = apps.get_model("reports", "RateTarget")
    RateTarget.objects.filter(percent__in=[percent for _label, percent in TARGETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_rate_target_signatory")]

    operations = [migrations.RunPython(seed, unseed)]
