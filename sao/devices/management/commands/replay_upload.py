from django.core.management.base import BaseCommand, CommandError

from sao.devices.models import RawUpload
from sao.devices.services import raw_upload_replay


class Command(BaseCommand):
    help = ("Parse a stored raw upload again by its id. Records already stored are recognised "
            "as duplicates, so a replay adds only what is missing.")

    def add_arguments(self, parser):
        parser.add_argument("upload_id", type=int, help="Id of the raw upload (see the device page).")

    def handle(self, *args, upload_id: int, **options):
        upload = RawUpload.objects.select_related("device", "device__unit").filter(
            pk=upload_id).first()
        if upload is None:
            raise CommandError(f"Raw upload {upload_id} not found.")

        outcome = raw_upload_replay(upload=upload)
        if not outcome.handled:
            raise CommandError(
                f"Upload {upload_id} was not parsed: its device "
                f"{upload.serial or '-'} is not active. Accept the device first."
            )
        if outcome.ingest is not None:
            result = outcome.ingest
            self.stdout.write(
                f"Upload {upload_id} ({upload.table}): {result.accepted} punches added, "
                f"{result.duplicates} duplicates, {result.quarantined} quarantined, "
                f"{result.unknown_pins} unknown PINs."
            )
        else:
            self.stdout.write(f"Upload {upload_id} ({upload.table}): {outcome.count} lines applied.")
