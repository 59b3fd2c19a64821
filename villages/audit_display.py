"""An audit event as people read it: who, what object (with a link), and before → after in Chinese.

Events are stored with codes, ids and JSON (``sunshine.audit``); this module turns them into words for the
admin pages (``audit_admin``). It lives in ``villages`` beside the jurisdiction checks and reaches the
models an event names through its content type, so it imports no app above this one.
"""

import datetime
import re
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sunshine.audit.actions import RESIDENT_ACTIONS

RESIDENT = _("居民")
SYSTEM = _("系统")
EMPTY = "—"

# Keys of ``changes``/``data`` that are not fields of the event's object, with their Chinese labels. A key that
# is a field of the object takes the field's verbose name instead (and its choices format the values).
EXTRA_LABELS = {
    "revision_state": _("版本状态"),
    "revision": _("版本"),
    "entry_count": _("名单人数"),
    "amount_total": _("金额合计"),
    "file": _("文件"),
    "rows": _("行数"),
    "sheet": _("工作表"),
    "sha256": _("文件校验值（SHA-256）"),
    "skipped": _("跳过的行"),
    "warnings": _("警告数"),
    "errors": _("错误数"),
    "import_job": _("导入任务"),
    "bytes": _("文件大小（字节）"),
    "photos": _("照片数"),
    "village": _("村"),
    "disclosure": _("关联公开事项"),
    "concerns_cadres": _("涉及村干部"),
    "concerns_township_staff": _("涉及乡镇工作人员"),
    "reply_chars": _("答复字数"),
    "reopened": _("重新办理"),
    "objection_ends_at": _("异议期截止"),
    "demo": _("演示数据"),
    "channel": _("渠道"),
    "number": _("版本号"),
    "anonymous": _("匿名"),
    "kind": _("类型"),
    "format": _("格式"),
    "username": _("用户名"),
    "role": _("岗位"),
    "count": _("数量"),
    "period": _("期间"),
    "section": _("部分"),
    "sections": _("部分"),
}
# Keys whose values read as the choices of a field one step away (a disclosure event's revision state).
VALUE_FIELDS = {"revision_state": ("current_revision", "state")}
# Keys whose values are codes, hashes or file names: shown as they are, marked translate="no".
CODE_KEYS = {"sha256", "import_job", "file", "checksum", "key_id", "mac", "tracking_code", "service_code"}
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def actor_name(event):
    """The staff member's full name (else username); 居民 for a resident's own action; 系统 otherwise."""
    if event.actor_id:
        user = event.actor if _loaded(event, "actor") else None
        if user is not None:
            return person_name(user)
        return event.actor_label
    return RESIDENT if event.action in RESIDENT_ACTIONS else SYSTEM


def person_name(user):
    """王建国 (family name first, no space, for names in Chinese), John Smith otherwise, else the username."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last and not (first + last).isascii():
        return f"{last}{first}"
    return user.get_full_name().strip() or user.get_username()


def _loaded(event, name):
    return event._meta.get_field(name).is_cached(event)


def object_model(event):
    if not event.content_type_id:
        return None
    return ContentType.objects.get_for_id(event.content_type_id).model_class()


def object_label(event):
    """How people name the object: "公开事项 · 东坪村 低保 2026-10 发放结果公开", "留言投诉 · GYPNQBQ7"."""
    model = object_model(event)
    if model is None:
        return event.object_repr or EMPTY
    return f"{model._meta.verbose_name} · {event.object_repr or event.object_id}"


def object_label_html(event):
    """:func:`object_label` with the stored name marked translate="no": titles, file names and tracking codes are
    data as people typed them, not labels (the admin's no-English check skips them)."""
    model = object_model(event)
    name = event.object_repr or event.object_id
    if model is None:
        return format_html('<span translate="no">{}</span>', name) if name else EMPTY
    return format_html('{} · <span translate="no">{}</span>', model._meta.verbose_name, name)


def object_url(request, event):
    """The object's admin page when the viewer may open that kind of page, else None (cached per request)."""
    model = object_model(event)
    if model is None or not event.object_id:
        return None
    allowed = getattr(request, "_audit_link_cache", None)
    if allowed is None:
        allowed = request._audit_link_cache = {}
    if model not in allowed:
        model_admin = admin.site._registry.get(model)
        allowed[model] = model_admin is not None and model_admin.has_view_permission(request)
    if not allowed[model]:
        return None
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[event.object_id])
    except NoReverseMatch:
        return None


@dataclass
class Row:
    label: str
    before: str = ""
    after: str = ""
    code: bool = False  # the values are codes or file names, not words


def change_rows(event, lookups=None):
    """``changes`` as rows (field label, before, after), values formatted for people."""
    reader = ValueReader(object_model(event), lookups)
    rows = []
    for key, pair in (event.changes or {}).items():
        before, after = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        rows.append(Row(reader.label(key), reader.value(key, before), reader.value(key, after), key in CODE_KEYS))
    return rows


def data_rows(event, lookups=None):
    """``data`` as rows (label, value)."""
    reader = ValueReader(object_model(event), lookups)
    return [
        Row(reader.label(key), after=reader.value(key, value), code=key in CODE_KEYS)
        for key, value in (event.data or {}).items()
    ]


class ValueReader:
    """Labels and formatted values of one model's fields; related objects named (looked up once per page)."""

    def __init__(self, model, lookups=None):
        self.model = model
        self.lookups = lookups if lookups is not None else {}

    def field(self, key):
        if self.model is None:
            return None
        if key in VALUE_FIELDS:
            first, second = VALUE_FIELDS[key]
            try:
                return self.model._meta.get_field(first).related_model._meta.get_field(second)
            except (FieldDoesNotExist, AttributeError):
                return None
        try:
            return self.model._meta.get_field(key)
        except FieldDoesNotExist:
            return None

    def label(self, key):
        if key in EXTRA_LABELS:
            return str(EXTRA_LABELS[key])
        field = self.field(key)
        if field is not None and hasattr(field, "verbose_name"):
            return str(field.verbose_name)
        return key

    def value(self, key, value):
        if value is None or value == "" or value == []:
            return EMPTY
        field = self.field(key)
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        if field is not None and getattr(field, "flatchoices", None):
            choices = {str(k): v for k, v in field.flatchoices}
            if str(value) in choices:
                return str(choices[str(value)])
        if isinstance(field, models.ForeignKey):
            return self.related(field.related_model, value)
        if isinstance(value, list):
            return "、".join(self.value(key, item) for item in value)
        if isinstance(value, dict):
            return "；".join(f"{self.label(k)}：{self.value(k, v)}" for k, v in value.items())
        if isinstance(value, int | float):
            return number_format(value)
        return _moment(value) or str(value)

    def related(self, model, value):
        """The related object's name: by id, or by its unique code (categories are stored by slug)."""
        key = (model, str(value))
        if key not in self.lookups:
            found = model._default_manager.filter(pk=value).first() if str(value).isdigit() else None
            if found is None:
                code_field = _code_field(model)
                found = model._default_manager.filter(**{code_field: value}).first() if code_field else None
            self.lookups[key] = str(found) if found is not None else str(value)
        return self.lookups[key]


def _code_field(model):
    for field in model._meta.fields:
        if field.unique and not field.primary_key and isinstance(field, models.CharField):
            return field.name
    return None


def _moment(value):
    """An ISO time as the county reads it (``2026-11-16 16:00``), or None when ``value`` is not one."""
    if not isinstance(value, str) or not _ISO_MOMENT.match(value):
        return None
    moment = parse_datetime(value)
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def local_time(moment):
    if not isinstance(moment, datetime.datetime):
        return EMPTY
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
