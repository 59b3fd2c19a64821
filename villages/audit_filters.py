"""The audit log's filters: action kind and action, object kind, date range, division.

Each filter is answered by an index on ``audit_auditevent`` (``action, id``; ``content_type, object_id, id``;
``created_at``; ``division_path, id``) and offers its choices without reading the events, so the page costs the
same at 561 events and at 561,000 (docs/decisions-audit.md).
"""

import datetime

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from sunshine.audit.actions import ACTION_KINDS, ACTIONS, LEGACY, action_choices, action_label, codes_of_kind

from .models import Level
from .selectors import divisions_visible_to


class ActionKindFilter(admin.SimpleListFilter):
    """名单、投诉、账户…: the action codes grouped by the object they act on (``ACTION_KINDS``)."""

    title = _("操作类别")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, label) for kind, (label, _prefixes) in ACTION_KINDS.items()]

    def queryset(self, request, queryset):
        if self.value() in ACTION_KINDS:
            return queryset.filter(action__in=codes_of_kind(self.value()))
        return queryset


class ActionFilter(admin.SimpleListFilter):
    """Filter by action, offered by Chinese label; the raw code in the URL (``?action=division.changed``).

    A registered code also matches the legacy codes it replaced, so one choice finds old and new rows; legacy
    codes still stored are offered on their own too (found through the action index, never a scan).
    """

    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        stored_legacy = (
            model_admin.get_queryset(request)
            .filter(action__in=list(LEGACY))
            .order_by()
            .values_list("action", flat=True)
            .distinct()
        )
        legacy = [
            (code, _("%(label)s（旧代码 %(code)s）") % {"label": action_label(code), "code": code})
            for code in sorted(stored_legacy)
        ]
        return [*action_choices(), *legacy]

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        if code in ACTIONS:
            return queryset.filter(action__in=[code, *(old for old, new in LEGACY.items() if new == code)])
        return queryset.filter(action=code)


# The apps whose objects services audit (third-party admins such as login locks and TOTP devices are not objects
# of events; a login event names its account, a ``auth.user``).
AUDITED_APPS = ("villages", "disclosures", "complaints", "auth")


class ObjectKindFilter(admin.SimpleListFilter):
    """公开事项、版本、留言投诉…: the kinds of object the admin shows, by their Chinese names."""

    title = _("对象类型")
    parameter_name = "object_kind"

    def lookups(self, request, model_admin):
        models = [model for model in admin.site._registry if model._meta.app_label in AUDITED_APPS]
        types = ContentType.objects.get_for_models(*models)
        choices = [(str(types[model].pk), str(model._meta.verbose_name)) for model in models]
        return sorted(choices, key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(content_type_id=int(self.value()))
        return queryset


class DivisionFilter(admin.SimpleListFilter):
    """The county or one township of the viewer's jurisdiction (its villages included), by the stored path."""

    title = _("区划")
    parameter_name = "division"

    def lookups(self, request, model_admin):
        divisions = divisions_visible_to(request.user, model_admin.view_perm).filter(
            level__in=[Level.COUNTY, Level.TOWNSHIP]
        )
        return [(str(d.pk), d.name) for d in divisions.order_by("path")]

    def queryset(self, request, queryset):
        if not (self.value() and self.value().isdigit()):
            return queryset
        division = divisions_visible_to(request.user, "audit.view").filter(pk=int(self.value())).first()
        return queryset.filter(division_path__startswith=division.path) if division else queryset.none()


class DateRangeFilter(admin.ListFilter):
    """从 … 到 …: two dates (the county's calendar days, both included), on the ``created_at`` index."""

    title = _("日期")
    template = "admin/audit/date_range_filter.html"
    parameters = ("since", "until")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.parameters:
            raw = params.pop(name, None)
            raw = raw[-1] if isinstance(raw, list) else raw
            self.values[name] = raw or ""
        self.dates = {name: _date_or_none(value) for name, value in self.values.items()}
        self.invalid = [value for name, value in self.values.items() if value and self.dates[name] is None]

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        since, until = self.dates["since"], self.dates["until"]
        if since:
            queryset = queryset.filter(created_at__gte=_day_start(since))
        if until:
            queryset = queryset.filter(created_at__lt=_day_start(until + datetime.timedelta(days=1)))
        return queryset

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, values in changelist.params.items()
            if name not in self.parameters
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "since": self.values["since"],
            "until": self.values["until"],
            "kept": kept,
            "clear_url": changelist.get_query_string(remove=list(self.parameters)),
            "selected": any(self.values.values()),
            "invalid": self.invalid,
        }


def _date_or_none(value):
    try:
        return parse_date(value) if value else None
    except ValueError:  # well formed but impossible, such as 2026-02-30
        return None


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
