"""The demo county has something to look at for every category."""

from django.core.management import call_command

from disclosures import demo
from disclosures.models import PUBLIC_STATUSES, Category, Disclosure, Kind, Status
from disclosures.reconciliation import reconcile


def test_demo_seed_covers_every_category_and_is_idempotent(db):
    call_command("seed_demo", verbosity=0)
    public = Disclosure.objects.filter(status__in=PUBLIC_STATUSES)
    for category in Category.objects.all():
        phases = set(public.filter(category=category).values_list("phase", flat=True))
        assert phases == ({"pre", "post"} if category.kind == Kind.ROSTER else {"single"}), category.slug
    corrected = public.filter(current_revision__number__gt=1).select_related("category").first()
    assert corrected is not None and corrected.current_revision.reason
    post = public.get(category__slug="dibao", period="2026-10", phase="post")
    result = reconcile(post)
    assert result.anomaly_count >= 2 and result.previous is not None
    assert public.filter(category__slug="dibao", period="2026-11", phase="pre", status=Status.PUBLISHED).exists()
    assert Disclosure.objects.filter(status=Status.SUBMITTED).exists()  # one waiting for the reviewer
    assert Disclosure.objects.filter(status=Status.CONFIRMED).exists()  # old windows closed by the tick
    count = Disclosure.objects.count()
    assert demo.seed().endswith("0 demo disclosures created")
    assert Disclosure.objects.count() == count


def test_seed_categories_command_is_idempotent_and_keeps_edits(db):
    from io import StringIO

    out = StringIO()
    call_command("seed_categories", stdout=out)
    assert "12 categories created" in out.getvalue()
    Category.objects.filter(slug="dibao").update(objection_days=10)
    call_command("seed_categories", stdout=out)
    assert "0 categories created, 12 in total" in out.getvalue()
    assert Category.objects.get(slug="dibao").objection_days == 10


def test_demo_county_shows_every_kind_of_lead_to_the_inspector(db):
    from django.contrib.auth import get_user_model

    from disclosures import exports, selectors

    call_command("seed_demo", verbosity=0)
    inspector = get_user_model().objects.get(username="inspector")
    tables = exports.anomaly_tables(inspector, selectors.AnomalyFilters())
    assert {t.kind: bool(t.rows) for t in tables} == dict.fromkeys(exports.ANOMALY_KINDS, True)
    clerk = get_user_model().objects.get(username="clerk_v02")
    assert not any(t.rows for t in exports.anomaly_tables(clerk, selectors.AnomalyFilters()))
