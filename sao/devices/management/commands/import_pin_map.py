from django.utils.translation import gettext as _

from sao.devices.importing import pin_map_import
from sao.devices.management.commands._file_import import FileImportCommand


class Command(FileImportCommand):
    help = _("Map device PINs to employees from a CSV or XLSX file with the header "
             "device_serial,unit_code,pin,nip,valid_from (fill one of the first two). "
             "Stored punches of a newly mapped PIN get their employee.")
    file_help = _("CSV or XLSX file with one mapping per row.")

    def import_file(self, *, data: bytes, filename: str):
        return pin_map_import(data=data, filename=filename, actor_label="sao import-pin-map")

    def summary(self, result) -> str:
        return (_("PIN mappings: %(created)s created, %(unchanged)s unchanged; %(attached)s "
                  "stored punches attached.")
                % {"created": result.created, "unchanged": result.unchanged,
                   "attached": result.attached_punches})
