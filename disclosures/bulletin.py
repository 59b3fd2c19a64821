"""The bulletin-board notice (公示栏) of a published revision as a PDF: WeasyPrint, Noto Sans CJK, a QR code
to the online page and the revision's checksum. Cached per revision in private storage; a take-down
deletes the cached files with the personal data they hold."""

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from sunshine.audit.services import current_head
from sunshine.storage import private_storage

from . import selectors
from .models import Kind


def _path(revision):
    return f"bulletins/{revision.disclosure_id}/{revision.pk}-{revision.checksum[:16]}.pdf"


def qr_svg(url):
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=1)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.find("<svg") :]


def render_bulletin(revision, *, page_url):
    from weasyprint import HTML

    disclosure = revision.disclosure
    category = disclosure.category
    context = {"revision": revision, "disclosure": disclosure, "category": category, "now": timezone.now()}
    context["qr"] = qr_svg(page_url)
    context["page_url"] = page_url
    context["audit_head"] = current_head()  # a paper copy of the chain head, checkable with audit_verify
    if category.kind == Kind.ROSTER:
        fields, cols = selectors.columns(category)
        context["columns"] = cols
        context["rows"] = [cells for _pk, cells in selectors.roster_rows(selectors.roster_entries(revision), fields)]
    elif category.kind == Kind.LEDGER:
        context["lines"] = list(revision.ledger_lines.all())
    html = render_to_string("disclosures/bulletin.html", context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def bulletin_pdf(revision, *, page_url):
    """The cached PDF bytes for a published revision, rendering it on first use."""
    storage = private_storage()
    path = _path(revision)
    if storage.exists(path):
        with storage.open(path, "rb") as handle:
            return handle.read()
    content = render_bulletin(revision, page_url=page_url)
    from django.core.files.base import ContentFile

    if not storage.exists(path):
        storage.save(path, ContentFile(content))
    return content


def forget_bulletins(disclosure):
    storage = private_storage()
    folder = f"bulletins/{disclosure.pk}"
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in files:
        storage.delete(f"{folder}/{name}")
    return len(files)
