"""Disclosures: categories as data; a disclosure whose content hangs off revisions.

Status lives on the ``Disclosure``; every piece of content (roster entries,
ledger lines, body, attachments) belongs to a ``Revision``. A published
revision is never changed: a correction is a new revision.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sunshine.storage import private_storage
from villages.models import Division, Role


class Kind(models.TextChoices):
    ROSTER = "roster", _("名单")
    LEDGER = "ledger", _("收支明细")
    DOCUMENT = "document", _("文件")


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")
    PER_EVENT = "per_event", _("随时（逐项）")


class ReviewChain(models.TextChoices):
    REVIEWER_AND_DISCIPLINE = "reviewer_discipline", _("乡镇审核 + 乡镇纪委审核")
    REVIEWER_ONLY = "reviewer_only", _("仅乡镇审核")


# Roster fields a category may allow on public pages; the rest never leave the admin.
PUBLIC_ROSTER_FIELDS = ("name", "group", "household_size", "amount", "assistance_class", "id_masked", "remark")


class Category(models.Model):
    slug = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    cadence = models.CharField(_("公开周期"), max_length=16, choices=Cadence.choices)
    objection_days = models.PositiveSmallIntegerField(_("公示期（天）"), default=0)
    public_fields = models.JSONField(_("公开字段"), default=list, blank=True)
    retention_days = models.PositiveIntegerField(_("保留期（天）"), null=True, blank=True)
    review_chain = models.CharField(
        _("审核流程"), max_length=32, choices=ReviewChain.choices, default=ReviewChain.REVIEWER_AND_DISCIPLINE
    )
    stores_full_id = models.BooleanField(_("保存完整身份证号（加密）"), default=False)
    amount_min = models.DecimalField(_("金额下限"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount_max = models.DecimalField(_("金额上限"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Extra header synonyms for the importer: {"amount": ["补贴金额", ...], ...}
    column_synonyms = models.JSONField(_("表头同义词"), default=dict, blank=True)
    description = models.TextField(_("说明"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("公开类别")
        verbose_name_plural = _("公开类别")
        ordering = ["sort_order", "slug"]

    def __str__(self):
        return self.name


class Phase(models.TextChoices):
    PRE = "pre", _("拟享受名单公示")
    POST = "post", _("发放结果公开")
    SINGLE = "single", _("公开")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    TOWNSHIP_APPROVED = "township_approved", _("乡镇已审核")
    DISCIPLINE_APPROVED = "discipline_approved", _("纪委已审核")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已公开")
    CONFIRMED = "confirmed", _("已确认")
    ARCHIVED = "archived", _("已归档")
    TAKEN_DOWN = "taken_down", _("已撤下")


# Before the first publication: the disclosure is still someone's work (the clerk's or a reviewer's).
UNPUBLISHED_STATUSES = (
    Status.DRAFT, Status.SUBMITTED, Status.TOWNSHIP_APPROVED, Status.DISCIPLINE_APPROVED, Status.RETURNED,
)  # fmt: skip


class Disclosure(models.Model):
    division = models.ForeignKey(
        Division, verbose_name=_("村/乡镇"), on_delete=models.PROTECT, related_name="disclosures"
    )
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="disclosures")
    # "2026-11", "2026-Q4", "2026" or a date "2026-11-23" for per-event categories.
    period = models.CharField(_("期间"), max_length=10)
    phase = models.CharField(_("阶段"), max_length=8, choices=Phase.choices, default=Phase.SINGLE)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True)
    current_revision = models.ForeignKey(
        "Revision",
        verbose_name=_("当前公开版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    objection_ends_at = models.DateTimeField(_("公示截止"), null=True, blank=True)
    pre_disclosure = models.ForeignKey(
        "self",
        verbose_name=_("对应的公示名单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="post_disclosures",
    )
    first_published_at = models.DateTimeField(_("首次公开"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("公示期满确认时间"), null=True, blank=True)
    taken_down_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # When it is due (its period's end plus the grace days, ``calendar.due_on``); None for per-event categories.
    due_on = models.DateField(_("应公开日期"), null=True, blank=True)
    # The review queue's first sort key: 0 until the first publication (draft, in review, returned), 1 once public
    # or taken down. Stored by the database from ``status``, so no writer can forget it (``disclosure_queue_idx``).
    queue_rank = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=[s.value for s in UNPUBLISHED_STATUSES], then=models.Value(0)),
            default=models.Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("队列顺序"),
    )

    class Meta:
        verbose_name = _("公开事项")
        verbose_name_plural = _("公开事项")
        ordering = ["-period", "category__sort_order", "division__path"]
        indexes = [
            # The review queue's order (disclosures.admin QUEUE_ORDER): unpublished first, earliest due date first.
            models.Index(fields=["queue_rank", "due_on", "-period", "-id"], name="disclosure_queue_idx"),
            # Lists ordered by period (the default ordering, the API, a period filter) read a period at a time:
            # each period's few hundred rows are then sorted by category and village (PostgreSQL's incremental
            # sort), not the whole table.
            models.Index(fields=["period"], name="disclosure_period_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["division", "category", "period", "phase"], name="disclosure_unique_period")
        ]

    def __str__(self):
        return self.title or f"{self.division} {self.category} {self.period} {self.get_phase_display()}"


class RevisionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    TOWNSHIP_APPROVED = "township_approved", _("乡镇已审核")
    DISCIPLINE_APPROVED = "discipline_approved", _("纪委已审核")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已公开")
    SUPERSEDED = "superseded", _("已被更正")


# Revisions a clerk may still edit; revisions whose review is over (the public may read them).
EDITABLE_REVISION_STATES = (RevisionState.DRAFT, RevisionState.RETURNED)
CLOSED_REVISION_STATES = (RevisionState.PUBLISHED, RevisionState.SUPERSEDED)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: sources may be a dict
class Move:
    """One allowed move, as data: the ``transition`` service, admin actions and API routes all read it.

    ``on`` says what the move changes: the working revision (the review chain; the disclosure's
    status mirrors it until the first publication) or the disclosure as a whole. ``sources`` is a
    tuple, or (for revision moves) a dict by review chain. ``perm`` None means only the system makes it (the tick).
    ``handler`` names the extra work in ``disclosures.services.MOVE_HANDLERS`` (checked at import).
    """

    name: str
    on: str
    sources: tuple | dict
    target: str
    perm: str | None
    label: str
    audit_action: str | None  # None: the move writes no event of its own (import bookkeeping)
    needs_reason: bool = False
    handler: str | None = None
    notifies: str | None = None  # the role e-mailed after commit (whoever acts next)
    # Names a check in ``disclosures.services.MOVE_PRECONDITIONS`` that may refuse the move (open leads).
    precondition: str | None = None

    def allowed_from(self, state, chain=None):
        sources = self.sources.get(chain, ()) if isinstance(self.sources, dict) else self.sources
        return state in sources

    @property
    def route(self):
        """The API's URL segment: ``/api/v1/staff/disclosures/<id>/approve-township/``."""
        return self.name.replace("_", "-")

    @property
    def action_label(self):
        """The admin's label: says up front when a reason will be asked for."""
        return format_lazy("{}{}", self.label, _("（需填写原因）") if self.needs_reason else "")


