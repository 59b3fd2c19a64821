"""A fixed-window counter in Django's cache (Redis in production), for public pages outside complaints.

``count_hit(key, maximum, window)`` counts one hit and answers a ``Refusal`` (with the seconds to wait) when
``key`` has had more than ``maximum`` hits in its window, else None. Callers build keys that hold nothing a
visitor typed: an address, a session key, or a one-way digest (see ``portal.selfquery``).
"""

from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds


def count_hit(key, maximum, window):
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return Refusal(window) if count > maximum else None


def worst(refusals):
    """The longest wait among ``refusals`` (Nones ignored), or None when every check passed."""
    return max((r for r in refusals if r), key=lambda r: r.retry_after, default=None)
