"""NUL bytes (which PostgreSQL text cannot hold) answer 400 on every route, in each caller's own format:
the Chinese page for people, Open311's error array for Open311 clients, ``{"detail": ...}`` for the API."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from tests.complaints.test_open311 import errors_of
from tests.crawl import crawl

DIGITS = re.compile(r"\d+")


def _shape(path):
    return DIGITS.sub("N", path.split("?")[0])


def _with_nul_segment(path):
    """The path with its last non-empty segment replaced by a NUL (``/d/3601/feed/`` → ``/d/3601/%00/``)."""
    base, _, _query = path.partition("?")
    head, tail = base.rstrip("/"), "/" if base.endswith("/") else ""
    parent, _, last = head.rpartition("/")
    return f"{parent}/{last[:2]}%00{last[2:]}{tail}"


def _sample(pages):
    """One crawled path per shape of route."""
    chosen = {}
    for path in sorted(pages):
        chosen.setdefault(_shape(path), path)
    return sorted(chosen.values())


def _expect_400(response, path):
    assert response.status_code == 400, f"{path}: {response.status_code}"
    if path.startswith("/open311/"):
        errors_of(response, "xml" if ".xml" in path.split("?")[0] else "json", 400)
    elif path.startswith("/api/"):
        assert "空字符" in response.json()["detail"], path
    else:
        assert "请求有误" in response.content.decode(), path


@pytest.mark.django_db
def test_nul_in_query_or_path_answers_400_on_every_public_route():
    call_command("seed_demo")
    start = ["/", "/complaints/", "/complaints/results/", "/api/v1/disclosures/", "/open311/v2/services.json"]
    start += ["/open311/v2/requests.xml", "/open311/v2/discovery.json", "/audit/heads/"]
    paths = _sample(crawl(Client(), start, limit=500))
    routes = set()
    for path in paths:
        try:
            match = resolve(path.split("?")[0])
        except Resolver404:
            continue
        if match.kwargs or match.args:
            routes.add(match.route)
    assert len(routes) >= 12, f"the crawl reached too few routes with parameters: {sorted(routes)}"
    client = Client()
    for path in paths:
        glue = "&" if "?" in path else "?"
        for bad in (f"{path}{glue}q=%00", f"{path}{glue}page=1%00", _with_nul_segment(path)):
            _expect_400(client.get(bad), bad)


@pytest.mark.parametrize("path", ["/complaints/new/", "/complaints/track/", "/kiosk/"])
def test_nul_in_a_form_field_answers_400(client, db, path):
    response = client.post(path, {"text": "村口\x00路灯", "code": "AB\x00CD", "next": "/"})
    _expect_400(response, path)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_nul_in_its_own_error_format(client, db, fmt):
    path = f"/open311/v2/requests.{fmt}"
    response = client.post(path, {"service_code": "environment", "description": "路灯\x00坏了"})
    assert "空字符" in errors_of(response, fmt, 400)[0]
    assert "空字符" in errors_of(client.get(f"/open311/v2/requests/AB%00CD.{fmt}"), fmt, 400)[0]


def test_api_answers_nul_in_a_json_body_with_its_json_error(client, db):
    response = client.post("/api/v1/disclosures/", '{"title": "a\\u0000b"}', content_type="application/json")
    _expect_400(response, "/api/v1/disclosures/")


def test_a_broken_multipart_body_answers_400_not_500(client, db):
    response = client.generic("POST", "/complaints/new/", b"--x\r\nbroken", content_type="multipart/form-data")
    assert response.status_code == 400


def test_ordinary_input_still_passes(client, db):
    assert client.get("/?q=%E6%9D%91").status_code == 200
