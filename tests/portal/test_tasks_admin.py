"""Staff see background work: 后台任务 for county admins and inspectors (read-only, in Chinese, no arguments), and
the import preview says what its validation task is doing — queued, validating, or failed with the reason."""

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from disclosures.models import ImportStatus
from tests.disclosures.importer.test_services import upload

LIST = "admin:portal_backgroundtask_changelist"


@pytest.fixture
def queued_import(world, clerk_v1, settings):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    job = upload(clerk_v1, world.v1)
    assert job.status == ImportStatus.PENDING
    return job


def fail(*, exception, message, attempts, status=TaskResultStatus.FAILED):
    DBTaskResult.objects.update(
        status=status,
        worker_ids=[f"w{n}" for n in range(attempts)],
        exception_class_path=exception,
        traceback=f"Traceback (most recent call last):\n  File \"x.py\", line 1\n{exception}: {message}\n",
    )


@pytest.mark.parametrize("who", ["county_admin", "inspector"])
def test_county_roles_see_the_tasks_in_chinese_without_their_arguments(client, who, request, queued_import):
    fail(exception="django.db.utils.OperationalError", message="connection refused", attempts=5)
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse(LIST)).content.decode()
    assert "后台任务" in page and "名单导入校验" in page and "失败" in page
    assert "django.db.utils.OperationalError: connection refused" in page
    assert str(queued_import.pk) not in page  # the arguments are never shown
    (task,) = DBTaskResult.objects.all()
    detail = client.get(reverse("admin:portal_backgroundtask_change", args=[task.pk])).content.decode()
    assert "名单导入校验" in detail and str(queued_import.pk) not in detail and 'name="_save"' not in detail


@pytest.mark.parametrize("who", ["clerk_v1", "reviewer_t1", "discipline_t1"])
def test_village_and_township_staff_do_not_see_background_tasks(client, who, request, queued_import):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(LIST)).status_code == 403
    assert "后台任务" not in client.get(reverse("admin:index")).content.decode()


def test_nothing_can_be_added_changed_or_deleted_and_the_librarys_own_page_is_gone(client, county_admin, queued_import):
    client.force_login(county_admin)
    (task,) = DBTaskResult.objects.all()
    assert client.get(reverse("admin:portal_backgroundtask_add")).status_code == 403
    assert client.post(reverse("admin:portal_backgroundtask_delete", args=[task.pk])).status_code == 403
    assert client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 404
    assert DBTaskResult.objects.count() == 1


def test_the_task_list_query_count_does_not_grow(client, county_admin, world, clerk_v1, settings):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    client.force_login(county_admin)
    upload(clerk_v1, world.v1)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(LIST))
    for period in ("2026-10", "2026-09", "2026-08"):
        upload(clerk_v1, world.v1, period=period)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(LIST))
    assert len(many) == len(one)


def preview(client, job):
    return client.get(reverse("admin:disclosures_importjob_preview", args=[job.pk])).content.decode()


def test_the_import_preview_shows_the_task_queued_then_retrying_then_failed_with_the_reason(
    client, clerk_v1, queued_import, settings
):
    settings.TASKS_MAX_ATTEMPTS = 3
    client.force_login(clerk_v1)
    page = preview(client, queued_import)
    assert '<td id="import-task">排队中</td>' in page and 'http-equiv="refresh"' in page

    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=["w1"])
    assert "正在验证（第 1 次尝试）" in preview(client, queued_import)

    fail(exception=f"{OperationalError.__module__}.OperationalError", message="connection refused", attempts=1)
    page = preview(client, queued_import)
    assert "第 1 次尝试失败" in page and "稍后自动重试" in page and 'http-equiv="refresh"' in page

    fail(exception=f"{OperationalError.__module__}.OperationalError", message="connection refused", attempts=3)
    page = preview(client, queued_import)
    assert "失败（django.db.utils.OperationalError: connection refused）" in page
    assert "请重新上传文件" in page and 'http-equiv="refresh"' not in page  # no reloading forever


def test_a_task_failing_on_its_own_fault_is_final_at_once(client, clerk_v1, queued_import):
    fail(exception="builtins.MemoryError", message="", attempts=1)
    client.force_login(clerk_v1)
    page = preview(client, queued_import)
    assert "失败（builtins.MemoryError" in page and 'http-equiv="refresh"' not in page
