"""Staff UI for disclosures. Every change of state goes through ``disclosures.services``.

Clerks add a disclosure (which opens its first draft revision), type small rosters into the
revision's inline and submit; reviewers act with changelist actions, which ask for a reason where
one is needed. Large rosters come from the roster import (its own admin view, see the importer).
"""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.times import local_minute
from villages.admin_mixins import AuditHistoryMixin, JurisdictionAdminMixin
from villages.models import Division, Level
from villages.permissions import can
from villages.selectors import scope_for

from . import review_admin, selectors, services, validators
from .admin_paging import PagedInlineFormSet, on_same_page, paged_formset, requested_page, rows_pager
from .calendar import obligations
from .models import (
    CLOSED_REVISION_STATES,
    MOVES,
    PUBLIC_ROSTER_FIELDS,
    PUBLIC_STATUSES,
    UNPUBLISHED_STATUSES,
    Attachment,
    Bulletin,
    BulletinState,
    Category,
    Disclosure,
    ImportJob,
    Kind,
    LedgerLine,
    Revision,
    RosterEntry,
)
from .views import disclosure_url

CATEGORY_FIELDS = services.CATEGORY_FIELDS
# The disclosure queue: unpublished first (queue_rank 0), earliest due date first, so the overdue lead; served by
# ``disclosure_queue_idx``. The model's default ordering (period, category, village) is for the public pages.
QUEUE_ORDER = ("queue_rank", "due_on", "-period", "-id")


class CategoryForm(forms.ModelForm):
    public_fields = forms.MultipleChoiceField(
        label=gettext_lazy("公开字段"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(f, selectors.FIELD_LABELS[f]) for f in PUBLIC_ROSTER_FIELDS],
        help_text=gettext_lazy(
            "名单在公开页面、接口、订阅和公示栏 PDF 上只显示勾选的字段。低保建议：姓名、村民小组、保障人数、金额。"
        ),
    )

    class Meta:
        model = Category
        fields = CATEGORY_FIELDS


@admin.register(Category)
class CategoryAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = CategoryForm
    list_display = ["name", "slug", "kind", "cadence", "objection_days", "retention_days", "review_chain", "is_active"]
    list_filter = ["kind", "cadence", "review_chain", "is_active"]
    fields = CATEGORY_FIELDS

    def has_module_permission(self, request):
        return can(request.user, "disclosure.view")

    def has_view_permission(self, request, obj=None):
        return can(request.user, "disclosure.view") or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can(request.user, "category.change")

    def has_add_permission(self, request):
        return can(request.user, "category.change")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.category_save(actor=request.user, category=obj)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), widget=forms.Textarea(attrs={"rows": 3}), required=True)


# The one action that is not a move of the table: it opens a new revision (a correction).
CORRECT = "correct"
CORRECT_LABEL = gettext_lazy("更正（新建更正版本，需填写原因）")
# Rendering the published version's bulletin PDF again (after a failure): not a move, it changes no state.
REGENERATE = "bulletin_regenerate"
REGENERATE_LABEL = gettext_lazy("重新生成公示栏 PDF")
# Admin actions: every move of ``models.MOVES`` a person can make (the tick's ``confirm`` is not one), then 更正.
ACTION_MOVES = [m for m in MOVES.values() if m.perm is not None]


