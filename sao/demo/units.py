"""The unit tree of the demo province: which unit file to import, plus demo schools and sub-units."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sao.org.importing.units import UnitImportResult, units_import

UNITS_FILE_VARIABLE = "SAO_UNITS_FILE"
SEED_FILE = Path(__file__).resolve().parent / "data" / "units-seed.csv"
DEMO_SOURCE = "demo data: synthetic unit created by sao demo, not an official record"

# Schools and sub-units the demo adds under existing agencies, as rows of the unit file format.
# A row whose parent is missing from the imported tree is left out.
DEMO_UNITS = [
    # code, parent_code, kind, name, short_name, city, schedule_profile
    ("SCH-SMAN1-SAMARINDA", "OPD-DISDIKBUD", "school", "SMA Negeri 1 Samarinda", "SMAN 1 Samarinda",
     "Samarinda", "5day"),
    ("SCH-SMAN1-BALIKPAPAN", "OPD-DISDIKBUD", "school", "SMA Negeri 1 Balikpapan",
     "SMAN 1 Balikpapan", "Balikpapan", "5day"),
    ("SCH-SMKN1-SAMARINDA", "OPD-DISDIKBUD", "school", "SMK Negeri 1 Samarinda", "SMKN 1 Samarinda",
     "Samarinda", "6day"),
    ("SCH-SMAN1-TENGGARONG", "OPD-DISDIKBUD", "school", "SMA Negeri 1 Tenggarong",
     "SMAN 1 Tenggarong", "Tenggarong", "6day"),
    ("SCH-SMAN1-BONTANG", "OPD-DISDIKBUD", "school", "SMA Negeri 1 Bontang", "SMAN 1 Bontang",
     "Bontang", "5day"),
    ("UPT-DINKES-BAPELKES", "OPD-DINKES", "upt", "UPTD Balai Pelatihan Kesehatan", "Bapelkes",
     "Samarinda", "5day"),
    ("UPT-DISHUT-TAHURA", "OPD-DISHUT", "upt", "UPTD Taman Hutan Raya Bukit Soeharto",
     "Tahura Bukit Soeharto", "Samboja", "5day"),
]
DEMO_UNIT_COLUMNS = ["code", "parent_code", "kind", "name", "short_name", "city", "schedule_profile",
                     "source"]


# Console labels of `UnitsFile.origin`.
ORIGIN_LABELS = {
    "option": gettext_lazy("from --units"),
    "environment": gettext_lazy("from SAO_UNITS_FILE"),
    "shared fixtures": gettext_lazy("shared fixtures beside the repository"),
    "bundled seed": gettext_lazy("bundled seed"),
}


class UnitsFileError(Exception):
    """The unit file named by an option or the environment does not exist."""


@dataclass(frozen=True)
class UnitsFile:
    """The unit file the demo imports and where that choice came from."""

    path: Path
    origin: str  # "option", "environment", "shared fixtures" or "bundled seed"


def units_file_resolve(*, option: str | Path | None = None) -> UnitsFile:
    """Choose the unit file: the option, else SAO_UNITS_FILE, else the shared fixtures, else the seed.

    The shared fixtures file is ../shared/fixtures/kaltim-units.csv beside the repository. A file
    named by the option or the environment must exist; a missing one raises UnitsFileError
    rather than falling back silently.
    """
    if option:
        path = Path(option)
        if not path.is_file():
            raise UnitsFileError(_("Unit file %(path)s (from --units) not found.") % {"path": path})
        return UnitsFile(path, "option")

    variable = os.environ.get(UNITS_FILE_VARIABLE, "").strip()
    if variable:
        path = Path(variable)
        if not path.is_file():
            raise UnitsFileError(_("Unit file %(path)s (from %(variable)s) not found.")
                                 % {"path": path, "variable": UNITS_FILE_VARIABLE})
        return UnitsFile(path, "environment")

    shared = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "kaltim-units.csv"
    if shared.is_file():
        return UnitsFile(shared, "shared fixtures")
    return UnitsFile(SEED_FILE, "bundled seed")


def demo_units_csv(existing_codes: set[str]) -> bytes:
    """Return the demo schools and sub-units whose parent exists, as a unit CSV file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DEMO_UNIT_COLUMNS)
    for row in DEMO_UNITS:
        if row[1] in existing_codes:
            writer.writerow([*row, DEMO_SOURCE])
    return buffer.getvalue().encode("utf-8")


def demo_units_import(*, actor_label: str) -> UnitImportResult:
    """Create or update the demo schools and sub-units through the unit importer."""
    from sao.org.models import Unit

    existing = set(Unit.objects.values_list("code", flat=True))
    return units_import(data=demo_units_csv(existing), filename="demo-units.csv",
                        actor_label=actor_label)
