"""The bulletin-board notice (公示栏) of a published revision as a PDF: WeasyPrint, Noto Sans CJK, a QR code
to the online page and the revision's checksum.

Rendered once, in the background, when the revision is published (``disclosures.tasks.bulletin_render``),
never in a web request: this module builds the HTML from the database, hands it to child processes
(``bulletin_child``) and stores the PDF in private storage under a name that carries the revision's checksum.
The public link serves that file. The printed URL and QR code come from ``SITE_URL``, never a visitor's Host
header. A take-down deletes the files with the personal data they hold.
"""

import contextlib
import io
import os
import tempfile
import uuid

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from sunshine.audit.services import current_head
from sunshine.storage import private_storage

from . import selectors
from .bulletin_child import BulletinRenderError, render_parts
from .charts import ledger_chart, payout_bulletin_chart
from .models import CLOSED_REVISION_STATES, PUBLIC_STATUSES, Bulletin, Kind, Phase, Revision

# Rows per part: one WeasyPrint pass over 1,000 rows peaks near 170 MB; 5,000 rows in one pass took 694 MB.
PART_ROWS = 1000
# Relative column widths of a roster table (``table-layout: fixed`` lays it out without measuring every cell).
COLUMN_WEIGHTS = {"name": 3, "group": 3, "household_size": 2, "amount": 2.6, "assistance_class": 2.4}
COLUMN_WEIGHTS |= {"id_masked": 4.6, "remark": 5}
NUMBER_COLUMN_WEIGHT = 1.6
LEDGER_WIDTHS = (12, 10, 42, 12, 12, 12)  # date, voucher, summary, income, expense, balance (%)


def bulletin_path(revision):
    """One name per publication: the revision, its checksum and the moment it was published."""
    published = int(revision.published_at.timestamp() * 1000)
    return f"bulletins/{revision.disclosure_id}/{revision.pk}-{revision.checksum[:16]}-{published}.pdf"


def stored_bulletin(revision):
    """The storage name of the revision's stored PDF, or None while it does not exist (no query)."""
    path = bulletin_path(revision)
    return path if private_storage().exists(path) else None


def page_url(disclosure, number):
    """The revision's public page, as printed under the QR code: from ``SITE_URL``, never from a request."""
    kwargs = {"code": disclosure.division.code, "slug": disclosure.category.slug}
    kwargs |= {"period": disclosure.period, "phase": disclosure.phase, "number": number}
    return settings.SITE_URL.rstrip("/") + reverse("disclosures:revision", kwargs=kwargs)


def qr_svg(url):
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=1)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.find("<svg") :]


def column_widths(fields):
    """Percent widths of the number column and each public field, summing to 100."""
    weights = [NUMBER_COLUMN_WEIGHT, *(COLUMN_WEIGHTS.get(f, 3) for f in fields)]
    total = sum(weights)
    return [round(100 * w / total, 2) for w in weights]


def bulletin_parts(revision):
    """The bulletin's HTML, in parts of at most ``PART_ROWS`` roster rows (one part for other kinds)."""
    disclosure = revision.disclosure
    category = disclosure.category
    url = page_url(disclosure, revision.number)
    context = {"revision": revision, "disclosure": disclosure, "category": category, "now": timezone.now()}
    context |= {"qr": qr_svg(url), "page_url": url, "audit_head": current_head()}  # the head: checkable on paper
    context["office_phone"] = settings.OFFICE_PHONE  # a resident without a phone scanner can still call
    if category.kind == Kind.LEDGER:
        context |= {"lines": list(revision.ledger_lines.all()), "ledger_widths": LEDGER_WIDTHS}
        context["charts"] = [ledger_chart(revision, printed=True)]
    elif disclosure.phase == Phase.POST:  # the village's payouts up to this one (pre rosters list changes only)
        context["charts"] = [payout_bulletin_chart(disclosure)]
    if category.kind != Kind.ROSTER:
        return [render_to_string("disclosures/bulletin.html", {**context, "first": True, "last": True})]
    fields, cols = selectors.columns(category)
    rows = selectors.roster_rows(selectors.roster_entries(revision), fields)
    starts = range(0, max(len(rows), 1), PART_ROWS)
    context |= {"columns": list(zip(cols, column_widths(fields)[1:])), "number_width": column_widths(fields)[0]}
    context["parted"] = len(starts) > 1
    return [
        render_to_string(
            "disclosures/bulletin.html",
            {
                **context,
                "rows": [(start + i, cells) for i, (_pk, cells) in enumerate(rows[start : start + PART_ROWS], 1)],
                "first": start == 0,
                "last": start == starts[-1],
            },
        )
        for start in starts
    ]