def _reason_form(modeladmin, request, queryset, name, label):
    """The reason, or the page asking for it (a TemplateResponse) when the POST does not carry one yet."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        return form.cleaned_data["reason"], None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": label,
        "form": form,
        "queryset": queryset,
        "action": f"act_{name}",
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return None, TemplateResponse(request, "admin/disclosures/reason.html", context)


def _open_correction(modeladmin, request, disclosure, reason):
    revision = services.disclosure_open_correction(actor=request.user, disclosure=disclosure, reason=reason)
    url = reverse("admin:disclosures_revision_change", args=[revision.pk])
    modeladmin.message_user(
        request, format_html(_('已新建更正版本，请<a href="{}">修改内容</a>后提交。'), url), messages.SUCCESS
    )


def _run(modeladmin, request, queryset, name, label, needs_reason):
    """Apply move ``name`` (or 更正) to each selected disclosure through the service; report each refusal."""
    reason = ""
    if needs_reason:
        reason, page = _reason_form(modeladmin, request, queryset, name, label)
        if page is not None:
            return page
    done = 0
    for disclosure in queryset.select_related("division", "category"):
        try:
            if name == CORRECT:
                _open_correction(modeladmin, request, disclosure, reason)
            elif name == REGENERATE:
                services.bulletin_regenerate(revision=_current_revision(disclosure), actor=request.user)
            else:
                services.transition(disclosure, name, request.user, reason=reason)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            text = "；".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or _("没有权限"))
            modeladmin.message_user(request, f"{disclosure}：{text}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("已处理 %(n)d 项。") % {"n": done}, messages.SUCCESS)
    return None


def _current_revision(disclosure):
    if disclosure.current_revision_id is None:
        raise ValidationError(_("尚未公开，没有公示栏 PDF。"))
    revision = disclosure.current_revision
    revision.disclosure = disclosure
    return revision


def _make_action(name, label, needs_reason):
    def action(modeladmin, request, queryset):
        return _run(modeladmin, request, queryset, name, label, needs_reason)

    action.__name__ = f"act_{name}"
    return admin.action(description=label, permissions=[f"act_{name}"])(action)


class DisclosureAddForm(forms.ModelForm):
    class Meta:
        model = Disclosure
        fields = ["division", "category", "period", "phase", "title", "pre_disclosure"]
        help_texts = {"period": gettext_lazy("如 2026-11（月）、2026-Q4（季度）、2026（年）或 2026-11-23（逐项）")}


class RevisionFigures:
    """A revision's entry count and total, as the disclosure's inline and the revision admin show them."""

    @admin.display(description=gettext_lazy("条目数"))
    def count(self, obj):
        return obj.entry_count

    @admin.display(description=gettext_lazy("合计/余额（元）"))
    def total(self, obj):
        return obj.amount_total


class RevisionInline(RevisionFigures, admin.TabularInline):
    model = Revision
    fields = ["link", "state", "reason", "author", "submitted", "published", "count", "total", "bulletin_state"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("公示栏 PDF"))
    def bulletin_state(self, obj):
        """已生成 / 正在生成 / 生成失败 (with the reason) for a public version; — before publication."""
        if obj.state not in CLOSED_REVISION_STATES:
            return "—"
        bulletin = Bulletin.objects.filter(revision=obj).first()
        if bulletin is None:
            return _("未生成（可用“重新生成公示栏 PDF”生成）")
        if bulletin.state == BulletinState.FAILED:
            return format_html("{}：{}", bulletin.get_state_display(), bulletin.failure)
        if bulletin.state == BulletinState.STORED:
            return _("%(state)s（%(pages)d 页）") % {"state": bulletin.get_state_display(), "pages": bulletin.pages}
        return bulletin.get_state_display()

    @admin.display(description=gettext_lazy("编制人"))
    def author(self, obj):
        return obj.created_by

    @admin.display(description=gettext_lazy("提交时间"))
    def submitted(self, obj):
        return local_minute(obj.submitted_at)

    @admin.display(description=gettext_lazy("公开时间"))
    def published(self, obj):
        return local_minute(obj.published_at)

    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=gettext_lazy("版本"))
    def link(self, obj):
        return format_html(
            '<a href="{}">v{}</a>', reverse("admin:disclosures_revision_change", args=[obj.pk]), obj.number
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Disclosure)
class DisclosureAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    view_perm = "disclosure.view"
    change_perm = "disclosure.edit"
    add_perm = "disclosure.edit"
    list_display = ["period", "division", "category", "phase", "status", "deadline", "objection_ends", "version"]
    list_display_links = ["period"]
    list_filter = ["status", "phase", "category"]
    search_fields = ["title", "period", "division__name"]
    list_select_related = ["division", "category", "current_revision"]
    inlines = [RevisionInline]

    def audit_related(self, request, obj):
        """变更记录 of a disclosure tells its whole story: its revisions' and import jobs' events too."""
        return [*obj.revisions.all(), *ImportJob.objects.filter(disclosure=obj)]
    actions = [
        *(_make_action(m.name, m.action_label, m.needs_reason) for m in ACTION_MOVES),
        _make_action(CORRECT, CORRECT_LABEL, True),
        _make_action(REGENERATE, REGENERATE_LABEL, False),
    ]
    readonly_fields = [
        "division", "category", "period", "phase", "title", "status", "pre_disclosure", "objection_ends_at",
        "first_published_at", "confirmed_at", "taken_down_at", "working", "public_link",
    ]  # fmt: skip
    form = DisclosureAddForm

    @admin.display(description=gettext_lazy("应公开日期"), ordering="due_on")
    def deadline(self, obj):
        """The due date, flagged 已逾期 while it is past and the disclosure is still unpublished."""
        if obj.due_on is None:
            return "—"
        text = obj.due_on.strftime("%Y-%m-%d")
        if obj.status in UNPUBLISHED_STATUSES and obj.due_on < timezone.localdate():
            return format_html('<strong class="sv-late">{} {}</strong>', _("已逾期"), text)
        return text

    @admin.display(description=gettext_lazy("公示截止"), ordering="objection_ends_at")
    def objection_ends(self, obj):
        return local_minute(obj.objection_ends_at)

    def get_ordering(self, request):
        """The queue's order, not the model's default: unpublished first, earliest due date (so overdue) first."""
        return QUEUE_ORDER

    @admin.display(description=gettext_lazy("公开版本"))
    def version(self, obj):
        return f"v{obj.current_revision.number}" if obj.current_revision_id else "—"

    @admin.display(description=gettext_lazy("正在编辑/审核的版本"))
    def working(self, obj):
        revision = services.working_revision(obj)
        if revision is None:
            return "—"
        url = reverse("admin:disclosures_revision_change", args=[revision.pk])
        return format_html('<a href="{}">v{} · {}</a>', url, revision.number, revision.get_state_display())

    @admin.display(description=gettext_lazy("公开页面"))
    def public_link(self, obj):
        if not obj.current_revision_id:
            return "—"
        links = [(disclosure_url(obj), _("公开页面"))]
        if obj.phase == "post":
            links.append((disclosure_url(obj, "reconciliation"), _("核对结果")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return DisclosureAddForm.Meta.fields
        return self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "division":
            kwargs["queryset"] = scope_for(
                Division.objects.filter(level__in=[Level.VILLAGE, Level.TOWNSHIP]), request.user, "disclosure.edit", ""
            )
            only = list(kwargs["queryset"][:2])
            if len(only) == 1:  # a clerk with one village starts on it, not on "---------"
                kwargs.update(empty_label=None, initial=only[0].pk)
        elif db_field.name == "pre_disclosure":
            kwargs["queryset"] = scope_for(
                Disclosure.objects.filter(phase="pre").select_related("division", "category"),
                request.user,
                "disclosure.edit",
            )
        elif db_field.name == "category":
            kwargs["queryset"] = Category.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on a disclosure is edited directly
        try:
            revision = services.disclosure_open_draft(
                actor=request.user,
                division=obj.division,
                category=obj.category,
                period=obj.period,
                phase=obj.phase,
                title=obj.title,
                pre_disclosure=obj.pre_disclosure,
            )
        except ValidationError as exc:
            raise PermissionDenied("；".join(exc.messages)) from exc
        obj.pk = obj.id = revision.disclosure_id
        obj._state.adding = False
        request._disclosure_new_revision = revision  # per request: ModelAdmin instances are shared

    def response_add(self, request, obj, post_url_continue=None):
        return redirect("admin:disclosures_revision_change", request._disclosure_new_revision.pk)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:

            class Checked(form):
                def clean(self):
                    data = super().clean()
                    if data.get("category") and data.get("period") and data.get("division"):
                        try:
                            services.validate_open_draft(
                                division=data["division"], category=data["category"], period=data["period"],
                                phase=data.get("phase"), pre_disclosure=data.get("pre_disclosure"),
                            )  # fmt: skip
                        except ValidationError as exc:
                            raise forms.ValidationError(exc.messages) from exc
                    return data

                def validate_unique(self):
                    pass  # an existing disclosure is reopened by the service, not duplicated

            return Checked
        return form

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        moves, revision = [], None
        if obj is not None:  # only what this user may do to this disclosure now
            revision = services.working_revision(obj)
            available = services.available_moves(obj, request.user, revision=revision)
            moves = [(f"act_{m.name}", m.action_label, m.needs_reason) for m in available]
            if services.correction_available(obj, request.user):
                moves.append((f"act_{CORRECT}", CORRECT_LABEL, True))
            if obj.status in PUBLIC_STATUSES and can(request.user, "disclosure.publish", obj.division):
                moves.append((f"act_{REGENERATE}", REGENERATE_LABEL, False))
        extra_context = {
            **(extra_context or {}),
            "moves": moves,
            "leads": review_admin.leads_panel(request, obj, revision) if obj is not None else None,
            # the buttons post to the changelist with the filters it was opened from, so they survive the move
            "changelist_query": request.GET.get("_changelist_filters", ""),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        acknowledge = self.admin_site.admin_view(review_admin.acknowledge_lead_view)
        return [
            path("<int:pk>/acknowledge-lead/", acknowledge, name="disclosures_disclosure_acknowledge_lead"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        villages = scope_for(Division.objects.filter(level=Level.VILLAGE), request.user, self.view_perm, "")
        extra_context = {**(extra_context or {}), "overdue": obligations(villages, only_overdue=True)}
        return super().changelist_view(request, extra_context)


def _has_permission(perm):
    """The changelist offers an action to roles holding its permission somewhere in their jurisdiction."""
    return lambda self, request: can(request.user, perm)


for _move in ACTION_MOVES:
    setattr(DisclosureAdmin, f"has_act_{_move.name}_permission", _has_permission(_move.perm))
DisclosureAdmin.has_act_correct_permission = _has_permission("disclosure.edit")
DisclosureAdmin.has_act_bulletin_regenerate_permission = _has_permission("disclosure.publish")


class RosterEntryForm(forms.ModelForm):
    id_number = forms.CharField(
        label=gettext_lazy("身份证号"),
        required=False,
        widget=forms.TextInput(attrs={"size": 18, "autocomplete": "off"}),
        help_text=gettext_lazy("只保存脱敏号码和匹配用的密钥哈希；完整号码仅在类别需要时加密保存。"),
    )

    class Meta:
        model = RosterEntry
        fields = ["name", "group", "household_size", "amount", "assistance_class", "id_number", "remark"]
        widgets = {
            "name": forms.TextInput(attrs={"size": 8}),
            "group": forms.TextInput(attrs={"size": 10}),
            "household_size": forms.NumberInput(attrs={"class": "sv-w4"}),
            "amount": forms.NumberInput(attrs={"class": "sv-w7"}),
            "assistance_class": forms.TextInput(attrs={"size": 6}),
            "remark": forms.TextInput(attrs={"size": 14}),
        }

    def clean_id_number(self):
        raw = self.cleaned_data.get("id_number")
        return validators.id_number(raw) if raw else ""

    def clean_household_size(self):
        return validators.check_household_size(self.cleaned_data.get("household_size"))

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        category = self.instance.revision.disclosure.category if self.instance.revision_id else None
        return validators.check_amount(amount, category) if category is not None else amount

    def save(self, commit=True):
        normalized = self.cleaned_data.get("id_number")
        if normalized:
            services.entry_set_identity(
                self.instance, id_number=normalized, category=self.instance.revision.disclosure.category
            )
        return super().save(commit)


class PagedRowsInline:
    """Roster entries and ledger lines, a page at a time (``admin_paging``): the formset binds only that page."""

    formset = PagedInlineFormSet

    def get_formset(self, request, obj=None, **kwargs):
        return paged_formset(super().get_formset(request, obj, **kwargs), requested_page(request))


class EditableOnlyInline:
    """Inline rows of a revision are editable only while the revision is a draft or returned."""

    def _editable(self, request, obj):
        return obj is not None and obj.is_editable and can(request.user, "disclosure.edit", obj)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_view_permission(self, request, obj=None):
        return True


class RosterEntryInline(PagedRowsInline, EditableOnlyInline, admin.TabularInline):
    model = RosterEntry
    form = RosterEntryForm
    extra = 3
    readonly_fields = ["id_masked"]

    def get_fields(self, request, obj=None):
        if self._editable(request, obj):
            return ["name", "group", "household_size", "amount", "assistance_class", "id_number", "id_masked", "remark"]
        return ["name", "group", "household_size", "amount", "assistance_class", "id_masked", "remark", "source_row"]


class LedgerLineInline(PagedRowsInline, EditableOnlyInline, admin.TabularInline):
    model = LedgerLine
    fields = ["date", "voucher_no", "summary", "income", "expense", "balance"]
    readonly_fields = ["balance"]
    extra = 3


ATTACHMENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class _StaffFile:
    """What the file widget shows for a stored attachment: its display name, linked to the staff view."""

    def __init__(self, attachment):
        self.url = reverse("disclosures:staff_attachment", args=[attachment.pk])
        self.name = attachment.filename or attachment.title

    def __str__(self):
        return self.name


class PrivateFileInput(forms.ClearableFileInput):
    """Attachments live in private storage (no URL): the current file links to the jurisdiction-checked view."""

    def is_initial(self, value):
        instance = getattr(value, "instance", None)
        return isinstance(value, _StaffFile) or bool(value and instance is not None and instance.pk)

    def format_value(self, value):
        if isinstance(value, _StaffFile) or not self.is_initial(value):
            return value if isinstance(value, _StaffFile) else None
        return _StaffFile(value.instance)


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = Attachment
        fields = ["title", "file"]
        widgets = {"file": PrivateFileInput}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None or not hasattr(upload, "size"):
            return upload
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in ATTACHMENT_TYPES:
            raise forms.ValidationError(_("附件只能是 PDF、JPG 或 PNG 文件。"))
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(_("附件不能超过 10 MB。"))
        self.instance.size = upload.size
        self.instance.content_type = ATTACHMENT_TYPES[extension]
        return upload


class AttachmentInline(EditableOnlyInline, admin.TabularInline):
    model = Attachment
    form = AttachmentForm
    fields = ["title", "file"]
    extra = 1


class RevisionForm(forms.ModelForm):
    """The revision's own fields plus the version it was read at, so a save from a stale page is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Revision
        fields = ["reason", "title", "body", "version"]

    def clean(self):
        data = super().clean()
        # An early, friendly refusal that keeps what was typed; the service checks again under the lock.
        if self.instance.pk and data.get("version") is not None:
            current = Revision.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if current != data["version"]:
                raise forms.ValidationError(_(services.STALE_MESSAGE), code="stale")
        return data


