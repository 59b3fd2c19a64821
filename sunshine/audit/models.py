"""Append-only audit events, the seals that chain them and the published chain heads.

Events are inserted freely by every service (no global lock on the write
path), each signed with a MAC just before the insert (``signing``);
``seal_pending`` later chains unsealed events in id order by inserting one
``AuditSeal`` per event, and publishes an ``AuditHead`` at least daily. The
tables refuse UPDATE and DELETE: the ORM here, and on PostgreSQL a trigger
(only the tables' owner may delete) plus the app role's grants (SELECT and
INSERT only, see ``setup_db_roles``).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records are append-only")

    def delete(self):
        raise AppendOnlyError("audit records are append-only")

    _raw_delete = delete


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit records are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records are append-only")


def division_paths(division_ids):
    """``{division id: path}`` in one query; the division model is reached through the event's own foreign key,
    so this package names no domain app."""
    ids = {pk for pk in division_ids if pk is not None}
    if not ids:
        return {}
    division_model = AuditEvent._meta.get_field("division").related_model
    return dict(division_model.objects.filter(pk__in=ids).values_list("pk", "path"))


def fill_division_paths(events):
    """Set ``division_path`` on the events that name a division but not its path (one query for all)."""
    missing = [event for event in events if event.division_id is not None and not event.division_path]
    paths = division_paths(event.division_id for event in missing)
    for event in missing:
        event.division_path = paths.get(event.division_id, "")
    return events


class AuditEventQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        from .signing import sign_event

        objs = [sign_event(event) for event in fill_division_paths(list(objs))]
        return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(AppendOnlyModel):
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64)
    # No database constraints and no single-column indexes the admin does not need: the log must
    # outlive what it describes, and every index costs on the append path (a tick may write 100k).
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    division = models.ForeignKey(
        "villages.Division",
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    # The division's materialized path (``/1/4/17/``) as it was when the event was written, so a jurisdiction
    # is one indexed prefix on this table instead of a join that defeats every index (561,000 events). Not
    # signed: it is derived from the signed ``division_id`` (``audit_verify`` checks that it ends with it), and
    # events stay filed where they happened even if a village later moves to another township.
    division_path = models.CharField(
        _("区划路径"), max_length=255, blank=True, default="", db_default="", editable=False
    )
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    # HMAC of the canonical event with the key ``key_id`` names (settings.AUDIT_HMAC_KEYS), set at insert.
    key_id = models.CharField(_("密钥编号"), max_length=32, blank=True)
    mac = models.CharField(_("校验码"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "id"]),
            models.Index(fields=["action", "id"], name="audit_event_action_idx"),
            # A jurisdiction's events, newest first or within a date range: ``division_path LIKE '/1/4/%'``.
            models.Index(
                fields=["division_path", "id"],
                name="audit_event_path_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
            # The search box: a prefix of the object's name (``object_repr LIKE '东坪村%'``).
            models.Index(fields=["object_repr"], name="audit_event_repr_idx", opclasses=["varchar_pattern_ops"]),
            # System events (the tick's, by the hundred thousand) have no actor: not worth indexing.
            models.Index(fields=["actor"], condition=models.Q(actor__isnull=False), name="audit_event_actor_idx"),
        ]
        default_permissions = ("view",)

    def __str__(self):
        from .actions import action_label

        return f"#{self.pk} {action_label(self.action)} {self.object_repr}"

    def save(self, *args, **kwargs):
        from .signing import sign_event

        if self._state.adding:
            fill_division_paths([self])
            sign_event(self)  # sign the values as they are inserted, whoever built the event
        super().save(*args, **kwargs)


class AuditSeal(AppendOnlyModel):
    """Keyed link for one event: hash = HMAC(key[key_id], prev_hash + event mac)."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal", db_constraint=False)
    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("审计封存")
        verbose_name_plural = _("审计封存")
        ordering = ["seq"]
        default_permissions = ("view",)


class AuditHead(AppendOnlyModel):
    """The chain head as published (``/audit/heads/``): anyone who kept one detects a rewrite before it."""

    seq = models.BigIntegerField(_("序号"))
    hash = models.CharField(_("哈希"), max_length=64)
    at = models.DateTimeField(_("发布时间"), db_index=True)
    key_id = models.CharField(_("密钥编号"), max_length=32)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}…"
