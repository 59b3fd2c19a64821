"""Content-Security-Policy (django-csp): on public, admin, error and API-doc pages; and no page we render
needs what the policy forbids (inline script, style attributes, inline event handlers, <style> blocks)."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.crawl import crawl

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
FORBIDDEN = {
    "inline script": INLINE_SCRIPT,
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "<style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
}


def policy(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def assert_strict(response, path):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"], path
    assert directives["script-src"] == ["'self'"], path
    assert directives["style-src"] == ["'self'"], path
    assert directives["frame-ancestors"] == ["'none'"], path
    assert directives["object-src"] == ["'none'"], path


def assert_clean_html(html, path):
    for what, pattern in FORBIDDEN.items():
        found = pattern.search(html)
        assert found is None, f"{path}: {what}: {html[max(0, found.start() - 80) : found.end() + 80]}"


@pytest.mark.django_db
def test_every_kind_of_public_page_has_the_policy_and_needs_nothing_it_forbids():
    call_command("seed_demo")
    client = Client()
    pages = crawl(client, ["/", "/complaints/", "/complaints/results/", "/complaints/track/"], limit=400)
    shapes = {}
    for path, text in pages.items():
        if text.lstrip()[:15].lower().startswith("<!doctype html"):
            shapes.setdefault(re.sub(r"\d+", "N", path.split("?")[0]), path)
    assert len(shapes) >= 10, sorted(shapes)
    for path in sorted(shapes.values()):
        response = client.get(path)
        assert_strict(response, path)
        assert_clean_html(response.content.decode(), path)
    for path in ("/healthz", "/api/v1/disclosures/", "/open311/v2/services.json", "/robots.txt", "/?q=%00"):
        assert_strict(client.get(path), path)


def test_api_docs_keep_scripts_to_files(client, db):
    swagger = client.get("/api/v1/docs/")
    assert_strict(swagger, "/api/v1/docs/")
    assert_clean_html(swagger.content.decode(), "/api/v1/docs/")
    assert client.get("/api/v1/docs/?script=").status_code == 200
    redoc = client.get("/api/v1/redoc/")
    assert not INLINE_SCRIPT.search(redoc.content.decode())
    assert "googleapis" not in redoc.content.decode()
    directives = policy(redoc)
    assert directives["script-src"] == ["'self'"] and "'unsafe-inline'" in directives["style-src"]