ON_REVISION, ON_DISCLOSURE, ON_IMPORT_JOB = "revision", "disclosure", "import_job"
_BOTH = (ReviewChain.REVIEWER_AND_DISCIPLINE, ReviewChain.REVIEWER_ONLY)
_IN_REVIEW = {
    ReviewChain.REVIEWER_AND_DISCIPLINE: (
        RevisionState.SUBMITTED,
        RevisionState.TOWNSHIP_APPROVED,
        RevisionState.DISCIPLINE_APPROVED,
    ),
    ReviewChain.REVIEWER_ONLY: (RevisionState.SUBMITTED, RevisionState.TOWNSHIP_APPROVED),
}

# Every move of a disclosure and its revisions. The review moves act on one revision (a first
# publication or a correction); the last three act on a published disclosure as a whole.
_R, _S = RevisionState, Status
MOVES = {
    m.name: m
    for m in (
        Move(name="submit", on=ON_REVISION, sources=EDITABLE_REVISION_STATES, target=_R.SUBMITTED,
             perm="disclosure.submit", label=_("提交审核"), audit_action="disclosure.submitted",
             handler="submit", notifies=Role.TOWNSHIP_REVIEWER),
        Move(name="approve_township", on=ON_REVISION, sources=dict.fromkeys(_BOTH, (_R.SUBMITTED,)),
             target=_R.TOWNSHIP_APPROVED, perm="disclosure.approve_township", label=_("乡镇审核通过"),
             audit_action="disclosure.township_approved", notifies=Role.TOWNSHIP_DISCIPLINE,
             precondition="leads_acknowledged"),
        Move(name="approve_discipline", on=ON_REVISION,
             sources={ReviewChain.REVIEWER_AND_DISCIPLINE: (_R.TOWNSHIP_APPROVED,)},
             target=_R.DISCIPLINE_APPROVED, perm="disclosure.approve_discipline", label=_("纪委审核通过"),
             audit_action="disclosure.discipline_approved", precondition="leads_acknowledged"),
        Move(name="publish", on=ON_REVISION,
             sources={ReviewChain.REVIEWER_AND_DISCIPLINE: (_R.DISCIPLINE_APPROVED,),
                      ReviewChain.REVIEWER_ONLY: (_R.TOWNSHIP_APPROVED,)},
             target=_R.PUBLISHED, perm="disclosure.publish", label=_("公开"), audit_action="disclosure.published",
             handler="publish"),
        Move(name="return", on=ON_REVISION, sources=_IN_REVIEW, target=_R.RETURNED, perm="disclosure.return",
             label=_("退回"), audit_action="disclosure.returned", needs_reason=True, notifies=Role.VILLAGE_CLERK),
        Move(name="confirm", on=ON_DISCLOSURE, sources=(_S.PUBLISHED,), target=_S.CONFIRMED, perm=None,
             label=_("公示期满确认"), audit_action="disclosure.confirmed", handler="confirm"),
        Move(name="archive", on=ON_DISCLOSURE, sources=(_S.PUBLISHED, _S.CONFIRMED), target=_S.ARCHIVED,
             perm="disclosure.archive", label=_("归档"), audit_action="disclosure.archived"),
        Move(name="take_down", on=ON_DISCLOSURE, sources=(_S.PUBLISHED, _S.CONFIRMED, _S.ARCHIVED),
             target=_S.TAKEN_DOWN, perm="disclosure.take_down", label=_("撤下并隐去个人信息"),
             audit_action="disclosure.taken_down", needs_reason=True, handler="take_down"),
    )
}  # fmt: skip
# The two halves, for readers that care about one of them.
REVISION_MOVES = {name: m for name, m in MOVES.items() if m.on == ON_REVISION}
DISCLOSURE_MOVES = {name: m for name, m in MOVES.items() if m.on == ON_DISCLOSURE}
# What the public may see.
PUBLIC_STATUSES = (Status.PUBLISHED, Status.CONFIRMED, Status.ARCHIVED)


