"""Open data: every public revision as a CSV and an xlsx file, and the catalogue that lists them.

The files hold what the revision's public page shows and nothing else. A roster's columns are its category's
public allow-list (``public_fields_of``), read with ``values_list`` of those fields only, so an encrypted ID, a
bank account or a person key is never even loaded; free text goes through ``mask_free_text`` exactly as on the
page. Both formats come from one exporter on ``sunshine.exports.ListExporter``, which writes text that a
spreadsheet would run as a formula (a roster name ``=HYPERLINK(…)``) as text.

Every file starts with the same place columns (division code, township, village, category, period, phase,
version), so a journalist can stack a township's files into one table. The catalogue's JSON follows DCAT's
vocabulary (``dcat:Catalog`` → ``dcat:Dataset`` → ``dcat:Distribution``) with plain keys; its URLs are built
from ``SITE_URL``, never from a visitor's Host header.
"""

import calendar
import datetime as dt
import re

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone

from sunshine.exports import CONTENT_TYPES, ListExporter
from sunshine.masking import mask_free_text
from villages.models import Division, Level

from .models import PUBLIC_STATUSES, Category, Disclosure, Kind, Phase, RosterEntry
from .public_text import FREE_TEXT_FIELDS, public_fields_of
from .selectors import FIELD_LABELS, public_disclosures

FORMATS = ("csv", "xlsx")
FORMAT_NAMES = {"csv": "CSV", "xlsx": "XLSX"}
# Bumped whenever the columns of the files change: it is part of every file's ETag, so caches refetch.
FILE_LAYOUT = 1
PLACE_HEADERS = ("区划代码", "乡镇", "村", "类别", "期间", "阶段", "版本")
LEDGER_HEADERS = ("日期", "凭证号", "摘要", "收入（元）", "支出（元）", "余额（元）")
DOCUMENT_HEADERS = ("标题", "正文", "附件", "附件地址")
FILE_CACHE_SECONDS = 3600  # a written file is kept in the cache this long (content never changes; names might)
FILE_CACHE_MAX_BYTES = 5 * 1024 * 1024  # larger files are written for each request rather than fill the cache
CATALOGUE_PAGE_SIZE = 30  # datasets per page of /data/
JSON_PAGE_SIZE = 500  # datasets per page of /data/catalog.json


def site_url(path):
    return settings.SITE_URL.rstrip("/") + path


def township_and_village(division):
    """(township, village) names of a disclosure's division; a township's own disclosure has no village."""
    if division.level == Level.VILLAGE:
        return (division.parent.name if division.parent_id else ""), division.name
    return division.name, ""


def revision_url(disclosure, number, name="revision"):
    kwargs = {"code": disclosure.division.code, "slug": disclosure.category.slug, "period": disclosure.period,
              "phase": disclosure.phase, "number": number}  # fmt: skip
    return reverse(f"disclosures:{name}", kwargs=kwargs)


def download_url(disclosure, number, fmt):
    return revision_url(disclosure, number, name=f"data_{fmt}")


class RevisionExporter(ListExporter):
    """One public revision of a roster, ledger or document as a table (``disclosure.division.parent`` and
    ``disclosure.category`` are expected loaded)."""

    def __init__(self, disclosure, revision):
        self.disclosure, self.revision = disclosure, revision
        d = disclosure
        self.title = f"{d.division.name}{d.category.name}{d.period}{Phase(d.phase).label}（第{revision.number}版）"
        self.identifier = f"{d.division.code}-{d.category.slug}-{d.period}-{d.phase}-v{revision.number}"
        self.place = [d.division.code, *township_and_village(d.division), d.category.name, d.period,
                      str(Phase(d.phase).label), revision.number]  # fmt: skip
        self.kind = d.category.kind

    def headers(self):
        if self.kind == Kind.ROSTER:
            own = [FIELD_LABELS[f] for f in public_fields_of(self.disclosure.category)]
        else:
            own = LEDGER_HEADERS if self.kind == Kind.LEDGER else DOCUMENT_HEADERS
        return [*PLACE_HEADERS, *own]

    def rows(self):
        if self.kind == Kind.ROSTER:
            yield from self._roster_rows()
        elif self.kind == Kind.LEDGER:
            yield from self._ledger_rows()
        else:
            yield from self._document_rows()

    def _roster_rows(self):
        fields = public_fields_of(self.disclosure.category)
        masked = [f in FREE_TEXT_FIELDS for f in fields]
        values = (
            RosterEntry.objects.filter(revision=self.revision).order_by("position", "id").values_list(*fields)
        )  # the allow-listed columns only: nothing else is ever read
        for row in values.iterator(chunk_size=2000):
            yield [*self.place, *(mask_free_text(v) if m else v for v, m in zip(row, masked))]

    def _ledger_rows(self):
        lines = self.revision.ledger_lines.order_by("position", "id")
        for line in lines.values_list("date", "voucher_no", "summary", "income", "expense", "balance"):
            day, voucher, summary, income, expense, balance = line
            yield [*self.place, day, voucher, mask_free_text(summary), income, expense, balance]

    def _document_rows(self):
        title = mask_free_text(self.revision.title or self.disclosure.title)
        yield [*self.place, title, mask_free_text(self.revision.body), "", ""]
        for attachment in self.revision.attachments.order_by("pk").only("pk", "title"):
            url = site_url(reverse("disclosures:attachment", args=[attachment.pk]))
            yield [*self.place, title, "", mask_free_text(attachment.title), url]

    def download_name(self, fmt):
        return f"{self.title}.{fmt}", f"{self.identifier}.{fmt}"


# ---------------------------------------------------------------- the catalogue


