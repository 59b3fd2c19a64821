"""A revision's rows in the admin, one page at a time (a 5,000-row roster must not be 5,000 inline forms).

The inline formset shows one page (``?rows=N``, ``ROWS_PER_PAGE`` rows ordered by position). A form posts
back to the URL it was opened at, so a save carries the same page and the formset binds exactly the rows it
showed; the save goes through ``revision_save_rows`` with the revision's version as before. The pager's
total is the revision's own ``entry_count`` (kept by every service that writes rows): no count query.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.forms.models import BaseInlineFormSet

ROWS_PER_PAGE = 100
PAGE_PARAM = "rows"


def requested_page(request):
    raw = request.GET.get(PAGE_PARAM, "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def on_same_page(request, url):
    """``url`` (the change page a save redirects to) on the page of rows the form was posted from.

    A refused save redirects to the bare path, which landed the clerk back on page 1; 保存并继续编辑 keeps
    the query in Django 5.2 but nothing promised it, so both go through here (the page last, after any filters)."""
    page = requested_page(request)
    if page == 1:
        return url
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != PAGE_PARAM]
    return urlunsplit(parts._replace(query=urlencode([*query, (PAGE_PARAM, str(page))])))


class PagedInlineFormSet(BaseInlineFormSet):
    """Binds only the rows of one page; ``page`` is set per request by :func:`paged_formset`."""

    page = 1
    per_page = ROWS_PER_PAGE

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            start = (self.page - 1) * self.per_page
            self._queryset = super().get_queryset()[start : start + self.per_page]
        return self._queryset


def paged_formset(formset_class, page):
    """A subclass of ``formset_class`` bound to ``page`` (ModelAdmin instances are shared across requests)."""
    return type(formset_class.__name__, (formset_class,), {"page": page})


def rows_pager(request, total):
    """What the change page needs to show the pager, or None when everything fits on one page."""
    pages = max(1, -(-total // ROWS_PER_PAGE))
    if pages == 1:
        return None
    page = min(requested_page(request), pages)
    query = request.GET.copy()

    def url(n):
        query[PAGE_PARAM] = str(n)
        return f"?{query.urlencode()}"

    numbers = sorted({1, 2, page - 1, page, page + 1, pages - 1, pages} & set(range(1, pages + 1)))
    links, previous = [], 0
    for n in numbers:
        if n - previous > 1:
            links.append((None, "…"))
        links.append((url(n) if n != page else None, str(n)))
        previous = n
    first_row = (page - 1) * ROWS_PER_PAGE + 1
    return {
        "page": page, "pages": pages, "total": total, "links": links,
        "first_row": first_row, "last_row": min(total, first_row + ROWS_PER_PAGE - 1),
        "previous": url(page - 1) if page > 1 else None, "next": url(page + 1) if page < pages else None,
    }  # fmt: skip
