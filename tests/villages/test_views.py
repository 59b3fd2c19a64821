import pytest

from tests import factories as f


def _grow(world, n):
    for i in range(n):
        f.village(world.t2, f"新村{i}")


@pytest.mark.parametrize("extra_villages", [0, 40])
def test_home_page_query_count_does_not_grow_with_villages(
    client, world, django_assert_max_num_queries, extra_villages
):
    _grow(world, extra_villages)
    with django_assert_max_num_queries(4):
        response = client.get("/")
    assert response.status_code == 200


def test_home_page_queries_are_the_same_for_few_and_many_villages(client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/")
    _grow(world, 30)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get("/").content.decode()
    assert "新村29" in page


def test_home_lists_townships_and_villages_with_links(client, world):
    page = client.get("/").content.decode()
    assert "测试县" in page and "一乡" in page and "/v/990101001000/" in page and "/t/990102000000/" in page


def test_village_and_township_pages(client, world):
    page = client.get("/v/990101001000/").content.decode()
    assert "甲村" in page and "一组" in page and "一乡" in page
    assert "乙村" in client.get("/t/990101000000/").content.decode()
    assert client.get("/v/990101000000/").status_code == 404  # a township code is not a village


def test_pages_work_in_english(client, world):
    client.cookies["django_language"] = "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page
    assert ">Home<" in page and "Large text" in page  # the compiled English catalog (make install compiles it)


def test_api_docs_are_served_locally(client, db):
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page and "cdn" not in page.lower()
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/divisions/" in schema.content


def test_kiosk_mode_toggles_large_text_without_javascript(client, world):
    response = client.post("/kiosk/", {"next": "/"})
    assert response.status_code == 302
    assert 'class="kiosk"' in client.get("/").content.decode()


def test_a_browser_set_to_english_gets_the_chinese_site_until_english_is_chosen(client, world):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in page.content.decode() and ">首页<" in page.content.decode()
    assert "Accept-Language" not in page.get("Vary", "")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})  # the toggle
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-hans"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
