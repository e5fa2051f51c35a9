from sao.devices.importing import devices_import
from sao.devices.management.commands._file_import import FileImportCommand


class Command(FileImportCommand):
    help = ("Register devices from a CSV or XLSX file with the header "
            "serial,unit_code,model,time_zone,commissioned_on. A pending serial is accepted "
            "and the uploads it already sent are ingested.")
    file_help = "CSV or XLSX file with one device per row."

    def import_file(self, *, data: bytes, filename: str):
        return devices_import(data=data, filename=filename, actor_label="sao import-devices")

    def summary(self, result) -> str:
        return (f"Devices: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged.")
