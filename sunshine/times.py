"""Times as staff read them: the installation's (the county's) time zone, to the minute, never microseconds."""

from django.utils import timezone


def local_minute(value, empty="—"):
    """``2026-12-06 09:41`` in ``settings.TIME_ZONE`` for an aware datetime; ``empty`` for None."""
    if value is None:
        return empty
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
