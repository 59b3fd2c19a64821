"""Public pages: division → category → disclosure, roster tables, ledgers, documents, history,
reconciliation, calendar and Atom feeds. No JavaScript; only allow-listed roster fields."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from sunshine.masking import mask_free_text
from sunshine.storage import private_storage
from villages.models import Level
from villages.permissions import can
from villages.selectors import villages_in

from . import selectors
from .bulletin import stored_bulletin
from .calendar import obligations
from .charts import category_charts, ledger_chart
from .diffs import revision_diff
from .models import CLOSED_REVISION_STATES, PUBLIC_STATUSES, Attachment, Category, Kind, Phase, Status
from .reconciliation import reconcile

PAGE_SIZE = 50


def disclosure_url(disclosure, name="detail", **extra):
    kwargs = {
        "code": disclosure.division.code,
        "slug": disclosure.category.slug,
        "period": disclosure.period,
        "phase": disclosure.phase,
        **extra,
    }
    return reverse(f"disclosures:{name}", kwargs=kwargs)


def _crumbs(division):
    chain = []
    node = division
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def objection_open(disclosure, revision):
    return revision.pk == disclosure.current_revision_id and selectors.objection_window_open(disclosure)


def detail(request, code, slug, period, phase, number=None):
    disclosure = selectors.disclosure_for_page(code=code, slug=slug, period=period, phase=phase)
    context = {"disclosure": disclosure, "division": disclosure.division, "crumbs": _crumbs(disclosure.division)}
    if disclosure.status == Status.TAKEN_DOWN:
        return render(request, "disclosures/taken_down.html", context, status=410)
    if number is None or number == disclosure.current_revision.number:
        revision = disclosure.current_revision
    else:
        revision = selectors.public_revision(disclosure, number)
    revision.disclosure = disclosure
    category = disclosure.category
    context.update(
        revision=revision,
        category=category,
        is_current=revision.pk == disclosure.current_revision_id,
        objection_open=objection_open(disclosure, revision),
        bulletin_stored=stored_bulletin(revision) is not None,
        print_url=print_url(disclosure, revision),
    )
    if category.kind == Kind.ROSTER:
        context.update(roster_context(request, revision, category))
        if context["objection_open"]:
            context["objection_url"] = f"/complaints/new/?disclosure={disclosure.pk}"
        if disclosure.phase == Phase.PRE:  # the way on to what was paid, and to the comparison of the two
            context["payouts"] = [
                (
                    post.period,
                    disclosure_url_from(post, disclosure.division, category),
                    disclosure_url_from(post, disclosure.division, category, "reconciliation"),
                )
                for post in selectors.payouts_of(disclosure)
            ]
    elif category.kind == Kind.LEDGER:
        lines = list(revision.ledger_lines.all())
        income = sum((line.income for line in lines), Decimal("0"))
        expense = sum((line.expense for line in lines), Decimal("0"))
        context.update(
            lines=lines,
            income_total=income,
            expense_total=expense,
            balance=income - expense,
            chart=ledger_chart(revision),
            attachments=list(revision.attachments.all()),
        )
    else:
        context["attachments"] = list(revision.attachments.all())
    return render(request, "disclosures/detail.html", context)


def roster_context(request, revision, category):
    fields, cols = selectors.columns(category)
    q = request.GET.get("q", "").strip()[:32]
    group = request.GET.get("group", "").strip()[:64]
    show_all = request.GET.get("show") == "all"
    entries = selectors.roster_entries(revision, q=q, group=group).values_list("id", *fields)
    if show_all:
        page = None
        raw = list(entries)
    else:
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        raw = list(page.object_list)
    return {
        "columns": cols,
        "rows_html": _rows_html(raw, fields, cols, request, revision),
        "row_count": len(raw),
        "page": page,
        "q": q,
        "group": group,
        "groups": selectors.roster_groups(revision),
        "show_all": show_all,
        "filtered": bool(q or group),
        "match_count": page.paginator.count if page is not None else len(raw),
    }


def _rows_html(raw, fields, cols, request, revision):
    """The table body, built in one pass (the print view of a 500-row roster is the benchmark).

    Every cell goes through ``escape``; the objection link is added per row during the window. Each cell carries
    its column's label (``data-label``), which a phone shows beside the value when rows stack into cards; the name
    heads its card.
    """
    disclosure = revision.disclosure
    link = ""
    if objection_open(disclosure, revision):
        href = f"/complaints/new/?disclosure={disclosure.pk}&amp;entry={{}}"
        link = f'<td class="no-print action"><a href="{href}">{escape(_("对此人有异议"))}</a></td>'
    openers = [f'<td{_cell_class(f, num)} data-label="{escape(label)}">' for f, (label, num) in zip(fields, cols)]
    parts = []
    for row in raw:
        cells = "".join(
            f"{opener}{escape(selectors._cell(v, f))}</td>" for opener, v, f in zip(openers, row[1:], fields)
        )
        parts.append(f"<tr>{cells}{link.format(int(row[0])) if link else ''}</tr>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _cell_class(field, numeric):
    if numeric:
        return ' class="num"'
    return ' class="summary"' if field == "name" else ""


def history(request, code, slug, period, phase):
    disclosure = selectors.disclosure_for_page(code=code, slug=slug, period=period, phase=phase)
    if disclosure.status == Status.TAKEN_DOWN:
        raise Http404
    revisions = selectors.public_revisions(disclosure)
    for revision in revisions:
        revision.disclosure = disclosure
    fields, cols = selectors.columns(disclosure.category)
    labels = dict(zip(fields, (label for label, _n in cols)))
    steps = []
    for previous, current in zip(revisions, revisions[1:]):
        d = revision_diff(previous, current)
        steps.append(
            {
                "revision": current,
                "previous": previous,
                "diff": d,
                "added": [_public_line(e, fields) for e in d.added],
                "removed": [_public_line(e, fields) for e in d.removed],
                "changed": [
                    (
                        _public_line(new, [f for f in ("name", "group") if f in fields]),
                        [
                            (labels[n], selectors._cell(getattr(old, n), n), selectors._cell(getattr(new, n), n))
                            for n in names
                        ],
                    )
                    for old, new, names in d.changed
                ],  # fmt: skip
            }
        )
    return render(
        request,
        "disclosures/history.html",
        {
            "disclosure": disclosure,
            "division": disclosure.division,
            "crumbs": _crumbs(disclosure.division),
            "revisions": revisions,
            "steps": list(reversed(steps)),
            "fields": fields,
            "field_labels": [label for label, _n in cols],
        },
    )


def print_url(disclosure, revision):
    """The on-screen print view of a revision: every roster row on one page (全部), or the page itself."""
    url = disclosure_url(disclosure, "revision", number=revision.number)
    return f"{url}?show=all" if disclosure.category.kind == Kind.ROSTER else url


def bulletin(request, code, slug, period, phase, number):
    """The stored bulletin PDF of one published revision, rendered at publication by a worker; never rendered
    here. Until it is stored the page says 正在生成 and offers the on-screen print view."""
    disclosure = selectors.disclosure_for_page(code=code, slug=slug, period=period, phase=phase)
    if disclosure.status == Status.TAKEN_DOWN:
        raise Http404
    if number == disclosure.current_revision.number:
        revision = disclosure.current_revision
    else:
        revision = selectors.public_revision(disclosure, number)
    revision.disclosure = disclosure
    path = stored_bulletin(revision)
    if path is None:
        context = {"disclosure": disclosure, "revision": revision, "crumbs": _crumbs(disclosure.division)}
        context["print_url"] = print_url(disclosure, revision)
        response = render(request, "disclosures/bulletin_pending.html", context)
        response["Retry-After"] = "60"
        add_never_cache_headers(response)
        return response
    return _stored_pdf(request, path, f"bulletin-{disclosure.pk}-v{number}.pdf")


def _stored_pdf(request, path, filename):
    """Serve a stored PDF with validators: a reload costs a 304; ``no-cache`` because a take-down deletes it."""
    storage = private_storage()
    modified = int(storage.get_modified_time(path).timestamp())
    etag = f'"{modified:x}-{storage.size(path):x}"'
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        response = FileResponse(storage.open(path, "rb"), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"], response["Last-Modified"], response["Cache-Control"] = etag, http_date(modified), "no-cache"
    return response


def _public_line(entry, fields):
    return " ".join(c for c in (selectors._cell(getattr(entry, f), f) for f in fields) if c)


def reconciliation(request, code, slug, period, phase):
    disclosure = selectors.disclosure_for_page(code=code, slug=slug, period=period, phase=phase)
    if disclosure.status == Status.TAKEN_DOWN or disclosure.phase != Phase.POST:
        raise Http404
    result = reconcile(disclosure)
    return render(
        request,
        "disclosures/reconciliation.html",
        {
            "disclosure": disclosure,
            "division": disclosure.division,
            "crumbs": _crumbs(disclosure.division),
            "result": result,
            "groups": [
                {"total": total, "rows": [r for r in result.rows if r.outcome == total.outcome]}
                for total in sorted(result.totals, key=lambda t: not t.is_anomaly)
            ],
            "pre_links": [(p, disclosure_url_from(p, disclosure.division, disclosure.category)) for p in result.pres],
            "previous_url": disclosure_url_from(result.previous, disclosure.division, disclosure.category)
            if result.previous
            else "",
        },
    )


def disclosure_url_from(other, division, category, name="detail"):
    other.division, other.category = division, category
    return disclosure_url(other, name)


def division_page(request, code):
    division = selectors.division_by_code(code)
    if division.level == Level.GROUP:
        raise Http404
    context = {"division": division, "crumbs": _crumbs(division)}
    context["latest"] = selectors.latest_public_by_category(division)
    if division.level == Level.VILLAGE:
        context["overdue"] = obligations([division], only_overdue=True)
    else:
        villages = list(villages_in(division))
        overdue = obligations(villages, only_overdue=True)
        counts = {}
        for item in overdue:
            counts[item.division] = counts.get(item.division, 0) + 1
        context["overdue_total"] = len(overdue)
        context["overdue_by_village"] = [(v, counts[v]) for v in villages if v in counts]
        context["recent"] = list(selectors.feed_revisions(division, limit=20))
    return render(request, "disclosures/division.html", context)


def category_page(request, code, slug):
    division = selectors.division_by_code(code)
    category = get_object_or_404(Category, slug=slug, is_active=True)
    disclosures = list(
        selectors.public_disclosures()
        .filter(division=division, category=category)
        .select_related("current_revision")
        .order_by("-period", "phase")
    )
    for d in disclosures:
        d.division, d.category = division, category
    return render(
        request,
        "disclosures/category.html",
        {
            "division": division,
            "crumbs": _crumbs(division),
            "category": category,
            "disclosures": disclosures,
            "charts": category_charts(division, category),
        },
    )


def calendar_page(request, code):
    division = selectors.division_by_code(code)
    villages = [division] if division.level == Level.VILLAGE else list(villages_in(division))
    items = obligations(villages)
    return render(
        request,
        "disclosures/calendar.html",
        {"division": division, "crumbs": _crumbs(division), "items": items},
    )


def _attachment_response(item, *, cache):
    if not item.file or not item.file.storage.exists(item.file.name):
        raise Http404
    extension = item.file.name.rsplit(".", 1)[-1] if "." in item.file.name else ""
    name = mask_free_text(item.filename) or f"{mask_free_text(item.title)}.{extension}".rstrip(".")
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=item.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment(request, pk):
    """An attachment for anyone, only while its revision is (or was) published and the disclosure is public."""
    item = get_object_or_404(
        Attachment.objects.select_related("revision__disclosure"),
        pk=pk,
        revision__state__in=CLOSED_REVISION_STATES,
        revision__disclosure__status__in=PUBLIC_STATUSES,
    )
    return _attachment_response(item, cache="public, max-age=300")


@login_required
def staff_attachment(request, pk):
    """Any attachment, drafts included, for staff who may view the disclosure (its jurisdiction)."""
    item = get_object_or_404(Attachment.objects.select_related("revision__disclosure__division"), pk=pk)
    if not can(request.user, "disclosure.view", item.revision.disclosure):
        raise Http404
    return _attachment_response(item, cache="private, no-store")


def village_section(request, village):
    """The block on the public village page: latest disclosures by category, overdue ones, the feed."""
    latest = selectors.latest_public_by_category(village)
    overdue = obligations([village], only_overdue=True)
    return render_to_string(
        "disclosures/_village_section.html",
        {"village": village, "latest": latest, "overdue": overdue},
        request=request,
    )


class DivisionFeed(Feed):
    """Atom feed of publications and corrections in a village, township or county."""

    feed_type = Atom1Feed

    def get_object(self, request, code):
        return selectors.division_by_code(code)

    def title(self, obj):
        return _("%(name)s 村务公开") % {"name": obj.name}

    def link(self, obj):
        return reverse("disclosures:division", kwargs={"code": obj.code})

    def subtitle(self, obj):
        return _("%(name)s 的公开事项与更正") % {"name": obj.full_name}

    def items(self, obj):
        return selectors.feed_revisions(obj)

    def item_title(self, item):
        d = item.disclosure
        prefix = _("【更正】") if item.number > 1 else ""
        return f"{prefix}{d.division.name} {d.category.name} {d.period} {d.get_phase_display()}"

    def item_description(self, item):
        d = item.disclosure
        if d.category.kind == Kind.ROSTER:
            text = _("共 %(n)d 人，合计 %(total)s 元。") % {"n": item.entry_count, "total": f"{item.amount_total:,.2f}"}
        elif d.category.kind == Kind.LEDGER:
            text = _("共 %(n)d 笔收支，余额 %(total)s 元。") % {
                "n": item.entry_count,
                "total": f"{item.amount_total:,.2f}",
            }
        else:
            text = mask_free_text(item.title or d.title)
        if item.number > 1:
            text = _("更正原因：%(reason)s。") % {"reason": mask_free_text(item.reason)} + text
        return text

    def item_link(self, item):
        return disclosure_url(item.disclosure, "revision", number=item.number)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
