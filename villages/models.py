from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    COUNTY = "county", _("县")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("村")
    GROUP = "group", _("村民小组")


CHILD_LEVEL = {
    Level.COUNTY: Level.TOWNSHIP,
    Level.TOWNSHIP: Level.VILLAGE,
    Level.VILLAGE: Level.GROUP,
}


class Division(models.Model):
    """One node of County → Township → Village → Group.

    ``path`` is the materialized chain of ids (``/1/4/17/``) so a subtree is one
    indexed ``startswith`` filter, which every jurisdiction check relies on.
    """

    code = models.CharField(_("统计用区划代码"), max_length=12, unique=True, null=True, blank=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    # A village's centroid (WGS-84), used to find the village for an Open311 report sent as lat/long.
    lat = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("村的中心位置（WGS-84），例如 28.845120；接口按经纬度找最近的村。"),
    )
    long = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True, help_text=_("例如 115.553210。")
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.pk is None:
            super().save(*args, **kwargs)  # the path needs the new id
            kwargs = {**kwargs, "force_insert": False, "update_fields": ["path"]}
            kwargs.pop("force_update", None)
        elif kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "path"}
        self.path = f"{self.parent.path if self.parent_id else '/'}{self.pk}/"
        super().save(*args, **kwargs)

    def clean(self):
        if self.code and (len(self.code) != 12 or not self.code.isdigit()):
            raise ValidationError({"code": _("区划代码应为 12 位数字。")})
        if (self.lat is None) != (self.long is None):
            raise ValidationError({"long" if self.long is None else "lat": _("经纬度要同时填写。")})
        if self.lat is not None and not -90 <= self.lat <= 90:
            raise ValidationError({"lat": _("纬度应在 -90 到 90 之间。")})
        if self.long is not None and not -180 <= self.long <= 180:
            raise ValidationError({"long": _("经度应在 -180 到 180 之间。")})
        if self.level == Level.COUNTY:
            if self.parent_id:
                raise ValidationError({"parent": _("县级区划没有上级。")})
        elif self.parent is None or CHILD_LEVEL.get(self.parent.level) != self.level:
            raise ValidationError({"parent": _("上级区划的层级不对。")})

    def is_within(self, other):
        """True when ``self`` is ``other`` or lies in its subtree."""
        return self.path.startswith(other.path)

    @property
    def full_name(self):
        return self.path_names(" ")

    def path_names(self, sep=" / "):
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        names = dict(Division.objects.filter(pk__in=ids).values_list("pk", "name"))
        return sep.join(names[i] for i in ids if i in names)

    def ancestor_at(self, level):
        """This division's ancestor (or itself) at ``level``, or None."""
        node = self
        while node is not None and node.level != level:
            node = node.parent
        return node


class Role(models.TextChoices):
    VILLAGE_CLERK = "village_clerk", _("村务公开员")
    TOWNSHIP_REVIEWER = "township_reviewer", _("乡镇审核员")
    TOWNSHIP_DISCIPLINE = "township_discipline", _("乡镇纪委")
    COUNTY_INSPECTOR = "county_inspector", _("县纪委/监督员")
    COUNTY_ADMIN = "county_admin", _("县管理员")


# The division level each role is held at.
ROLE_LEVEL = {
    Role.VILLAGE_CLERK: Level.VILLAGE,
    Role.TOWNSHIP_REVIEWER: Level.TOWNSHIP,
    Role.TOWNSHIP_DISCIPLINE: Level.TOWNSHIP,
    Role.COUNTY_INSPECTOR: Level.COUNTY,
    Role.COUNTY_ADMIN: Level.COUNTY,
}


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    division = models.ForeignKey(Division, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [models.UniqueConstraint(fields=["user", "division", "role"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} · {self.division} · {self.get_role_display()}"

    def clean(self):
        if self.division_id and self.role and self.division.level != ROLE_LEVEL[self.role]:
            raise ValidationError(
                {"division": _("该角色只能设在%(level)s级区划。") % {"level": Level(ROLE_LEVEL[self.role]).label}}
            )


class VillageCadre(models.Model):
    """Who counts as a village cadre, kept by the township, for conflict-of-interest routing."""

    division = models.ForeignKey(Division, verbose_name=_("村"), on_delete=models.PROTECT, related_name="cadres")
    name = models.CharField(_("姓名"), max_length=64)
    position = models.CharField(_("职务"), max_length=64)
    person_key = models.CharField(max_length=64, blank=True, db_index=True)
    is_active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("村干部")
        verbose_name_plural = _("村干部")

    def __str__(self):
        return f"{self.name}（{self.position}）"


class StaffRelative(models.Model):
    """A staff member's registered relative (民发〔2021〕57号: such applications are recorded separately)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        on_delete=models.CASCADE,
        related_name="registered_relatives",
    )
    name = models.CharField(_("姓名"), max_length=64)
    person_key = models.CharField(max_length=64, blank=True, db_index=True)
    relation = models.CharField(_("关系"), max_length=32)

    class Meta:
        verbose_name = _("工作人员近亲属")
        verbose_name_plural = _("工作人员近亲属")

    def __str__(self):
        return f"{self.user} · {self.relation} {self.name}"


class CalendarDay(models.Model):
    """Installation-wide working-day calendar; a date absent here follows the weekday rule."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'班' if self.is_workday else '休'} {self.note}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("正在导出")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class ExportJob(models.Model):
    """A list export too large for a web request, made by a background task (``villages.export_jobs``).

    It stores what to export (``kind`` and its ``params``: the filters, never the rows) and the
    requester's ``scope`` when they asked (the divisions where they held the kind's permission); the
    task re-runs the exporter in the requester's scope, and a download is refused unless the requester
    still holds that whole scope. ``status`` changes only through ``export_jobs.job_transition``.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    kind = models.CharField(_("清单"), max_length=50)
    title = models.CharField(_("名称"), max_length=200)
    params = models.JSONField(default=dict)
    scope = models.JSONField(default=list)  # division ids
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
    format = models.CharField(_("格式"), max_length=4, default="xlsx")
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED, db_index=True
    )
    file = models.CharField(max_length=255, blank=True)  # a name in private storage
    row_count = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    error = models.TextField(_("失败原因"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("我的导出")
        verbose_name_plural = _("我的导出")
        ordering = ["-id"]
        indexes = [models.Index(fields=["requested_by", "-id"], name="exportjob_mine")]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"
