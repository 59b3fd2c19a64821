"""What of a roster reaches the public, and how free text is scrubbed on its way out.

Kept apart from ``services`` so the read side (selectors, diffs, reconciliation, bulletin, the API's
serializers) can use it without importing the write side: that import circle is gone.
"""

import hashlib
import json
import re

from sunshine.identity import mask_id

from .models import PUBLIC_ROSTER_FIELDS

# Runs of 11+ digits in free text (phones, IDs, bank accounts a clerk typed into a remark).
_LONG_DIGITS = re.compile(r"\d[\d \-]{9,}\d")
# Roster fields a clerk types freely: scrubbed on every public output.
FREE_TEXT_FIELDS = ("name", "group", "assistance_class", "remark")


def scrub(text):
    """Mask long digit runs in free text that reaches the public (remarks, names)."""
    if not text:
        return text
    return _LONG_DIGITS.sub(lambda m: mask_id(re.sub(r"\D", "", m.group())), str(text))


def public_value(entry, name):
    value = getattr(entry, name)
    return scrub(value) if name in FREE_TEXT_FIELDS else value


def public_entry_values(entry, fields):
    return {name: public_value(entry, name) for name in fields}


def public_fields_of(category):
    return [f for f in PUBLIC_ROSTER_FIELDS if f in (category.public_fields or [])] or ["name", "group", "amount"]


def revision_public_content(revision):
    """Everything the public sees of a revision, as JSON-safe data (checksum, diff, PDF)."""
    category = revision.disclosure.category
    fields = public_fields_of(category)
    return {
        "title": revision.title or revision.disclosure.title,
        "body": revision.body,
        "entries": [
            {k: (str(v) if v is not None else None) for k, v in public_entry_values(e, fields).items()}
            for e in revision.entries.all()
        ],
        "ledger": [
            [str(line.date), line.voucher_no, line.summary, str(line.income), str(line.expense), str(line.balance)]
            for line in revision.ledger_lines.all()
        ],
        "attachments": [[a.title, a.size] for a in revision.attachments.all()],
    }


def revision_checksum(revision):
    """sha256 over the public content at publication; printed on the bulletin PDF."""
    payload = json.dumps(revision_public_content(revision), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
