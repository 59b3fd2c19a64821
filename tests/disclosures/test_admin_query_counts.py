"""The disclosure and revision changelists cost the same queries for one row as for a full page, whatever the
villages owe (the overdue panel) and however many rows their rosters have."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.project.test_staff_api_query_counts import disclosures


def count(client, url):
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("url", ["/admin/disclosures/disclosure/", "/admin/disclosures/revision/"])
@pytest.mark.parametrize("published", [False, True], ids=["drafts", "published"])
def test_changelists_do_not_grow_with_rows(client, world, categories, clerk_v1, inspector, url, published):
    client.force_login(inspector)
    disclosures(world, categories, clerk_v1, 100, 1, published=published)
    one, _ = count(client, url)
    disclosures(world, categories, clerk_v1, 101, 99, published=published)
    many, response = count(client, url)
    assert response.context["cl"].result_count == 100 and many == one
