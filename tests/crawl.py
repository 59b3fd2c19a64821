"""A crawler over every public output, for the privacy tests.

``crawl(client, start_urls)`` follows same-site links in HTML (href, src,
action-less), URLs inside JSON (pagination ``next``, ``url`` fields, absolute ``SITE_URL`` addresses such as
the open-data catalogue's ``downloadURL``), Atom feeds, and extracts the text of PDFs; of a download
(``Content-Disposition: attachment``) it keeps the header, so the published file name is checked too, and
the text of every cell of a CSV or xlsx file (open data); it never enters /admin/. Each app's
privacy test seeds known secrets, crawls from its start pages, and asserts with
``assert_no_secrets``.
"""

import contextlib
import io
import json
import re
import subprocess
import tempfile
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import openpyxl
from django.conf import settings

LINK = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#]+)""", re.IGNORECASE)
SKIP_PREFIXES = ("/admin/", "/static/", "/i18n/", "/kiosk/")


def _same_site(url):
    parsed = urlparse(url)
    return parsed.netloc in ("", "testserver") and parsed.scheme in ("", "http", "https")


def _path(url):
    parsed = urlparse(url)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def _local(url):
    """An absolute address on this site's ``SITE_URL`` (as the open-data catalogue writes them) as a path."""
    site = settings.SITE_URL.rstrip("/") + "/"
    return url[len(site) - 1 :] if url.startswith(site) else url


def _json_urls(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _json_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_urls(item)
    elif isinstance(value, str) and value.startswith(("http://testserver/", "/api/", "/open311/")):
        yield value
    elif isinstance(value, str) and _local(value) != value:
        yield _local(value)


def pdf_text(content):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True
        ).stdout.decode("utf-8", "replace")


def spreadsheet_text(content, content_type):
    """Every cell of a downloaded CSV or xlsx file as text, one row a line; "" for any other file."""
    if content_type.startswith("text/csv"):
        return content.decode("utf-8-sig")
    if content_type.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if value is None else str(value) for value in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return ""


def crawl(client, start_urls, limit=2000, extra_headers=None):
    """Fetch every reachable public URL. Returns ``{path: text}`` (PDFs as extracted text)."""
    seen, queue, pages = set(), list(start_urls), {}
    while queue and len(pages) < limit:
        url = urldefrag(queue.pop(0))[0]
        if not _same_site(url):
            continue
        path = _path(url)
        if path in seen or path.startswith(SKIP_PREFIXES):
            continue
        seen.add(path)
        response = client.get(path, **(extra_headers or {}))
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urljoin(path, response["Location"]))
            continue
        if response.status_code != 200:
            continue
        content_type = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response.get("Content-Disposition", "").startswith("attachment"):
            # a downloaded file: its download name is what we publish, and of a table (open data) every cell
            pages[path] = unquote(response["Content-Disposition"]) + "\n" + spreadsheet_text(body, content_type)
            continue
        if "pdf" in content_type:
            pages[path] = pdf_text(body)
            continue
        text = body.decode("utf-8", "replace")
        pages[path] = text
        if "json" in content_type:
            with contextlib.suppress(ValueError):
                queue.extend(_json_urls(json.loads(text)))
        elif "html" in content_type or "xml" in content_type:
            queue.extend(urljoin(path, m.decode("utf-8", "replace")) for m in LINK.findall(body))
    return pages


def assert_no_secrets(pages, secrets):
    """No secret (full ID, phone, bank account, complainant name …) in any crawled output."""
    leaks = [(path, secret) for path, text in pages.items() for secret in secrets if secret and secret in text]
    assert not leaks, f"personal data leaked on public outputs: {leaks[:10]}"
