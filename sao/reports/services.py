"""Writes of the reports app: the per-unit, per-day counts behind the rates."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.reports.models import ExportJob, ExportStatus, UnitDayCount

logger = logging.getLogger(__name__)


def unit_day_counts_refresh(*, start: dt.date, end: dt.date) -> int:
    """Rebuild the UnitDayCount rows of start..end from the daily results and return their number.

    One grouped query reads the results. The old rows of the range are replaced in one
    transaction, so readers see either the old or the new counts.
    """
    from sao.reports.selectors import live_counts_by_unit_day

    began = time.monotonic()
    refreshed_at = timezone.now()
    rows = [
        UnitDayCount(unit_id=unit_id, date=day, refreshed_at=refreshed_at, **counts.__dict__)
        for (unit_id, day), counts in live_counts_by_unit_day(start=start, end=end).items()
    ]
    with transaction.atomic():
        UnitDayCount.objects.filter(date__range=(start, end)).delete()
        UnitDayCount.objects.bulk_create(rows, batch_size=5000)
    logger.info(
        "Refreshed %s unit day counts from %s to %s in %.2f s",
        len(rows),
        start,
        end,
        time.monotonic() - began,
    )
    return len(rows)


# Rows written between two progress updates of an export job.
PROGRESS_EVERY = 2000


def export_directory() -> Path:
    """Return the folder of finished export files; they are served only through the owner's download view."""
    return Path(settings.MEDIA_ROOT) / "exports"


def export_job_start(*, user, report: str, params: dict, file_format: str) -> ExportJob:
    """Store an export job and queue it for a worker once the transaction commits."""
    from sao.reports.tasks import export_job_task

    job = ExportJob.objects.create(user=user, report=report, params=params, file_format=file_format)
    transaction.on_commit(lambda: export_job_task(job.pk))
    logger.info("Export job %s queued: %s as %s for user %s", job.pk, report, file_format, user.pk)
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the file of one export job, updating its progress, and mark it done or failed."""
    from sao.reports.exports import write_file
    from sao.reports.selectors import signatory_for
    from sao.reports.tables import build_table

    job = ExportJob.objects.select_related("user").get(pk=job_id)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    try:
        table = build_table(user=job.user, report=job.report, params=job.params)
        total = table.count_rows() if table.count_rows else None
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)

        def counted(rows):
            for done, row in enumerate(rows, start=1):
                yield row
                if done % PROGRESS_EVERY == 0:
                    ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

        table.rows = counted(table.rows)
        directory = export_directory()
        directory.mkdir(parents=True, exist_ok=True)
        file_name = f"{job.pk}-{table.filename(job.file_format)}"
        signatory = signatory_for(table.unit) if table.unit is not None else None
        rows = write_file(
            table,
            file_format=job.file_format,
            path=directory / file_name,
            signatory=signatory,
            printed_on=timezone.localdate(),
        )
    except Http404:
        logger.warning(
            "Export job %s names unit %r outside the scope of user %s",
            job.pk,
            job.params.get("unit"),
            job.user_id,
        )
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED,
            error=_("Unit %(unit)s not found in your scope.") % {"unit": job.params.get("unit")},
            finished_at=timezone.now(),
        )
    except Exception as exc:
        # Any other failure is recorded on the job, so its page shows it instead of running forever.
        logger.exception("Export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
    else:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE, file_name=file_name, rows_done=rows, finished_at=timezone.now()
        )
        logger.info("Export job %s wrote %s rows to %s", job.pk, rows, file_name)
    job.refresh_from_db()
    return job