def render_bulletin(revision):
    """The PDF of ``revision`` (``bulletin_child.RenderResult``), rendered by child processes."""
    with tempfile.TemporaryDirectory(prefix="bulletin-") as workdir:
        return render_parts(bulletin_parts(revision), workdir=workdir, base_url=str(settings.BASE_DIR))


def _public_revision(revision_id):
    """The revision if the public may read it now (published or superseded, its disclosure not taken down)."""
    return (
        Revision.objects.select_related("disclosure__division", "disclosure__category")
        .filter(pk=revision_id, state__in=CLOSED_REVISION_STATES, disclosure__status__in=PUBLIC_STATUSES)
        .first()
    )


def bulletins_missing(*, include_stored=False):
    """Public revisions whose PDF is not stored (or all public revisions), oldest first."""
    revisions = Revision.objects.filter(state__in=CLOSED_REVISION_STATES, disclosure__status__in=PUBLIC_STATUSES)
    revisions = revisions.select_related("disclosure").order_by("pk")
    return [r for r in revisions if include_stored or stored_bulletin(r) is None]


def bulletin_render_and_store(revision_id, *, replace=False):
    """Render and store the bulletin of a public revision; what happened, in words (the task's result).

    Idempotent: a stored file is kept (unless ``replace``), a revision that is no longer public gets nothing,
    and a take-down that commits while this renders leaves no file (checked again after storing: a take-down
    committed later deletes the file itself). Two runs at once store one file under one name.
    """
    revision = _public_revision(revision_id)
    if revision is None:
        return "not public: nothing rendered"
    path = bulletin_path(revision)
    if not replace and private_storage().exists(path):
        return "already stored"
    Bulletin.objects.filter(revision=revision).update(started_at=timezone.now())
    try:
        result = render_bulletin(revision)
    except BulletinRenderError as exc:
        Bulletin.objects.filter(revision=revision).update(failed_at=timezone.now(), failure=str(exc))
        raise
    if _public_revision(revision_id) is None:
        return "taken down while rendering: nothing stored"
    with contextlib.suppress(FileNotFoundError):  # a take-down emptied the folder meanwhile: checked below
        _store(path, result.content)
    if _public_revision(revision_id) is None:
        private_storage().delete(path)
        return "taken down while storing: file deleted"
    Bulletin.objects.filter(revision=revision).update(
        stored_at=timezone.now(), failure="", size=len(result.content), pages=result.pages, peak_kb=result.peak_kb
    )
    return f"stored {path}: {result.pages} pages, {len(result.content)} bytes, child peak {result.peak_kb // 1024} MB"


def _store(path, content):
    """Store ``content`` under ``path`` so that a reader sees no file or the whole file, never half of it."""
    storage = private_storage()
    if isinstance(storage, FileSystemStorage):
        final = storage.path(path)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        partial = f"{final}.{uuid.uuid4().hex}.part"
        with open(partial, "wb") as handle:
            handle.write(content)
        os.replace(partial, final)  # atomic on one file system; a second render of the same revision replaces it
        return
    storage.delete(path)  # object stores write a whole object at once
    storage.save(path, ContentFile(content))


def forget_bulletins(disclosure):
    """Delete the stored PDFs of every revision of ``disclosure`` (a take-down: they hold personal data)."""
    storage = private_storage()
    folder = f"bulletins/{disclosure.pk}"
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in files:
        storage.delete(f"{folder}/{name}")
    return len(files)
