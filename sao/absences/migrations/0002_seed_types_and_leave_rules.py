"""Seed the absence types and the cuti tahunan rules.

Cuti rules: PP 11/2017 (PNS, as amended by PP 17/2020) and Peraturan BKN 7/2022 (PPPK, which
names four cuti types: tahunan, sakit, melahirkan, bersama). Cuti bersama is a calendar day
(a Keppres), not a request, so it has no type here. TPP rules: Kaltim deducts sick days by
their length, and one sick day without a doctor's note is paid as TK. BKD edits these rows.
"""

from django.db import migrations

# code, name, category, counts_as_present, tpp_rule, extra fields
TYPES = [
    ("DL", "Dinas luar", "DL", True, "none", {"needs_letter": True}),
    ("PD", "Perjalanan dinas", "PD", True, "none", {"needs_letter": True}),
    ("DIKLAT", "Diklat / bimtek", "DIKLAT", True, "none", {"needs_letter": True}),
    ("IJIN", "Ijin (whole day)", "IJIN", False, "tk", {}),
    ("IJINJ", "Ijin (hours)", "IJIN", False, "none", {"by_hours": True, "max_days": 1}),
    ("SAKIT", "Sakit without a doctor's note", "SAKIT", False, "tk", {"max_days": 1}),
    ("SAKITSK", "Sakit with a doctor's note", "SAKIT", False, "sick", {"needs_evidence": True}),
    ("CT", "Cuti tahunan", "CUTI", False, "none",
     {"uses_annual_balance": True, "min_service_years": 1}),
    ("CBS", "Cuti besar", "CUTI", False, "reduced",
     {"min_service_years": 5, "max_days": 92, "for_pppk": False}),
    ("CS", "Cuti sakit", "CUTI", False, "sick", {"needs_evidence": True, "max_days": 548}),
    ("CM", "Cuti melahirkan", "CUTI", False, "reduced", {"max_days": 92}),
    ("CAP", "Cuti karena alasan penting", "CUTI", False, "reduced", {"max_days": 31, "for_pppk": False}),
    ("CLTN", "Cuti di luar tanggungan negara", "CLTN", False, "unpaid",
     {"leaves_denominator": True, "min_service_years": 5, "for_pppk": False}),
    ("TB", "Tugas belajar", "TB", False, "unpaid", {"leaves_denominator": True, "needs_letter": True}),
]


def seed(apps, schema_editor):
    AbsenceType = apps.get_model("absences", "AbsenceType")
    LeaveRule = apps.get_model("absences", "LeaveRule")

    for order, (code, name, category, present, tpp_rule, extra) in enumerate(TYPES):
        AbsenceType.objects.update_or_create(
            code=code,
            defaults={"name": name, "category": category, "counts_as_present": present,
                      "tpp_rule": tpp_rule, "sort_order": order, **extra},
        )

    LeaveRule.objects.update_or_create(employee_kind="PNS", defaults={"carry_over": True})
    LeaveRule.objects.update_or_create(employee_kind="CPNS", defaults={"carry_over": True})
    # No carry-over rule for PPPK was found in Peraturan BKN 7/2022; BKD can switch it on here.
    LeaveRule.objects.update_or_create(employee_kind="PPPK", defaults={"carry_over": False})


class Migration(migrations.Migration):
    dependencies = [("absences", "0001_types_requests_delegations")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
