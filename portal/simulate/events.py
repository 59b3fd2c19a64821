"""The audit events of the simulated history, written as ``sunshine.audit`` writes them (signed rows, COPY).

Builders add light tuples while they write their rows; :meth:`EventLog.write` brings the log to the asked
size (a uniform sample when the history made more, staff sign-ins spread over the months when it made fewer),
sorts it by time and writes it through ``audit_record_rows``: every row carries a valid MAC, so
``audit_verify`` (or the tick) seals it like any other event.
"""

import datetime as dt

from django.contrib.contenttypes.models import ContentType

from sunshine.audit.services import audit_record_rows

CHUNK = 20000
SYSTEM = "system"


class EventLog:
    def __init__(self, rng, target):
        self.rng, self.target, self.rows = rng, target, []
        self._types = {}
        self.staff = []  # (user id, username, division id) for sign-in padding

    def type_id(self, model):
        found = self._types.get(model)
        if found is None:
            found = self._types[model] = ContentType.objects.get_for_model(model).pk
        return found

    def add(self, at, action, model, object_id, label, division_id, actor=None, changes=None, data=None):
        """``actor`` is ``(user id, username)`` or None for the system (the tick, a resident's submission)."""
        self.rows.append((at, action, model, object_id, label, division_id, actor, changes, data))

    def _pad(self, start, end):
        span = max(int((end - start).total_seconds()), 1)
        while len(self.rows) < self.target and self.staff:
            user_id, username, division_id = self.rng.choice(self.staff)
            at = start + dt.timedelta(seconds=self.rng.randrange(span))
            self.rows.append(
                (at, "auth.login_succeeded", None, "", username, division_id, (user_id, username), None, None)
            )

    def write(self, start, end):
        if len(self.rows) > self.target:
            self.rows = self.rng.sample(self.rows, self.target)
        self._pad(start, end)
        self.rows.sort(key=lambda row: row[0])
        written = 0
        for begin in range(0, len(self.rows), CHUNK):
            written += audit_record_rows([self._row(*t) for t in self.rows[begin : begin + CHUNK]])
        self.rows = []
        return written

    def _row(self, at, action, model, object_id, label, division_id, actor, changes, data):
        return {
            "created_at": at,
            "actor_id": actor[0] if actor else None,
            "actor_label": actor[1] if actor else SYSTEM,
            "action": action,
            "content_type_id": self.type_id(model) if model is not None else None,
            "object_id": str(object_id),
            "object_repr": label[:200],
            "division_id": division_id,
            "changes": changes or {},
            "reason": "",
            "ip": None,
            "data": data or {},
        }
