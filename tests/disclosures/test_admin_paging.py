"""A big roster's revision page shows its rows a page at a time, still editable page by page through the service."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures.admin_paging import ROWS_PER_PAGE
from disclosures.models import Revision, RosterEntry
from sunshine.audit.models import AuditEvent
from tests.disclosures.helpers import draft_roster, entry
from tests.disclosures.test_admin import rows_post


def big_draft(clerk, world, categories, rows):
    people = [entry(f"村民{i:04d}", 300 + i % 7) for i in range(rows)]
    disclosure = draft_roster(clerk, world.v1, categories["dibao"], rows=people)
    return disclosure.revisions.get()


def row_forms(page):
    return set(re.findall(r'name="entries-(\d+)-name"', page))


def test_a_big_roster_opens_one_page_of_rows(client, world, categories, clerk_v1):
    revision = big_draft(clerk_v1, world, categories, 2 * ROWS_PER_PAGE + 30)
    client.force_login(clerk_v1)
    url = f"/admin/disclosures/revision/{revision.pk}/change/"
    first = client.get(url).content.decode()
    assert len(row_forms(first)) == ROWS_PER_PAGE + 3  # the page's rows and the inline's three blank ones
    assert "村民0000" in first and f"村民{ROWS_PER_PAGE:04d}" not in first
    assert f"第 1–{ROWS_PER_PAGE} 行，共 {2 * ROWS_PER_PAGE + 30} 行" in first and "?rows=2" in first
    last = client.get(url + "?rows=3").content.decode()
    assert f"村民{2 * ROWS_PER_PAGE:04d}" in last and "村民0000" not in last
    assert len(row_forms(last)) == 30 + 3
    beyond = client.get(url + "?rows=99").content.decode()  # past the end: no rows, never an error
    assert "村民0000" not in beyond


def test_the_page_costs_the_same_queries_for_a_small_and_a_big_roster(client, world, categories, clerk_v1):
    small = big_draft(clerk_v1, world, categories, 5)
    people = [entry(f"户{i}", 400) for i in range(3 * ROWS_PER_PAGE)]
    other = draft_roster(clerk_v1, world.v1, categories["tekun"], rows=people).revisions.get()
    client.force_login(clerk_v1)
    counts = []
    for revision in (small, other):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/admin/disclosures/revision/{revision.pk}/change/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_rows_of_page_two_are_saved_through_the_service_with_the_version(client, world, categories, clerk_v1):
    revision = big_draft(clerk_v1, world, categories, ROWS_PER_PAGE + 10)
    on_page_two = list(RosterEntry.objects.filter(revision=revision).order_by("position", "id")[ROWS_PER_PAGE:])
    target = on_page_two[0]
    url = f"/admin/disclosures/revision/{revision.pk}/change/?rows=2"
    client.force_login(clerk_v1)
    rows = [
        {"id": str(e.pk), "name": e.name, "group": e.group, "household_size": "1", "amount": str(e.amount)}
        for e in on_page_two
    ]
    rows[0]["amount"] = "999"
    response = client.post(url, rows_post(revision, rows, initial=len(rows)))
    assert response.status_code == 302
    revision.refresh_from_db()
    target.refresh_from_db()
    assert str(target.amount) == "999.00" and revision.entry_count == ROWS_PER_PAGE + 10
    assert RosterEntry.objects.filter(revision=revision, amount=999).count() == 1
    assert AuditEvent.objects.filter(action="revision.entries_edited", object_id=str(revision.pk)).count() == 1
    # The page read before that save is now stale: refused, nothing changes.
    stale = client.post(url, rows_post(revision, rows, version=revision.version - 1, initial=len(rows)))
    assert "此名单已被他人修改，请刷新后重试" in stale.content.decode()


def test_a_published_big_roster_is_paged_read_only(client, world, categories, clerk_v1, inspector):
    revision = big_draft(clerk_v1, world, categories, ROWS_PER_PAGE + 1)
    Revision.objects.filter(pk=revision.pk).update(state="published")
    client.force_login(inspector)
    page = client.get(f"/admin/disclosures/revision/{revision.pk}/change/").content.decode()
    assert not row_forms(page) and "村民0000" in page and f"村民{ROWS_PER_PAGE:04d}" not in page
    assert "?rows=2" in page


def _page_two_rows(revision):
    on_page_two = RosterEntry.objects.filter(revision=revision).order_by("position", "id")[ROWS_PER_PAGE:]
    return [
        {"id": str(e.pk), "name": e.name, "group": e.group, "household_size": "1", "amount": str(e.amount)}
        for e in on_page_two
    ]


def test_save_and_continue_on_page_two_stays_on_page_two(client, world, categories, clerk_v1):
    revision = big_draft(clerk_v1, world, categories, ROWS_PER_PAGE + 10)
    change = f"/admin/disclosures/revision/{revision.pk}/change/"
    client.force_login(clerk_v1)
    rows = _page_two_rows(revision)
    rows[0]["amount"] = "888"
    data = {**rows_post(revision, rows, initial=len(rows)), "_continue": "1"}
    response = client.post(change + "?rows=2", data)
    assert response.status_code == 302 and response["Location"] == change + "?rows=2"
    assert RosterEntry.objects.filter(revision=revision, amount=888).count() == 1
    landed = client.get(response["Location"]).content.decode()
    assert f"村民{ROWS_PER_PAGE:04d}" in landed and "村民0000" not in landed


def test_save_and_continue_keeps_the_list_filters_and_the_page(client, world, categories, clerk_v1):
    revision = big_draft(clerk_v1, world, categories, ROWS_PER_PAGE + 10)
    change = f"/admin/disclosures/revision/{revision.pk}/change/"
    client.force_login(clerk_v1)
    rows = _page_two_rows(revision)
    revision.refresh_from_db()
    data = {**rows_post(revision, rows, initial=len(rows)), "_continue": "1"}
    response = client.post(change + "?_changelist_filters=state%3Ddraft&rows=2", data)
    assert response.status_code == 302
    assert response["Location"] == change + "?_changelist_filters=state%3Ddraft&rows=2"


def test_save_and_continue_on_page_one_adds_no_page(client, world, categories, clerk_v1):
    revision = big_draft(clerk_v1, world, categories, 5)
    change = f"/admin/disclosures/revision/{revision.pk}/change/"
    client.force_login(clerk_v1)
    rows = [
        {"id": str(e.pk), "name": e.name, "group": e.group, "household_size": "1", "amount": str(e.amount)}
        for e in RosterEntry.objects.filter(revision=revision).order_by("position", "id")
    ]
    response = client.post(change, {**rows_post(revision, rows, initial=len(rows)), "_continue": "1"})
    assert response.status_code == 302 and response["Location"] == change


def test_a_refused_save_on_page_two_returns_to_page_two(client, world, categories, clerk_v1, monkeypatch):
    """The service refuses (the revision left draft meanwhile): nothing is saved and the clerk is back on page 2."""
    from django.core.exceptions import ValidationError

    from disclosures import services

    def refuse(**kwargs):
        raise ValidationError("此版本已不是草稿")

    revision = big_draft(clerk_v1, world, categories, ROWS_PER_PAGE + 10)
    change = f"/admin/disclosures/revision/{revision.pk}/change/"
    client.force_login(clerk_v1)
    rows = _page_two_rows(revision)
    rows[0]["amount"] = "777"
    monkeypatch.setattr(services, "revision_save_rows", refuse)
    response = client.post(change + "?rows=2", {**rows_post(revision, rows, initial=len(rows)), "_continue": "1"})
    assert response.status_code == 302 and response["Location"] == change + "?rows=2"
    assert not RosterEntry.objects.filter(revision=revision, amount=777).exists()
