from sao.devices.importing import pin_map_import
from sao.devices.management.commands._file_import import FileImportCommand


class Command(FileImportCommand):
    help = ("Map device PINs to employees from a CSV or XLSX file with the header "
            "device_serial,unit_code,pin,nip,valid_from (fill one of the first two). "
            "Stored punches of a newly mapped PIN get their employee.")
    file_help = "CSV or XLSX file with one mapping per row."

    def import_file(self, *, data: bytes, filename: str):
        return pin_map_import(data=data, filename=filename, actor_label="sao import-pin-map")

    def summary(self, result) -> str:
        return (f"PIN mappings: {result.created} created, {result.unchanged} unchanged; "
                f"{result.attached_punches} stored punches attached.")
