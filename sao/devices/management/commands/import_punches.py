"""`sao import-punches FILE`: import a punch file (USB attlog.dat, push text, ZK CSV, XLSX)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.devices.fileformats import DateOrder, FileFormat
from sao.devices.files import ImportStatus, ImportSummary, punch_file_import


def summary_lines(summary: ImportSummary) -> list[str]:
    """Render an import summary as console lines."""
    lines = [
        _("Upload %(upload)s, device %(serial)s, format %(format)s: %(status)s.")
        % {"upload": summary.upload_id, "serial": summary.serial or "-",
           "format": summary.file_format, "status": ImportStatus(summary.status).label},
        _("%(records)s records in %(lines)s lines: %(accepted)s accepted, %(duplicates)s duplicates, "
          "%(quarantined)s quarantined, %(unknown)s unknown PINs.")
        % {"records": summary.records, "lines": summary.lines, "accepted": summary.accepted,
           "duplicates": summary.duplicates, "quarantined": summary.quarantined,
           "unknown": summary.unknown_pin_count},
    ]
    for code, numbers in sorted(summary.quarantined_by_reason.items()):
        lines.append(_("  quarantined %(code)s: lines %(lines)s")
                     % {"code": code, "lines": ", ".join(str(number) for number in numbers[:50])})
    if summary.unknown_pins:
        lines.append(_("  unknown PINs: %(pins)s") % {"pins": ", ".join(summary.unknown_pins)})
    lines.extend("  " + warning for warning in summary.warnings)
    return lines


class Command(BaseCommand):
    help = _("Import punches from a file. The bytes are stored first; a second import of the same "
             "file adds nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("Path of the file to import."))
        parser.add_argument("--device", default="",
                            help=_("Serial number of the device the file comes from (needed unless "
                                   "the file has a serial header line or is named <serial>_attlog.dat)."))
        parser.add_argument("--format", dest="file_format", choices=FileFormat.values,
                            default=FileFormat.AUTO, help=_("File layout (default: detect)."))
        parser.add_argument("--date-order", choices=DateOrder.values, default=None,
                            help=_("Order of day, month and year in text dates such as 04/03/2024; "
                                   "required when a CSV or XLSX file has such dates."))

    def handle(self, *args, file, device, file_format, date_order, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s.") % {"path": path, "error": exc}) from exc

        summary = punch_file_import(data=data, filename=path.name, serial=device,
                                    file_format=file_format, date_order=date_order)

        for line in summary_lines(summary):
            self.stdout.write(line)
        if summary.status == ImportStatus.FAILED:
            raise CommandError(summary.error)
