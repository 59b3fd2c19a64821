"""Open-data pages: a revision's CSV/xlsx file, the catalogue page (/data/) and its JSON (/data/catalog.json).

A file exists exactly when its revision's public page does: drafts and versions under review answer 404, a
taken-down disclosure 410 (its personal data is gone). Files and the JSON carry ETag and Last-Modified with
``Cache-Control: no-cache``: a reload or a harvester's daily visit costs a 304, and a take-down is seen at once.
"""

import hashlib
import json
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from sunshine.exports import CONTENT_TYPES, content_disposition

from . import open_data, selectors
from .models import Status


def _revision_of(disclosure, number):
    if number == disclosure.current_revision.number:
        return disclosure.current_revision
    return selectors.public_revision(disclosure, number)  # published or superseded, else 404


def _validators(response, etag, modified):
    response["ETag"] = etag
    if modified is not None:
        response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = "public, no-cache"
    return response


def download(request, code, slug, period, phase, number, fmt):
    """One public revision as ``fmt`` (csv or xlsx): allow-listed fields only, formulas written as text."""
    if fmt not in open_data.FORMATS:
        raise Http404
    disclosure = selectors.disclosure_for_page(code=code, slug=slug, period=period, phase=phase)
    if disclosure.status == Status.TAKEN_DOWN:
        context = {"disclosure": disclosure, "division": disclosure.division, "crumbs": []}
        return render(request, "disclosures/taken_down.html", context, status=410)
    revision = _revision_of(disclosure, number)
    etag = f'"{revision.pk}-{revision.checksum[:16]}-{open_data.FILE_LAYOUT}-{fmt}"'
    modified = int(revision.published_at.timestamp()) if revision.published_at else None
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        exporter = open_data.RevisionExporter(disclosure, revision)
        response = HttpResponse(_file_bytes(exporter, fmt, etag), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = content_disposition(*exporter.download_name(fmt))
        response["X-Content-Type-Options"] = "nosniff"
    return _validators(response, etag, modified)


def _file_bytes(exporter, fmt, etag):
    """The written file, kept in the cache for an hour: a published revision never changes, and writing a
    5,000-row xlsx takes about a second. A take-down is checked before this, so a cached file is never served
    after one."""
    key = f"opendata:{exporter.identifier}:{etag}"
    data = cache.get(key)
    if data is None:
        data = exporter.render(fmt)
        if len(data) <= open_data.FILE_CACHE_MAX_BYTES:
            cache.set(key, data, open_data.FILE_CACHE_SECONDS)
    return data


class CatalogueFilter(forms.Form):
    """Where and what: a township, a village (wins over the township) and a category, each optional."""

    township = forms.ChoiceField(label="乡镇", required=False)
    village = forms.ChoiceField(label="村", required=False)
    category = forms.ChoiceField(label="类别", required=False)

    def __init__(self, data, choices):
        super().__init__(data)
        townships, villages, categories = choices
        self.townships = {t.code: t for t in townships}
        self.villages = {v.code: v for v in villages}
        self.categories = {c.slug: c for c in categories}
        by_township = {}
        for village in villages:
            by_township.setdefault(village.parent.name if village.parent_id else "", []).append(village)
        self.fields["township"].choices = [("", "全部乡镇")] + [(t.code, t.name) for t in townships]
        self.fields["village"].choices = [("", "全部村")] + [
            (name, [(v.code, v.name) for v in members]) for name, members in by_township.items()
        ]
        self.fields["category"].choices = [("", "全部类别")] + [(c.slug, c.name) for c in categories]

    def chosen(self):
        """The valid choices as objects (invalid ones are left out; the form shows why)."""
        data = self.cleaned_data if self.is_valid() else {k: v for k, v in self.cleaned_data.items() if v}
        return {
            "township": self.townships.get(data.get("township") or ""),
            "village": self.villages.get(data.get("village") or ""),
            "category": self.categories.get(data.get("category") or ""),
        }


def _filters(request):
    form = CatalogueFilter(request.GET, open_data.catalogue_choices())
    form.is_valid()
    return form, form.chosen()


def _query(chosen, page=None):
    params = {
        "township": chosen["township"].code if chosen["township"] else "",
        "village": chosen["village"].code if chosen["village"] else "",
        "category": chosen["category"].slug if chosen["category"] else "",
    }
    params = {k: v for k, v in params.items() if v}
    if page:
        params["page"] = page
    return urlencode(params)


def catalogue(request):
    """Every public disclosure once (its current version) with its page and its two files; by place and
    category, paginated, no JavaScript."""
    form, chosen = _filters(request)
    page = Paginator(open_data.catalogue_disclosures(**chosen), open_data.CATALOGUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = []
    for disclosure in page.object_list:
        number = disclosure.current_revision.number
        items.append(
            {
                "disclosure": disclosure,
                "revision": disclosure.current_revision,
                "place": " ".join(p for p in open_data.township_and_village(disclosure.division) if p),
                "page_url": open_data.revision_url(disclosure, number),
                "csv_url": open_data.download_url(disclosure, number, "csv"),
                "xlsx_url": open_data.download_url(disclosure, number, "xlsx"),
            }
        )
    context = {
        "form": form,
        "page": page,
        "items": items,
        "previous_query": _query(chosen, page.previous_page_number()) if page.has_previous() else "",
        "next_query": _query(chosen, page.next_page_number()) if page.has_next() else "",
        "json_query": _query(chosen),
    }
    return render(request, "disclosures/catalogue.html", context)


def catalogue_json(request):
    """The DCAT-style catalogue, ``JSON_PAGE_SIZE`` datasets a page (``next`` links the following page)."""
    form, chosen = _filters(request)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse(
            {"detail": "筛选条件无效", "errors": errors}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    state = open_data.catalogue_state()
    fingerprint = f"{state['count']}|{state['revisions']}|{state['modified']}|{open_data.FILE_LAYOUT}"
    etag = '"' + hashlib.sha256(f"{fingerprint}|{request.GET.urlencode()}".encode()).hexdigest()[:32] + '"'
    modified = int(state["modified"].timestamp()) if state["modified"] else None
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        key = f"opendata:catalog:{etag}"  # the ETag changes with any change to the catalogue: safe to keep
        body = cache.get(key)
        if body is None:
            body = _catalogue_body(request, chosen, state)
            cache.set(key, body, open_data.FILE_CACHE_SECONDS)
        response = HttpResponse(body, content_type="application/json")
    return _validators(response, etag, modified)


def _catalogue_body(request, chosen, state):
    paginator = Paginator(open_data.catalogue_disclosures(**chosen), open_data.JSON_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404 from error
    next_url = None
    if page.has_next():
        next_url = open_data.site_url(f"{request.path}?{_query(chosen, page.next_page_number())}")
    data = open_data.catalogue_json(page, state, next_url=next_url)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
