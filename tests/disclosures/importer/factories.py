"""Roster categories for the importer's tests (the real ones are seeded by disclosures.categories)."""

from disclosures.models import Cadence, Category, Kind


def roster_category(slug="dibao", **fields):
    defaults = {
        "name": "最低生活保障（低保）",
        "kind": Kind.ROSTER,
        "cadence": Cadence.MONTHLY,
        "objection_days": 7,
        "public_fields": ["name", "group", "household_size", "amount", "assistance_class"],
        "stores_full_id": False,
    }
    category, _ = Category.objects.update_or_create(slug=slug, defaults={**defaults, **fields})
    return category


def ledger_category():
    category, _ = Category.objects.update_or_create(
        slug="caiwu", defaults={"name": "村级财务收支", "kind": Kind.LEDGER, "cadence": Cadence.MONTHLY}
    )
    return category
