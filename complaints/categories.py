"""Complaint categories (the Open311 services): the seeded list and the service that edits them.

The data migration and tests use ``CATEGORIES``; the admin saves through ``complaint_category_save``.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record, snapshot
from villages.permissions import can

CATEGORIES = [
    # service_code, name, owning level, is_objection, description
    ("village-affairs", "村务公开", "village", False, "公开不及时、不完整、看不到"),
    ("environment", "环境卫生", "village", False, "垃圾、污水、村容村貌"),
    ("roads-water", "道路水利", "village", False, "村道、灌溉、饮水"),
    ("finance", "村级财务", "township", False, "收支、票据、集体资产"),
    ("subsidy", "惠农补贴", "township", False, "补贴发放、金额、对象"),
    ("social-assistance", "低保与救助", "township", False, "低保、特困、临时救助"),
    ("land", "土地承包", "township", False, "承包、流转、征地补偿"),
    ("conduct", "干部作风", "township", False, "态度、吃拿卡要、优亲厚友"),
    ("objection", "公示异议", "township", True, "对公示名单有异议"),
    ("other", "其他", "village", False, ""),
]


def seed_categories(model=None):
    """Idempotent: create the missing categories; never change ones a county admin edited."""
    if model is None:
        from .models import ComplaintCategory as model
    created = 0
    for order, (code, name, level, objection, description) in enumerate(CATEGORIES, start=1):
        _, was_created = model.objects.get_or_create(
            service_code=code,
            defaults={
                "name": name,
                "owning_level": level,
                "is_objection": objection,
                "description": description,
                "sort_order": order * 10,
            },
        )
        created += was_created
    return created


CATEGORY_FIELDS = (
    "service_code",
    "name",
    "description",
    "owning_level",
    "disclosure_category",
    "is_objection",
    "keywords",
    "sort_order",
    "is_active",
)


@transaction.atomic
def complaint_category_save(*, category, actor):
    """Create or change a category (the admin's save), audited with the fields that changed."""
    from .models import ComplaintCategory

    if not can(actor, "complaint_category.change"):
        raise PermissionDenied(_("您无权修改留言类别。"))
    stored = ComplaintCategory.objects.filter(pk=category.pk).first() if category.pk else None
    before = snapshot(stored, CATEGORY_FIELDS) if stored is not None else {}
    category.save()
    after = snapshot(category, CATEGORY_FIELDS)
    audit_record(
        actor=actor,
        action="complaint_category.changed" if stored is not None else "complaint_category.created",
        obj=category,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
    )
    return category
