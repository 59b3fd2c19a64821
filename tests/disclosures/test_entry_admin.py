"""名单条目 in the admin: every roster entry in one's jurisdiction, searchable, filterable, paginated, read-only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures.models import RosterEntry
from sunshine.identity import mask_id
from tests import factories as f
from tests.disclosures.helpers import IDS, draft_roster, entry
from villages.models import Role

URL = "/admin/disclosures/rosterentry/"


@pytest.fixture
def rosters(world, categories, clerk_v1, clerk_v3):
    """甲村 (一乡) has a 低保 and a 特困 roster; 丙村 (二乡) has one of its own."""
    dibao = draft_roster(clerk_v1, world.v1, categories["dibao"], period="2026-10", phase="pre", rows=[
        entry("张三", 500, id_number=IDS[0], group="第1村民小组"),
        entry("李四", 400, id_number=IDS[1], group="第2村民小组"),
    ])  # fmt: skip
    tekun = draft_roster(clerk_v1, world.v1, categories["tekun"], period="2026-11", phase="post", rows=[
        entry("王五", 900, id_number=IDS[2], group="第1村民小组"),
    ])  # fmt: skip
    other = draft_roster(clerk_v3, world.v3, categories["dibao"], rows=[entry("赵六", 300, id_number=IDS[3])])
    return dibao, tekun, other


def names(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200
    return sorted(e.name for e in response.context["cl"].result_list)


def test_each_role_sees_the_entries_of_its_jurisdiction_only(client, world, rosters, clerk_v1, reviewer_t2, inspector):
    for user, expected in ((clerk_v1, ["张三", "李四", "王五"]), (reviewer_t2, ["赵六"]),
                           (inspector, ["张三", "李四", "王五", "赵六"])):  # fmt: skip
        client.force_login(user)
        assert names(client) == expected
    client.force_login(clerk_v1)
    other = RosterEntry.objects.get(name="赵六")
    assert client.get(f"{URL}{other.pk}/change/").status_code == 302  # outside: "does not exist" redirect


def test_staff_without_a_role_cannot_open_the_list(client, world, rosters):
    nobody = f.staff("nobody", Role.VILLAGE_CLERK, world.v1)
    nobody.memberships.all().delete()
    client.force_login(nobody)
    assert client.get(URL).status_code == 403


def test_search_by_name_group_and_masked_id(client, world, rosters, inspector):
    client.force_login(inspector)
    assert names(client, "?q=李") == ["李四"]
    assert names(client, "?q=第1村民小组") == ["张三", "王五"]
    assert names(client, "?q=" + mask_id(IDS[2])[-4:].lower()) == ["王五"]  # ends in X; typed as x
    # A whole ID number is refused with a reason: a search is a GET and would keep it in URLs and logs.
    response = client.get(URL, {"q": IDS[3]}, follow=True)
    assert list(response.context["cl"].result_list) == []
    assert "请不要输入完整身份证号查找" in response.content.decode()


def test_filters_by_village_category_period_and_phase(client, world, rosters, categories, inspector):
    client.force_login(inspector)
    assert names(client, f"?village={world.v3.pk}") == ["赵六"]
    assert names(client, f"?category={categories['tekun'].pk}") == ["王五"]
    assert names(client, "?period=2026-10&phase=pre") == ["张三", "李四", "赵六"]
    assert names(client, "?phase=post") == ["王五"]


def test_read_only_with_a_link_to_the_revision(client, world, rosters, clerk_v1):
    client.force_login(clerk_v1)
    page = client.get(URL).content.decode()
    revision = rosters[0].revisions.get()
    assert f"/admin/disclosures/revision/{revision.pk}/change/" in page
    assert "名单条目" in page and "所在版本" in page and "身份证号（脱敏）" in page
    assert client.get(f"{URL}add/").status_code == 403
    entry_pk = RosterEntry.objects.get(name="张三").pk
    assert client.post(f"{URL}{entry_pk}/change/", {"name": "改名"}).status_code == 403
    assert client.post(f"{URL}{entry_pk}/delete/", {"post": "yes"}).status_code == 403
    assert RosterEntry.objects.get(pk=entry_pk).name == "张三"


def test_the_list_costs_the_same_queries_for_one_row_and_for_fifty(client, world, categories, clerk_v1):
    draft_roster(clerk_v1, world.v1, categories["dibao"], rows=[entry("一人", 300)])
    client.force_login(clerk_v1)
    client.get(URL)  # warm the per-user caches
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    draft_roster(clerk_v1, world.v1, categories["tekun"], rows=[entry(f"户{i}", 300) for i in range(49)])
    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(URL).context["cl"].result_list) == 50
    assert len(one) == len(fifty)


def test_period_choices_are_distinct_and_the_count_stops_at_the_cap(client, world, rosters, inspector, monkeypatch):
    from disclosures import entry_admin

    client.force_login(inspector)
    response = client.get(URL)
    period_filter = next(f for f in response.context["cl"].filter_specs if f.parameter_name == "period")
    assert [value for value, _label in period_filter.lookup_choices] == ["2026-11", "2026-10"]
    monkeypatch.setattr(entry_admin, "COUNT_CAP", 2)
    assert client.get(URL).context["cl"].result_count == 2  # four entries, counted up to the cap
