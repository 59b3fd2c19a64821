"""What of a roster reaches the public, with free text masked on its way out.

Kept apart from ``services`` so the read side (selectors, diffs, reconciliation, bulletin, the API's
serializers) can use it without importing the write side: that import circle is gone.
"""

import hashlib
import json

from sunshine.masking import mask_free_text

from .models import PUBLIC_ROSTER_FIELDS

# Roster fields a clerk types freely: masked (sunshine.masking) on every public output.
FREE_TEXT_FIELDS = ("name", "group", "assistance_class", "remark")


def public_value(entry, name):
    value = getattr(entry, name)
    return mask_free_text(value) if name in FREE_TEXT_FIELDS else value


def public_entry_values(entry, fields):
    return {name: public_value(entry, name) for name in fields}


def public_fields_of(category):
    return [f for f in PUBLIC_ROSTER_FIELDS if f in (category.public_fields or [])] or ["name", "group", "amount"]


def revision_public_content(revision):
    """Everything the public sees of a revision, as JSON-safe data (checksum, diff, PDF)."""
    category = revision.disclosure.category
    fields = public_fields_of(category)
    return {
        "title": mask_free_text(revision.title or revision.disclosure.title),
        "body": mask_free_text(revision.body),
        "entries": [
            {k: (str(v) if v is not None else None) for k, v in public_entry_values(e, fields).items()}
            for e in revision.entries.all()
        ],
        "ledger": [
            [
                str(line.date),
                line.voucher_no,
                mask_free_text(line.summary),
                str(line.income),
                str(line.expense),
                str(line.balance),
            ]  # fmt: skip
            for line in revision.ledger_lines.all()
        ],
        "attachments": [[mask_free_text(a.title), a.size] for a in revision.attachments.all()],
    }


def revision_checksum(revision):
    """sha256 over the public content at publication; printed on the bulletin PDF."""
    payload = json.dumps(revision_public_content(revision), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
