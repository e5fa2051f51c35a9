from django.utils.translation import gettext as _

from sao.devices.importing import devices_import
from sao.devices.management.commands._file_import import FileImportCommand


class Command(FileImportCommand):
    help = _("Register devices from a CSV or XLSX file with the header "
             "serial,unit_code,model,time_zone,commissioned_on. A pending serial is accepted "
             "and the uploads it already sent are ingested.")
    file_help = _("CSV or XLSX file with one device per row.")

    def import_file(self, *, data: bytes, filename: str):
        return devices_import(data=data, filename=filename, actor_label="sao import-devices")

    def summary(self, result) -> str:
        return (_("Devices: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": result.created, "updated": result.updated,
                   "unchanged": result.unchanged})