def catalogue_choices():
    """Townships, villages (each with its township loaded) and active categories for the filters. Two queries."""
    divisions = list(
        Division.objects.filter(level__in=(Level.TOWNSHIP, Level.VILLAGE)).select_related("parent").order_by("path")
    )
    categories = list(Category.objects.filter(is_active=True).order_by("sort_order", "slug"))
    townships = [d for d in divisions if d.level == Level.TOWNSHIP]
    villages = [d for d in divisions if d.level == Level.VILLAGE]
    return townships, villages, categories


def catalogue_disclosures(*, township=None, village=None, category=None):
    """Public disclosures (each once, its current revision) for the catalogue, by place, category, period."""
    rows = public_disclosures().select_related("division__parent", "category", "current_revision")
    if village is not None:
        rows = rows.filter(division=village)
    elif township is not None:
        rows = rows.filter(division__path__startswith=township.path)
    if category is not None:
        rows = rows.filter(category=category)
    return rows.order_by("division__path", "category__sort_order", "category__slug", "-period", "phase")


def catalogue_state():
    """What changes whenever the catalogue's content does, in one query: the number of public disclosures, the
    sum of their current revisions' ids (a correction or a take-down changes it), the newest publication and
    the newest take-down. Used for the JSON catalogue's ETag and Last-Modified."""
    public = Q(status__in=PUBLIC_STATUSES, current_revision__isnull=False)
    state = Disclosure.objects.aggregate(
        count=Count("pk", filter=public),
        revisions=Sum("current_revision_id", filter=public),
        published=Max("current_revision__published_at", filter=public),
        taken_down=Max("taken_down_at"),
        issued=Min("first_published_at", filter=public),
    )
    times = [t for t in (state["published"], state["taken_down"]) if t is not None]
    state["modified"] = max(times) if times else None
    return state


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def period_dates(period):
    """The first and last day a period key covers (``2026-10``, ``2026-Q4``, ``2026``, ``2026-11-23``)."""
    if match := _MONTH.match(period):
        year, month = int(match[1]), int(match[2])
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    if match := _QUARTER.match(period):
        year, first = int(match[1]), (int(match[2]) - 1) * 3 + 1
        return dt.date(year, first, 1), dt.date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    if match := _YEAR.match(period):
        return dt.date(int(match[1]), 1, 1), dt.date(int(match[1]), 12, 31)
    if _DAY.match(period):
        day = dt.date.fromisoformat(period)
        return day, day
    return None, None


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def _path_ids(division):
    return [int(p) for p in division.path.strip("/").split("/") if p]


def full_names(divisions):
    """``{division id: "县 乡 村"}`` for many divisions in one query (``Division.full_name`` costs one each)."""
    divisions = list(divisions)
    ids = {i for division in divisions for i in _path_ids(division)}
    names = dict(Division.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return {d.pk: " ".join(names[i] for i in _path_ids(d) if i in names) for d in divisions}


def dataset(disclosure, full_name):
    """One public disclosure as a DCAT-style dataset: its current revision's two files as distributions;
    ``full_name`` names its division from the county down (the publisher)."""
    d, revision = disclosure, disclosure.current_revision
    township, village = township_and_village(d.division)
    place = f"{township} {village}".strip()
    phase = str(Phase(d.phase).label)
    start, end = period_dates(d.period)
    title = f"{place} {d.category.name} {d.period} {phase}"
    return {
        "@type": "dcat:Dataset",
        "identifier": f"{d.division.code}/{d.category.slug}/{d.period}/{d.phase}",
        "title": title,
        "description": f"{title}（第{revision.number}版）",
        "publisher": {"@type": "foaf:Agent", "name": full_name, "identifier": d.division.code},
        "spatial": full_name,
        "temporal": {
            "period": d.period,
            "startDate": start.isoformat() if start else None,
            "endDate": end.isoformat() if end else None,
        },  # fmt: skip
        "issued": _iso(d.first_published_at or revision.published_at),
        "modified": _iso(revision.published_at),
        "version": revision.number,
        "theme": d.category.slug,
        "keyword": [d.category.name, phase, str(Kind(d.category.kind).label)],
        "landingPage": site_url(revision_url(d, revision.number)),
        "distribution": [
            {
                "@type": "dcat:Distribution",
                "title": f"{title}（{FORMAT_NAMES[fmt]}）",
                "format": FORMAT_NAMES[fmt],
                "mediaType": CONTENT_TYPES[fmt].split(";")[0],
                "downloadURL": site_url(download_url(d, revision.number, fmt)),
                "modified": _iso(revision.published_at),
            }
            for fmt in FORMATS
        ],
    }


def catalogue_json(page, state, *, next_url=None):
    """The DCAT-style catalogue of one page of datasets (``page`` is a ``Paginator`` page of disclosures)."""
    disclosures = list(page.object_list)
    names = full_names({d.division_id: d.division for d in disclosures}.values())
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },  # fmt: skip
        "@type": "dcat:Catalog",
        "title": f"{settings.SITE_NAME} 开放数据",
        "description": "已公开的村务名单、收支明细和文件，每一版均可下载 CSV 和 Excel（xlsx）。"
        "只含公开页面显示的字段：不含完整身份证号、电话、银行账号。",
        "publisher": {"@type": "foaf:Agent", "name": settings.SITE_NAME, "homepage": site_url("/")},
        "homepage": site_url(reverse("disclosures:catalogue")),
        "language": "zh-Hans",
        "issued": _iso(state["issued"]),
        "modified": _iso(state["modified"]),
        "totalItems": page.paginator.count,
        "page": page.number,
        "next": next_url,
        "dataset": [dataset(d, names[d.division_id]) for d in disclosures],
    }
