"""Django's permissions named in Chinese on the staff account and group pages (issue 14)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from villages.models import Membership
from villages.permission_labels import permission_label

pytestmark = pytest.mark.django_db


def perm(app_label, codename):
    return Permission.objects.select_related("content_type").get(content_type__app_label=app_label, codename=codename)


@pytest.mark.parametrize(
    ("app_label", "codename", "label"),
    [
        ("axes", "add_accessattempt", "可新增 登录尝试（登录锁定）"),
        ("villages", "change_membership", "可修改 岗位（区划与人员）"),
        ("otp_totp", "delete_totpdevice", "可删除 动态口令设备（动态口令）"),
        ("django_tasks_database", "view_dbtaskresult", "可查看 任务结果（后台任务库）"),
    ],
)
def test_a_default_permission_reads_verb_model_and_app_in_chinese(app_label, codename, label):
    assert permission_label(perm(app_label, codename)) == label


def test_the_label_follows_the_active_language():
    with translation.override("en"):
        assert permission_label(perm("villages", "change_membership")).startswith("Can change ")


def test_a_custom_permission_and_a_stale_content_type_keep_their_stored_name():
    custom = Permission.objects.create(
        codename="reveal_everything", name="自定义权限", content_type=ContentType.objects.get_for_model(Membership)
    )
    stale = Permission.objects.create(
        codename="add_gone", name="Can add gone", content_type=ContentType.objects.create(app_label="old", model="gone")
    )
    assert permission_label(custom) == "自定义权限"
    assert permission_label(stale) == "Can add gone"


@pytest.mark.parametrize("page", ["/admin/auth/group/add/", "/admin/auth/user/{pk}/change/"])
def test_the_group_and_user_pages_list_permissions_in_chinese(admin_client, admin_user, page):
    html = admin_client.get(page.format(pk=admin_user.pk)).content.decode()
    assert "可新增 登录尝试（登录锁定）" in html and "可查看 岗位（区划与人员）" in html
    assert "Can add" not in html and "Can view" not in html
