"""Device settings with their defaults; settings.py may override each one by name."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def offline_after() -> dt.timedelta:
    """Return how long a device may stay silent before it is shown as offline."""
    return dt.timedelta(seconds=getattr(settings, "SAO_DEVICE_OFFLINE_AFTER_SECONDS", 600))


def clock_max_offset() -> dt.timedelta:
    """Return the largest device clock offset accepted before the device is flagged."""
    return dt.timedelta(seconds=getattr(settings, "SAO_DEVICE_CLOCK_MAX_OFFSET_SECONDS", 300))


def future_tolerance() -> dt.timedelta:
    """Return how far past the receive time a punch may lie before it is quarantined."""
    return dt.timedelta(seconds=getattr(settings, "SAO_PUNCH_FUTURE_TOLERANCE_SECONDS", 600))


def push_max_body_bytes() -> int:
    """Return the size cap of a device request body, also sent to devices as MaxPostSize."""
    return int(getattr(settings, "SAO_PUSH_MAX_BODY_BYTES", 4 * 1024 * 1024))


def command_resend_after() -> dt.timedelta:
    """Return how long a sent command waits for its result before it is sent again."""
    return dt.timedelta(seconds=getattr(settings, "SAO_DEVICE_COMMAND_RESEND_SECONDS", 600))
