"""What changed between two revisions, in public (allow-listed, masked) fields only."""

import difflib
from dataclasses import dataclass, field

from .models import Kind
from .public_text import public_fields_of


def entry_key(entry):
    """Match people by keyed hash, falling back to name and group."""
    return entry.person_key or f"{entry.name}|{entry.group}"


@dataclass
class RevisionDiff:
    kind: str
    fields: list
    added: list = field(default_factory=list)  # entries
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)  # (old, new, [field names])
    text_changed: bool = False
    text_lines: list = field(default_factory=list)  # unified diff of title/body/ledger

    @property
    def is_empty(self):
        return not (self.added or self.removed or self.changed or self.text_changed)

    def summary(self):
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "changed_fields": sorted({f for _, _, names in self.changed for f in names}),
            "text_changed": self.text_changed,
        }


def _ledger_text(revision):
    return [
        f"{line.date} {line.voucher_no} {line.summary} 收{line.income} 支{line.expense} 余{line.balance}"
        for line in revision.ledger_lines.all()
    ]


def revision_diff(old, new):
    category = new.disclosure.category
    fields = public_fields_of(category)
    result = RevisionDiff(kind=category.kind, fields=fields)
    old_text = [old.title, *old.body.splitlines()]
    new_text = [new.title, *new.body.splitlines()]
    if category.kind == Kind.LEDGER:
        old_text += _ledger_text(old)
        new_text += _ledger_text(new)
    if old_text != new_text:
        result.text_changed = True
        result.text_lines = list(difflib.unified_diff(old_text, new_text, lineterm="", n=1))[2:]
    if category.kind == Kind.ROSTER:
        before = {entry_key(e): e for e in old.entries.all()}
        after = {entry_key(e): e for e in new.entries.all()}
        for key, entry in after.items():
            previous = before.get(key)
            if previous is None:
                result.added.append(entry)
                continue
            names = [f for f in fields if getattr(previous, f) != getattr(entry, f)]
            if names:
                result.changed.append((previous, entry, names))
        result.removed = [e for key, e in before.items() if key not in after]
    return result
