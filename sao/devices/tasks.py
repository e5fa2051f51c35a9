"""Huey background jobs of the devices app: file imports run here, outside the web request.

Progress lives in Huey's key-value storage (the same SQLite file or Redis the consumer uses),
so the web process can read what the worker process writes.
"""

from __future__ import annotations

import logging

from huey.contrib.djhuey import HUEY, db_task

from sao.devices.files import file_upload_process
from sao.devices.models import RawUpload

logger = logging.getLogger(__name__)


class ImportState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _progress_key(upload_id: int) -> str:
    return f"sao:punch-import:{upload_id}"


def import_progress_set(upload_id: int, **values) -> None:
    HUEY.put(_progress_key(upload_id), values)


def import_progress_get(upload_id: int) -> dict | None:
    """Return the last progress of an import job without consuming it, or None if unknown."""
    return HUEY.get(_progress_key(upload_id), peek=True)


@db_task()
def punch_file_import_task(upload_id: int) -> dict:
    """Parse and ingest a stored punch file, publishing progress after every batch."""
    import_progress_set(upload_id, state=ImportState.RUNNING, done=0, total=0)

    def progress(done: int, total: int) -> None:
        import_progress_set(upload_id, state=ImportState.RUNNING, done=done, total=total)

    try:
        upload = RawUpload.objects.get(pk=upload_id)
        summary = file_upload_process(upload=upload, progress=progress)
    except Exception as exc:
        logger.exception("File import job for upload %s failed", upload_id)
        import_progress_set(upload_id, state=ImportState.FAILED, done=0, total=0,
                            error=str(exc) or exc.__class__.__name__)
        raise

    result = summary.as_dict()
    import_progress_set(upload_id, state=ImportState.DONE, done=summary.records,
                        total=summary.records, summary=result)
    return result