class Revision(models.Model):
    disclosure = models.ForeignKey(
        Disclosure, verbose_name=_("公开事项"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    state = models.CharField(_("版本状态"), max_length=24, choices=RevisionState.choices, default=RevisionState.DRAFT)
    reason = models.TextField(_("更正原因"), blank=True)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("正文"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编制人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    # sha256 over the public content at publication; printed on the bulletin PDF.
    checksum = models.CharField(_("内容校验码"), max_length=64, blank=True)
    entry_count = models.PositiveIntegerField(_("条目数"), default=0)
    amount_total = models.DecimalField(_("合计（元）"), max_digits=14, decimal_places=2, default=0)
    # Bumped by every content change; edit forms carry it so a stale save is refused, never merged.
    version = models.PositiveIntegerField(_("内容修订号"), default=0)

    class Meta:
        verbose_name = _("版本")
        verbose_name_plural = _("版本")
        ordering = ["disclosure", "number"]
        constraints = [models.UniqueConstraint(fields=["disclosure", "number"], name="revision_unique_number")]

    def __str__(self):
        return f"{self.disclosure} v{self.number}"

    @property
    def is_editable(self):
        return self.state in EDITABLE_REVISION_STATES

    def jurisdiction(self):
        return self.disclosure.division


class RevisionContent(models.Model):
    """Content rows of a revision: writable only while the revision is a draft or returned.

    A last line of defence behind the services (bulk paths and the retention anonymization use
    querysets on purpose); published content changes only through a correction.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_editable()
        return super().delete(*args, **kwargs)

    def _check_editable(self):
        from django.core.exceptions import ValidationError

        if (
            self.revision_id
            and not Revision.objects.filter(pk=self.revision_id, state__in=EDITABLE_REVISION_STATES).exists()
        ):
            raise ValidationError(_("已提交或已公开的版本不能修改；请通过更正修改。"))


class RosterEntry(RevisionContent):
    revision = models.ForeignKey(Revision, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    person_key = models.CharField(_("身份匹配码"), max_length=64, db_index=True, blank=True)
    key_id = models.PositiveSmallIntegerField(_("匹配码密钥编号"), default=1)
    name = models.CharField(_("姓名"), max_length=64)
    group = models.CharField(_("村民小组"), max_length=64, blank=True)
    household_size = models.PositiveSmallIntegerField(_("保障人数"), null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    assistance_class = models.CharField(_("类别/档次"), max_length=32, blank=True)
    id_masked = models.CharField(_("身份证号（脱敏）"), max_length=24, blank=True)
    id_encrypted = models.TextField(_("身份证号（加密）"), blank=True)
    bank_account_encrypted = models.TextField(_("银行账号（加密）"), blank=True)
    remark = models.CharField(_("备注"), max_length=200, blank=True)
    source_row = models.PositiveIntegerField(_("原表行号"), null=True, blank=True)

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        ordering = ["revision", "position", "id"]
        indexes = [models.Index(fields=["revision", "position"])]

    def __str__(self):
        return self.name


class LeadAcknowledgement(models.Model):
    """A reviewer's note on one anomaly lead of a revision under review (``disclosures.leads``).

    Kept per review step (``move``: the township reviewer's and the discipline office's approvals each need
    their own), so a later step sees who checked what before it. ``lead_key`` identifies the lead within the
    revision without holding an ID number (a hash of the kind and the person's match key); ``subject`` is the
    name and masked ID as the reviewer saw them. Written only by ``services.lead_acknowledge``.
    """

    revision = models.ForeignKey(
        Revision, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="lead_acknowledgements"
    )
    move = models.CharField(_("审核环节"), max_length=32)
    lead_key = models.CharField(max_length=64)
    kind = models.CharField(_("线索类型"), max_length=32)
    subject = models.CharField(_("对象"), max_length=120)
    note = models.TextField(_("核实说明"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("核实人"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("核实时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("线索核实记录")
        verbose_name_plural = _("线索核实记录")
        ordering = ["revision", "acknowledged_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "move", "lead_key"], name="lead_ack_unique_per_step")
        ]

    def __str__(self):
        return f"{self.subject}: {self.note[:40]}"


class LedgerLine(RevisionContent):
    revision = models.ForeignKey(
        Revision, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="ledger_lines"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    date = models.DateField(_("日期"))
    voucher_no = models.CharField(_("凭证号"), max_length=32, blank=True)
    summary = models.CharField(_("摘要"), max_length=200)
    income = models.DecimalField(_("收入"), max_digits=14, decimal_places=2, default=0)
    expense = models.DecimalField(_("支出"), max_digits=14, decimal_places=2, default=0)
    balance = models.DecimalField(_("余额"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("收支明细")
        verbose_name_plural = _("收支明细")
        ordering = ["revision", "position", "id"]


def attachment_path(instance, filename):
    """``attachments/YYYY/MM/<random>.<ext>`` in private storage: the clerk's file name never names the file;
    it is kept as ``instance.filename`` (the download name). ``file`` precedes ``filename`` in the model, so
    the name set here during the save is the one written."""
    if not instance.filename:
        instance.filename = filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    suffix = f".{extension}" if extension.isalnum() and len(extension) <= 8 else ""
    return f"attachments/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(RevisionContent):
    """A file of a revision. Stored privately under a random name and served only by the views that check
    publication (``disclosures:attachment``) or the staff member's jurisdiction (``disclosures:staff_attachment``);
    ``filename`` (the clerk's name for it) is only the download name."""

    revision = models.ForeignKey(Revision, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), storage=private_storage, upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("文件大小（字节）"), default=0)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.title


class BulletinState(models.TextChoices):
    """What staff see of a revision's bulletin PDF; derived from ``Bulletin``'s times, never stored."""

    QUEUED = "queued", _("正在生成")
    STORED = "stored", _("已生成")
    FAILED = "failed", _("生成失败")


class Bulletin(models.Model):
    """The bookkeeping of one published revision's bulletin PDF (公示栏版本), rendered in the background.

    The file itself lives in private storage (``disclosures.bulletin.bulletin_path``); this row records when its
    render was asked for, stored or failed and why, so the admin can show 正在生成 / 已生成 / 生成失败. The state
    is derived from the times (the newest of queued, stored, failed wins), so a retried or repeated render needs
    no state machine of its own. A take-down deletes the row with the file.
    """

    revision = models.OneToOneField(
        Revision, verbose_name=_("版本"), primary_key=True, on_delete=models.CASCADE, related_name="bulletin"
    )
    queued_at = models.DateTimeField(_("排队时间"))
    started_at = models.DateTimeField(_("开始生成"), null=True, blank=True)
    stored_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    failure = models.TextField(_("失败原因"), blank=True)
    size = models.PositiveIntegerField(_("文件大小（字节）"), default=0)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    peak_kb = models.PositiveIntegerField(_("生成进程内存峰值（KB）"), default=0)

    class Meta:
        verbose_name = _("公示栏 PDF")
        verbose_name_plural = _("公示栏 PDF")

    def __str__(self):
        return f"{self.revision_id}: {self.get_state_display()}"

    @property
    def state(self):
        newest_attempt = max(self.queued_at, self.stored_at or self.queued_at)
        if self.failed_at and self.failed_at >= newest_attempt:
            return BulletinState.FAILED
        if self.stored_at and self.stored_at >= self.queued_at:
            return BulletinState.STORED
        return BulletinState.QUEUED

    def get_state_display(self):
        return BulletinState(self.state).label


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    READY = "ready", _("可导入")
    INVALID = "invalid", _("有错误")
    FAILED = "failed", _("无法读取")
    IMPORTED = "imported", _("已导入")
    EXPIRED = "expired", _("已过期")


_I = ImportStatus


# The import job's state machine; ``disclosures.importer.services.job_transition`` (locked) and ``job_claim``
# (lock-free conditional UPDATE) are its only writers. Audit: one event per business action (DESIGN §9):
# the upload (``roster_import.uploaded``, written where the job is created), the import itself
# (``revision.entries_replaced`` with the file's sha256 and counts, written by the revision service) and the
# expiry that deletes the stored file. Claims, validation outcomes and restarts are the system's bookkeeping
# of one upload: the job row shows their result and they write no event.
def _job_move(name, sources, target, perm, *, label, audit_action=None):
    """An import job's move: the same ``Move`` as a disclosure's, acting on the job (``perm=None``: only the
    system makes it; ``audit_action`` None: the move writes no event of its own)."""
    return Move(name, ON_IMPORT_JOB, tuple(sources), target, perm, label, audit_action)


IMPORT_MOVES = {
    m.name: m
    for m in (
        _job_move("claim", (_I.PENDING,), _I.VALIDATING, None, label=_("开始校验")),
        _job_move("pass", (_I.VALIDATING,), _I.READY, None, label=_("校验通过")),
        _job_move("reject", (_I.VALIDATING,), _I.INVALID, None, label=_("校验有错误")),
        _job_move("fail", (_I.VALIDATING,), _I.FAILED, None, label=_("无法读取")),
        _job_move("restart", (_I.VALIDATING,), _I.PENDING, None, label=_("重新排队")),
        _job_move(
            "choose_sheet",
            (_I.PENDING, _I.READY, _I.INVALID, _I.FAILED),
            _I.PENDING,
            "roster.import",
            label=_("校验这个工作表"),
        ),
        _job_move("confirm", (_I.READY,), _I.IMPORTED, "roster.import", label=_("确认导入")),
        _job_move(
            "expire",
            (_I.PENDING, _I.VALIDATING, _I.READY, _I.INVALID, _I.FAILED),
            _I.EXPIRED,
            None,
            label=_("预览过期"),
            audit_action="roster_import.expired",
        ),
    )
}


class ImportJob(models.Model):
    """One uploaded roster and its validation result: the preview that survives reloads."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("村"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别"))
    period = models.CharField(_("期间"), max_length=10)
    phase = models.CharField(_("阶段"), max_length=8, choices=Phase.choices)
    file = models.FileField(_("上传的文件"), storage=private_storage, upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件校验码"), max_length=64)
    sheet_name = models.CharField(_("工作表"), max_length=128, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_processed = models.PositiveIntegerField(_("已校验行数"), default=0)
    result = models.JSONField(_("校验结果"), default=dict, blank=True)
    disclosure = models.ForeignKey(
        Disclosure, verbose_name=_("公开事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.ForeignKey(
        Revision, verbose_name=_("版本"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("预览保留到"))
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名单导入")
        verbose_name_plural = _("名单导入")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name


class ImportPreviewRow(models.Model):
    """One row of an import job's preview, apart from the job's result so a page reads only its own rows.

    A 100,000-row file's rows held in ``ImportJob.result`` were decoded whole on every page view (seconds); here a
    page is one indexed slice. ``values`` is the importable row, compact (``importer.services.ROW_FIELDS``), or
    None for a refused row (its name and errors stay in the result's capped ``errors``). ``problem``: the row has
    an error or a warning, for ``?only=problems``. The job's expiry deletes them; deleting the job cascades.
    """

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="preview_rows", verbose_name=_("名单导入")
    )
    row = models.PositiveIntegerField(_("行号"))
    values = models.JSONField(_("行内容"), null=True, blank=True)
    problem = models.BooleanField(_("有问题"), default=False)

    class Meta:
        verbose_name = _("导入预览行")
        verbose_name_plural = _("导入预览行")
        constraints = [models.UniqueConstraint(fields=["job", "row"], name="importpreviewrow_job_row")]
        indexes = [
            models.Index(fields=["job", "row"], condition=models.Q(problem=True), name="importpreviewrow_problems")
        ]

    def __str__(self):
        return f"{self.job_id} #{self.row}"


class AnomalyReport(Disclosure):
    """No table: gives the inspectors' anomaly page (``disclosures.inspect_admin``) its place in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("异常线索")
        verbose_name_plural = _("异常线索")


class TownshipReport(Disclosure):
    """No table: the per-township figures page in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("乡镇统计")
        verbose_name_plural = _("乡镇统计")
