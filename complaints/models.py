"""Complaints (留言/投诉): categories (the Open311 services), complaints, photos, outbox, API keys.

The state lives in ``Complaint.status``; the moves that change it are the table ``MOVES`` below, and
only ``complaints.moves.transition`` takes them.
Escalation and transfer are moves (they change ``division``/``handler_role``/``level``),
not states. The filer's identity (name, phone, e-mail) is stored encrypted and shown
only to the staff handling the complaint.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.storage import private_storage
from villages.models import Division, Level, Role


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    IN_PROGRESS = "in_progress", _("办理中")
    REPLIED = "replied", _("已答复")
    CLOSED = "closed", _("已办结")


# States with a running clock that the tick escalates.
OPEN_STATES = (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS)
LEVEL_ORDER = [Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY]


class MoveActor:
    """Who may take a move (checked by ``complaints.routing.may_take``)."""

    HANDLER = "handler"  # a membership with exactly the handler role at exactly the handling division
    HANDLER_OR_REVEALER = "handler_or_revealer"  # also county inspectors who may reveal the filer's identity
    FILER = "filer"  # the resident, through the tracking code and password (no staff account)


@dataclass(eq=False)
class Move:
    """One move of the complaint state machine: data here, its work bound by ``complaints.moves``.

    ``target`` None keeps the state (escalate, transfer, extend, contact, publicity, rate: DESIGN §9,
    "escalated and transferred are moves, not states"). ``fields`` are the complaint fields the move
    may change: saved, and diffed into the audit event. ``inputs`` names what the move asks for (the
    admin form and the API body: ``complaints.forms.MOVE_FORMS``, ``complaints.serializers.MOVE_BODIES``).
    ``reason_missing`` is the error when a required reason is blank; empty when the reason is optional.
    ``offered`` False: taken only inside another move (``reopen``, through the filer's rating).
    """

    name: str
    sources: tuple
    target: str | None
    actor: str
    label: str
    action: str
    fields: tuple
    inputs: str = ""
    reason_missing: str = ""
    offered: bool = True
    handler: Callable | None = field(default=None, repr=False)  # bound by complaints.moves
    guard: Callable | None = field(default=None, repr=False)  # bound by complaints.moves: extra preconditions

    @property
    def reason_required(self):
        return bool(self.reason_missing)


_H = MoveActor.HANDLER
_ANY_STATE = tuple(Status)
_REOPEN_FIELDS = ("status", "division", "level", "handler_role", "is_review", "due_at", "closed_at")

# The one table of complaint moves. The caller never names the new state: the table does.
MOVES = {
    m.name: m
    for m in (
        Move(
            "accept",
            (Status.SUBMITTED,),
            Status.ACCEPTED,
            _H,
            _("受理"),
            "complaint.accepted",
            ("status", "accepted_at", "accepted_on_time", "due_at", "first_contact_at"),
        ),
        Move(
            "reject",
            (Status.SUBMITTED,),
            Status.REJECTED,
            _H,
            _("不予受理"),
            "complaint.rejected",
            ("status", "rejected_at", "reject_reason", "due_at", "accepted_on_time"),
            inputs="reason",
            reason_missing=_("不予受理必须写明理由。"),
        ),
        Move(
            "start",
            (Status.ACCEPTED,),
            Status.IN_PROGRESS,
            _H,
            _("开始办理"),
            "complaint.started",
            ("status", "started_at"),
        ),
        Move(
            "reply",
            (Status.IN_PROGRESS,),
            Status.REPLIED,
            _H,
            _("答复"),
            "complaint.replied",
            ("status", "reply", "outcome", "replied_at", "due_at", "concluded_on_time", "rating"),
            inputs="reply",
        ),
        Move("close", (Status.REPLIED,), Status.CLOSED, _H, _("办结"), "complaint.closed", ("status", "closed_at")),
        # 不满意 with the reply: review one level up. Taken only through ``rate``, which writes the event.
        Move(
            "reopen",
            (Status.REPLIED, Status.CLOSED),
            Status.IN_PROGRESS,
            MoveActor.FILER,
            _("重新办理"),
            "complaint.reopened",
            _REOPEN_FIELDS,
            offered=False,
        ),
        Move(
            "escalate",
            OPEN_STATES,
            None,
            _H,
            _("上报上一级"),
            "complaint.escalated",
            ("division", "level", "handler_role", "due_at", "escalation_count"),
            inputs="reason",
            reason_missing=_("上报必须写明理由。"),
        ),
        Move(
            "transfer",
            OPEN_STATES,
            None,
            _H,
            _("转办"),
            "complaint.transferred",
            ("division", "level", "handler_role"),
            inputs="transfer",
            reason_missing=_("转办必须写明理由。"),
        ),
        Move(
            "extend",
            (Status.ACCEPTED, Status.IN_PROGRESS),
            None,
            _H,
            _("延期"),
            "complaint.extended",
            ("due_at", "extended", "extension_reason"),
            inputs="reason",
            reason_missing=_("延期必须写明理由。"),
        ),
        Move("contact", OPEN_STATES, None, _H, _("记录首次联系"), "complaint.contacted", ("first_contact_at",)),
        Move(
            "publicity",
            _ANY_STATE,
            None,
            MoveActor.HANDLER_OR_REVEALER,
            _("公开摘要"),
            "complaint.publicity_set",
            ("summary", "description_public"),
            inputs="publicity",
        ),
        Move(
            "rate",
            (Status.REPLIED, Status.CLOSED),
            None,
            MoveActor.FILER,
            _("评价"),
            "complaint.rated",
            ("rating", "rating_comment", "rated_at", *_REOPEN_FIELDS),
            inputs="rating",
        ),
    )
}


def overdue_q(now):
    """Open complaints past their deadline at ``now``: what the tick escalates and the queues flag."""
    return models.Q(status__in=OPEN_STATES, due_at__lt=now)


class Outcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    PARTLY = "partly", _("部分属实")
    UNFOUNDED = "unfounded", _("不属实")
    OUTSIDE_REMIT = "outside_remit", _("不属于受理范围")
    DUPLICATE = "duplicate", _("重复件")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Channel(models.TextChoices):
    WEB = "web", _("网上留言")
    PHONE = "phone", _("电话")
    IN_PERSON = "in_person", _("来访")
    OPEN311 = "open311", _("接口")


class Unit(models.TextChoices):
    CALENDAR = "calendar", _("自然日")
    WORKING = "working", _("工作日")


class ComplaintCategory(models.Model):
    """One kind of complaint; the Open311 ``service``."""

    service_code = models.CharField(_("服务代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    owning_level = models.CharField(
        _("首办层级"),
        max_length=16,
        choices=[
            (Level.VILLAGE, Level.VILLAGE.label),
            (Level.TOWNSHIP, Level.TOWNSHIP.label),
            (Level.COUNTY, Level.COUNTY.label),
        ],
        default=Level.VILLAGE,
    )
    disclosure_category = models.ForeignKey(
        "disclosures.Category",
        verbose_name=_("对应公开类别（异议）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaint_categories",
    )
    is_objection = models.BooleanField(_("公示异议"), default=False)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("留言类别")
        verbose_name_plural = _("留言类别")
        ordering = ["sort_order", "service_code"]

    def __str__(self):
        return self.name


class CountyClock(models.Model):
    """A county's deadlines per stage; without a row the settings' defaults (信访工作条例) apply."""

    county = models.OneToOneField(
        Division, verbose_name=_("县"), on_delete=models.CASCADE, related_name="complaint_clock"
    )
    acceptance_days = models.PositiveSmallIntegerField(_("受理期限"), default=15)
    acceptance_unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices, default=Unit.CALENDAR)
    conclusion_days = models.PositiveSmallIntegerField(_("办结期限"), default=60)
    conclusion_unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices, default=Unit.CALENDAR)
    extension_days = models.PositiveSmallIntegerField(_("延期（一次）"), default=30)
    review_days = models.PositiveSmallIntegerField(_("复查期限"), default=30)
    review_unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices, default=Unit.CALENDAR)
    first_contact_hours = models.PositiveSmallIntegerField(
        _("首次联系时限（小时）"), null=True, blank=True, help_text=_("留空表示不设；例如 24。")
    )

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")

    def __str__(self):
        return str(self.county)

    def jurisdiction(self):
        """The county, so its audit events are filed where the county's inspectors see them."""
        return self.county


ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L


def new_tracking_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


def hash_secret(secret):
    return hmac.new(settings.SECRET_KEY.encode(), secret.strip().upper().encode(), hashlib.sha256).hexdigest()


def phone_key(phone):
    """Keyed hash of a phone number, for rate limits and matching (never the number itself)."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    if not digits:
        return ""
    return hmac.new(settings.IDENTITY_HASH_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()


class Complaint(models.Model):
    tracking_code = models.CharField(_("查询码"), max_length=12, default=new_tracking_code)
    secret_hash = models.CharField(max_length=64, editable=False)
    category = models.ForeignKey(
        ComplaintCategory, verbose_name=_("类别"), db_index=False, on_delete=models.PROTECT, related_name="complaints"
    )
    village = models.ForeignKey(
        Division, verbose_name=_("所涉村"), db_index=False, on_delete=models.PROTECT, related_name="complaints_about"
    )
    township = models.ForeignKey(
        Division, verbose_name=_("乡镇"), db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        Division, verbose_name=_("县"), db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    # Who handles it now: the division and the role there.
    division = models.ForeignKey(
        Division, verbose_name=_("办理单位"), on_delete=models.PROTECT, related_name="complaints"
    )
    level = models.CharField(_("办理层级"), max_length=16, choices=Level.choices)
    handler_role = models.CharField(_("办理岗位"), max_length=32, choices=Role.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    text = models.TextField(_("内容"), max_length=4000)
    summary = models.CharField(_("公开摘要"), max_length=200, blank=True)
    description_public = models.BooleanField(_("内容可公开"), default=False)
    concerns_cadres = models.BooleanField(_("涉及村干部"), default=False)
    concerns_township_staff = models.BooleanField(_("涉及乡镇干部"), default=False)
    named_cadre = models.ForeignKey(
        "villages.VillageCadre",
        verbose_name=_("所涉村干部"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
    )
    # Objections: linked to a disclosure and a stable person key (or entry).
    disclosure = models.ForeignKey(
        "disclosures.Disclosure",
        verbose_name=_("相关公开"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    roster_entry = models.ForeignKey(
        "disclosures.RosterEntry", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+"
    )
    person_key = models.CharField(max_length=64, blank=True)
    # Identity: encrypted; visible to the handling staff only.
    anonymous = models.BooleanField(_("匿名"), default=True)
    filer_name_enc = models.TextField(blank=True)
    filer_phone_enc = models.TextField(blank=True)
    filer_email_enc = models.TextField(blank=True)
    filer_phone_key = models.CharField(max_length=64, blank=True)
    notify_filer = models.BooleanField(_("短信/邮件通知"), default=False)
    channel = models.CharField(_("来源"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代录人"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Clocks.
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    due_at = models.DateTimeField(_("当前期限"), null=True, blank=True)
    first_contact_due_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(_("首次联系"), null=True, blank=True)
    first_contact_alerted = models.BooleanField(default=False)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    accepted_on_time = models.BooleanField(null=True)
    concluded_on_time = models.BooleanField(null=True)
    extended = models.BooleanField(_("已延期"), default=False)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    escalation_count = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    is_review = models.BooleanField(_("复查"), default=False)
    # Public answers.
    reject_reason = models.TextField(_("不予受理理由"), blank=True)
    reply = models.TextField(_("公开答复"), blank=True)
    outcome = models.CharField(_("办理结果"), max_length=16, choices=Outcome.choices, blank=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # The public form's one-time token (SHA-256 of it): a resubmission of the same form finds this complaint
    # instead of filing a second one. Empty for staff intake and Open311.
    intake_token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The tracking secret, encrypted with a key derived from that token (complaints.intake.secret_box), so only
    # a resubmission of the filer's own form can show it again; cleared when the secret is re-issued.
    intake_secret_box = models.TextField(blank=True, default="", editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The staff queue's first sort key: 0 while the clock runs (submitted, accepted, in progress), 1 once answered,
    # rejected or closed. Computed and stored by the database from ``status``, so no writer (the moves, the
    # tick's bulk SQL, an import) can forget it; ``complaint_queue_idx`` serves the queue's whole order from it.
    queue_rank = models.GeneratedField(
        expression=models.Case(models.When(status__in=OPEN_STATES, then=models.Value(0)), default=models.Value(1)),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("队列顺序"),
    )

    class Meta:
        verbose_name = _("留言投诉")
        verbose_name_plural = _("留言投诉")
        ordering = ["due_at", "-submitted_at"]
        # Few indexes on purpose: the tick rewrites many rows at once and every index costs on each
        # row it moves. Partial indexes cover only rows the tick never touches (closed ones, objections);
        # a UniqueConstraint instead of unique=True spares PostgreSQL a second, LIKE-only index.
        indexes = [
            models.Index(fields=["status", "due_at"]),
            # The queue's order (complaints.selectors.QUEUE_ORDER): open first, earliest deadline (so overdue) first.
            models.Index(fields=["queue_rank", "due_at", "-submitted_at", "-id"], name="complaint_queue_idx"),
            models.Index(
                fields=["village", "closed_at"],
                condition=models.Q(status="closed"),
                name="complaint_village_closed_idx",
            ),
            models.Index(
                fields=["disclosure"], condition=models.Q(disclosure__isnull=False), name="complaint_disclosure_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracking_code"], name="complaint_tracking_code_unique"),
            # Two racing submissions of one form: the second insert fails here and finds the first.
            models.UniqueConstraint(
                fields=["intake_token_hash"],
                condition=~models.Q(intake_token_hash=""),
                name="complaint_intake_token_unique",
            ),
        ]

    def __str__(self):
        return self.tracking_code

    def check_secret(self, secret):
        return bool(secret) and hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def is_open(self):
        return self.status in OPEN_STATES

    def is_overdue(self, now):
        """``overdue_q`` for one loaded complaint."""
        return self.is_open and self.due_at is not None and self.due_at < now


class ComplaintPhoto(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(storage=private_storage, upload_to="complaints/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")

    def __str__(self):
        return f"{self.complaint} #{self.pk}"


class OutboxChannel(models.TextChoices):
    CONSOLE = "console", _("控制台")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class Outbox(models.Model):
    """A notification written in the same transaction as the change; ``deliver_outbox`` sends it.

    Status, derived: sent (``sent_at``), given up (``attempts`` reached the maximum), waiting for a retry
    (``next_attempt_at``), being sent (``claimed_until`` in the future) or pending."""

    channel = models.CharField(_("渠道"), max_length=10, choices=OutboxChannel.choices)
    recipient = models.TextField(_("收件地址"), blank=True)  # encrypted for filers' phones/e-mails
    recipient_label = models.CharField(_("收件人"), max_length=150, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("留言"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("上次失败原因"), blank=True)  # masked: never the recipient's number
    next_attempt_at = models.DateTimeField(_("下次重试"), null=True, blank=True)  # backoff after a failure
    claimed_until = models.DateTimeField(null=True, blank=True)  # a deliverer's lease while it sends

    class Meta:
        verbose_name = _("待发通知")
        verbose_name_plural = _("待发通知")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient_label}: {self.subject}"


class ApiKey(models.Model):
    """An Open311 ``api_key`` issued by staff; only its hash is stored."""

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw):
        return hashlib.sha256(raw.encode()).hexdigest()
