import pytest

from complaints import services
from complaints.categories import seed_categories
from complaints.models import ComplaintCategory
from villages.models import VillageCadre


@pytest.fixture
def cat(db):
    """Seeded categories by service code (the data migration; reseeded after a transactional test's flush)."""
    seed_categories()
    return {c.service_code: c for c in ComplaintCategory.objects.all()}


@pytest.fixture
def cadre_v1(world):
    return VillageCadre.objects.create(division=world.v1, name="王支书", position="党支部书记")


@pytest.fixture
def file_complaint(world, cat):
    """Story helper: a resident files about 甲村 (or another village)."""

    def _file(code="environment", village=None, **kw):
        kw.setdefault("text", "村口垃圾堆了半个月没人清理。")
        complaint, secret = services.complaint_submit(category=cat[code], village=village or world.v1, **kw)
        complaint.secret = secret
        return complaint

    return _file
