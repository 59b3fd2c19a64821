"""变更记录: one object's whole audit history on one page, oldest first, scoped by the viewer's jurisdiction.

Every object page of the admin links here (the admin's "history" button, relabelled 变更记录, see
``AuditHistoryMixin``). An admin may add the objects whose events belong to the same story through
``audit_related(request, obj)`` — a disclosure names its revisions and import jobs — so this module needs no
import of the apps above it.
"""

from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.audit.actions import action_label
from sunshine.audit.models import AuditEvent

from .audit_display import actor_name, change_rows, local_time, object_label_html, object_url
from .permissions import can
from .selectors import scope_for

AUDIT_PERM = "audit.view"
PER_PAGE = 100


def may_read_history(user):
    return can(user, AUDIT_PERM)


def events_about(user, objects):
    """The events of ``objects`` (model instances) the user may read, oldest first: one indexed query."""
    condition = Q()
    by_type = {}
    for obj in objects:
        by_type.setdefault(ContentType.objects.get_for_model(obj).pk, []).append(str(obj.pk))
    for content_type_id, ids in by_type.items():
        condition |= Q(content_type_id=content_type_id, object_id__in=ids)
    if not by_type:
        return AuditEvent.objects.none()
    queryset = AuditEvent.objects.filter(condition).select_related("actor").order_by("id")
    return scope_for(queryset, user, AUDIT_PERM, path_field="division_path")


def history_rows(request, events, subject):
    lookups = {}  # related objects named once per page
    rows = []
    for event in events:
        rows.append(
            {
                "event": event,
                "when": local_time(event.created_at),
                "who": actor_name(event),
                "action": action_label(event.action),
                "object": object_label_html(event),
                "object_url": object_url(request, event),
                "about_subject": (event.content_type_id, event.object_id) == subject,
                "changes": change_rows(event, lookups),
                "detail_url": reverse("admin:audit_auditevent_change", args=[event.pk]),
            }
        )
    return rows


def object_history_view(model_admin, request, object_id):
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not may_read_history(request.user):
        raise PermissionDenied
    related = getattr(model_admin, "audit_related", None)
    objects = [obj, *(related(request, obj) if related else [])]
    page = Paginator(events_about(request.user, objects), PER_PAGE).get_page(request.GET.get("p"))
    subject = (ContentType.objects.get_for_model(obj).pk, str(obj.pk))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("变更记录：%(object)s") % {"object": obj},
        "subtitle": None,
        "opts": model_admin.opts,
        "object": obj,
        "object_url": reverse(
            f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_change", args=[obj.pk]
        ),
        "page": page,
        "rows": history_rows(request, page.object_list, subject),
        "related_count": len(objects) - 1,
    }
    return TemplateResponse(request, "admin/audit/object_history.html", context)
