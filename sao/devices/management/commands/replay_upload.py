from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.devices.models import RawUpload
from sao.devices.services import raw_upload_replay


class Command(BaseCommand):
    help = _("Parse a stored raw upload again by its id. Records already stored are recognised "
             "as duplicates, so a replay adds only what is missing.")

    def add_arguments(self, parser):
        parser.add_argument("upload_id", type=int, help=_("Id of the raw upload (see the device page)."))

    def handle(self, *args, upload_id: int, **options):
        upload = RawUpload.objects.select_related("device", "device__unit").filter(
            pk=upload_id).first()
        if upload is None:
            raise CommandError(_("Raw upload %(id)s not found; take the id from the device page.")
                               % {"id": upload_id})

        outcome = raw_upload_replay(upload=upload)
        if not outcome.handled:
            raise CommandError(
                _("Upload %(id)s was not parsed: its device %(serial)s is not active. Accept "
                  "the device first.") % {"id": upload_id, "serial": upload.serial or "-"}
            )
        if outcome.ingest is not None:
            result = outcome.ingest
            self.stdout.write(
                _("Upload %(id)s (%(table)s): %(accepted)s punches added, %(duplicates)s "
                  "duplicates, %(quarantined)s quarantined, %(unknown)s unknown PINs.")
                % {"id": upload_id, "table": upload.table, "accepted": result.accepted,
                   "duplicates": result.duplicates, "quarantined": result.quarantined,
                   "unknown": result.unknown_pins}
            )
        else:
            self.stdout.write(_("Upload %(id)s (%(table)s): %(count)s lines applied.")
                              % {"id": upload_id, "table": upload.table, "count": outcome.count})
