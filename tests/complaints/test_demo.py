from complaints import demo
from complaints.models import Complaint, Status
from villages.demo import seed_divisions_and_staff


def test_demo_has_every_state_and_is_idempotent(db):
    seed_divisions_and_staff()
    summary = demo.seed()
    assert "demo complaints" in summary
    states = set(Complaint.objects.values_list("status", flat=True))
    assert states == set(Status.values)
    assert Complaint.objects.filter(concerns_cadres=True, handler_role="township_discipline").exists()
    assert Complaint.objects.filter(level="county").exists()
    assert Complaint.objects.filter(is_review=True).exists()
    count = Complaint.objects.count()
    assert "already present" in demo.seed()
    assert Complaint.objects.count() == count
