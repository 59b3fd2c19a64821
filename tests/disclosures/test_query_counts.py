"""List pages cost the same number of queries with one row and with many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.disclosures.helpers import entry, published_roster

PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/d/{v1}/",
        "/d/{t1}/",
        "/d/{county}/",
        "/d/{v1}/c/dibao/",
        "/d/{v1}/calendar/",
        "/d/{v1}/feed/",
        "/d/{county}/feed/",
        "/v/{v1}/",
        "/api/v1/disclosures/",
    ],
)
def test_list_pages_do_not_grow_with_rows(client, world, categories, crew, url):
    url = url.format(v1=world.v1.code, t1=world.t1.code, county=world.county.code)
    published_roster(*crew, world.v1, categories["dibao"], period=PERIODS[0], rows=[entry("张三", 500)])
    client.get(url)  # warm up
    one = queries(client, url)
    for period in PERIODS[1:]:
        published_roster(*crew, world.v1, categories["dibao"], period=period, rows=[entry("张三", 500)])
    assert queries(client, url) == one