@admin.register(Revision)
class RevisionAdmin(RevisionFigures, JurisdictionAdminMixin, admin.ModelAdmin):
    jurisdiction_field = "disclosure__division"
    view_perm = "disclosure.view"
    change_perm = "disclosure.edit"
    list_display = ["__str__", "state", "published_at", "count", "total"]
    list_filter = ["state", "disclosure__category"]
    list_select_related = ["disclosure__division", "disclosure__category", "created_by"]
    search_fields = ["disclosure__division__name", "disclosure__period"]
    form = RevisionForm
    fields = ["disclosure_link", "number", "state", "reason", "title", "body", "count", "total", "checksum_", "version"]
    readonly_fields = ["disclosure_link", "number", "state", "count", "total", "checksum_"]

    @admin.display(description=gettext_lazy("内容校验码（公开时生成）"))
    def checksum_(self, obj):
        return obj.checksum or "—"

    @admin.display(description=gettext_lazy("公开事项"))
    def disclosure_link(self, obj):
        url = reverse("admin:disclosures_disclosure_change", args=[obj.disclosure_id])
        return format_html('<a href="{}">{}</a> · {}', url, obj.disclosure, obj.disclosure.get_status_display())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("disclosure__category", "disclosure__division")

    def has_add_permission(self, request, *args):
        return False  # revisions are opened by adding a disclosure or by a correction

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [f for f in self.fields if f != "version"]  # a read-only page carries no version
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.number == 1:
            return [*self.readonly_fields, "reason"]
        return self.readonly_fields

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        kind = obj.disclosure.category.kind
        return {
            Kind.ROSTER: [RosterEntryInline],
            Kind.LEDGER: [LedgerLineInline, AttachmentInline],
            Kind.DOCUMENT: [AttachmentInline],
        }[kind]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None:
            extra_context["disclosure_url"] = reverse("admin:disclosures_disclosure_change", args=[obj.disclosure_id])
            rows = obj.entry_count if obj.disclosure.category.kind == Kind.ROSTER else obj.ledger_lines.count()
            extra_context["rows_pager"] = rows_pager(request, rows)
            if (
                obj.is_editable
                and obj.disclosure.category.kind == Kind.ROSTER
                and can(request.user, "roster.import", obj.disclosure.division)
            ):
                with contextlib.suppress(NoReverseMatch):  # the import may not be installed
                    extra_context["import_url"] = reverse("admin:disclosures_importjob_upload")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data[k] for k in ("title", "body", "reason") if k in form.changed_data}
        if fields:
            self._through_service(
                request, services.revision_update_content, actor=request.user, revision=obj, version=obj.version,
                **fields,
            )  # fmt: skip

    def save_formset(self, request, form, formset, change):
        """Rows are saved by ``save_related`` in one service call for every inline together."""

    def save_related(self, request, form, formsets, change):
        saved, deleted = [], []
        for formset in formsets:
            saved += formset.save(commit=False)
            deleted += formset.deleted_objects
        if saved or deleted:
            self._through_service(
                request, services.revision_save_rows, actor=request.user, revision=form.instance,
                version=form.instance.version, saved=saved, deleted=deleted,
            )  # fmt: skip

    def _through_service(self, request, service, **kwargs):
        """Call a revision service; on a refusal (stale version, left draft meanwhile) undo the whole save.

        The admin wraps the save in one transaction: marking it for rollback undoes every part of it,
        and ``response_change`` sends the clerk back to the page with the refusal instead of "saved"."""
        if getattr(request, "_revision_refused", False):
            return
        try:
            locked = service(**kwargs)
        except ValidationError as exc:
            transaction.set_rollback(True)
            request._revision_refused = True
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            return
        kwargs["revision"].version = locked.version  # the next step of this same save carries the new version

    def log_change(self, request, obj, message):
        if not getattr(request, "_revision_refused", False):
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        if getattr(request, "_revision_refused", False):
            return redirect(on_same_page(request, request.path))
        response = super().response_change(request, obj)
        if "_continue" in request.POST:  # 保存并继续编辑 stays on the page of rows being edited
            response["Location"] = on_same_page(request, response["Location"])
        return response


# The roster import (upload → preview → confirm), the inspectors' pages (异常线索, 乡镇统计) and the list of roster
# entries (名单条目) register their own.
from . import entry_admin, import_admin, inspect_admin  # noqa: E402, F401
