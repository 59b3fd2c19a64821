"""The complaints app's public services, in one place for the other apps, commands and tests.

The work lives along its seams: ``routing`` (who handles it), ``deadlines`` (clocks), ``intake``
(filing), ``moves`` (the one table-driven ``transition`` and its wrappers) and ``tick`` (the bulk
escalation). Import from here or from those modules; this facade defines nothing itself.
"""

from .api_keys import api_key_change, api_key_issue, issue_key
from .categories import complaint_category_save
from .deadlines import clock_for, county_clock_save, stage_deadline, stage_of
from .intake import (
    MAX_TEXT,
    Submission,
    complaint_reissue_secret,
    complaint_submit,
    complaint_submit_once,
    intake_fingerprint,
    intake_replay,
    intake_token_check,
    intake_token_new,
    new_secret,
)
from .moves import (
    available_moves,
    complaint_accept,
    complaint_close,
    complaint_escalate,
    complaint_extend,
    complaint_identity,
    complaint_rate,
    complaint_record_contact,
    complaint_reject,
    complaint_reply,
    complaint_reveal_identity,
    complaint_set_public,
    complaint_start,
    complaint_transfer,
    transition,
)
from .routing import HANDLER_ROLES, LEVEL_ROLE, can_handle, level_above, min_level, route, transfer_targets
from .tick import complaints_tick

__all__ = [
    "HANDLER_ROLES",
    "LEVEL_ROLE",
    "MAX_TEXT",
    "Submission",
    "api_key_change",
    "api_key_issue",
    "available_moves",
    "can_handle",
    "clock_for",
    "complaint_accept",
    "complaint_category_save",
    "complaint_close",
    "complaint_escalate",
    "complaint_extend",
    "complaint_identity",
    "complaint_rate",
    "complaint_record_contact",
    "complaint_reissue_secret",
    "complaint_reject",
    "complaint_reply",
    "complaint_reveal_identity",
    "complaint_set_public",
    "complaint_start",
    "complaint_submit",
    "complaint_submit_once",
    "complaint_transfer",
    "complaints_tick",
    "county_clock_save",
    "intake_fingerprint",
    "intake_replay",
    "intake_token_check",
    "intake_token_new",
    "issue_key",
    "level_above",
    "min_level",
    "new_secret",
    "route",
    "stage_deadline",
    "stage_of",
    "transfer_targets",
    "transition",
]
