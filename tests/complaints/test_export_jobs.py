"""A complaint export over EXPORT_INLINE_MAX_ROWS becomes a background job (我的导出); small ones stay inline.

The job's file holds exactly what the inline export would (same filters, same columns, no identity); only its
requester downloads it, and only while they keep the scope they had; files expire; failures say why.
"""

import datetime
import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from complaints import exports
from complaints.models import Complaint
from sunshine.audit.models import AuditEvent
from sunshine.storage import private_storage
from villages import export_jobs
from villages.models import ExportJob, ExportStatus, Membership

CHANGELIST = "admin:complaints_complaint_changelist"
MINE = "admin:villages_exportjob_changelist"
PHONE = "13700137000"
# The worker closes a connection it finds inside a transaction, so tests that run tasks commit for real.
transactional = pytest.mark.django_db(transaction=True)


def download_url(job):
    return reverse("admin:villages_exportjob_download", args=[job.pk])


def status_of(client, url):
    """The download's status code; a file response is read to its end, which closes it (as a WSGI server would)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def stored(job):
    with private_storage().open(job.file) as file:
        return file.read()


def rows_of(data):
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def export(client, complaints, query="", across=True):
    data = {"action": "export_xlsx", "_selected_action": [c.pk for c in complaints]}
    if across:
        data["select_across"] = "1"
    return client.post(reverse(CHANGELIST) + query, data)


@pytest.fixture
def filed(file_complaint, world):
    mine = [file_complaint("environment", name="王五", phone=PHONE) for _ in range(3)]
    file_complaint("environment", village=world.v3)  # 丙村: outside the clerk's scope
    return mine


@transactional
def test_a_large_export_is_a_job_whose_file_equals_the_inline_export(client, settings, filed, clerk_v1, run_tasks):
    client.force_login(clerk_v1)
    settings.EXPORT_INLINE_MAX_ROWS = 100
    inline = export(client, filed[:1])
    assert inline["Content-Type"].startswith("application/vnd.openxmlformats")
    inline_rows = rows_of(inline.content)
    assert len(inline_rows) == 4  # headers and the clerk's three complaints (select across), not 丙村's

    settings.EXPORT_INLINE_MAX_ROWS = 2
    response = export(client, filed[:1])
    assert response.status_code == 302
    assert "导出任务已提交：共 3 行" in client.get(response["Location"]).content.decode()
    job = ExportJob.objects.get()
    assert (job.status, job.kind, job.requested_by) == (ExportStatus.QUEUED, "complaints", clerk_v1)
    assert DBTaskResult.objects.filter(task_path="villages.export_jobs.run_export", status="READY").count() == 1
    assert "排队中" in client.get(reverse(MINE)).content.decode()

    run_tasks()
    job.refresh_from_db()
    assert (job.status, job.row_count, job.error) == (ExportStatus.DONE, 3, "")
    page = client.get(reverse(MINE)).content.decode()
    assert "已完成" in page and download_url(job) in page
    download = client.get(download_url(job))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    assert rows_of(data) == inline_rows  # same rows, same columns, same masking
    assert PHONE.encode() not in data and "王五" not in str(rows_of(data))
    assert AuditEvent.objects.filter(action="export_job.downloaded", actor_id=clerk_v1.pk).count() == 1
    assert AuditEvent.objects.filter(action="export_job.completed").count() == 1


@transactional
def test_the_job_keeps_the_changelist_filters_and_a_hand_picked_selection(client, settings, filed, clerk_v1, run_tasks):
    from complaints import services

    services.complaint_accept(complaint=filed[0], actor=clerk_v1)
    client.force_login(clerk_v1)
    settings.EXPORT_INLINE_MAX_ROWS = 0
    export(client, filed, query="?status__exact=accepted")
    export(client, filed[1:], across=False)
    run_tasks()
    filtered, picked = ExportJob.objects.order_by("id")
    assert [r[0] for r in rows_of(stored(filtered))[1:]] == [filed[0].tracking_code]
    assert sorted(r[0] for r in rows_of(stored(picked))[1:]) == sorted(c.tracking_code for c in filed[1:])


def _done_job(user, *, finished_at=None):
    name = private_storage().save(
        "exports/test.xlsx", ContentFile(exports.ComplaintExporter(Complaint.objects.none()).xlsx())
    )
    return ExportJob.objects.create(
        requested_by=user,
        kind="complaints",
        title="测试导出文件",
        params={"query": "", "ids": None},
        scope=[m.division_id for m in Membership.objects.filter(user=user)],
        status=ExportStatus.DONE,
        file=name,
        row_count=0,
        finished_at=finished_at or timezone.now(),
    )


def test_only_the_requester_downloads(client, world, clerk_v1, reviewer_t1):
    job = _done_job(clerk_v1)
    client.force_login(reviewer_t1)  # sees more than the clerk, but did not ask for this file
    assert status_of(client, download_url(job)) == 403
    assert job.title not in client.get(reverse(MINE)).content.decode()
    client.force_login(clerk_v1)
    assert status_of(client, download_url(job)) == 200


def test_a_requester_whose_scope_shrank_cannot_download(client, world, clerk_v1):
    job = _done_job(clerk_v1)
    Membership.objects.filter(user=clerk_v1).update(division=world.v3)  # moved to another village
    client.force_login(clerk_v1)
    assert status_of(client, download_url(job)) == 403
    Membership.objects.filter(user=clerk_v1).update(division=world.v1)
    assert status_of(client, download_url(job)) == 200


def test_a_requester_promoted_over_their_old_scope_still_downloads(client, world, clerk_v1):
    from villages.models import Role

    job = _done_job(clerk_v1)
    Membership.objects.filter(user=clerk_v1).update(division=world.t1, role=Role.TOWNSHIP_REVIEWER)
    client.force_login(clerk_v1)
    assert status_of(client, download_url(job)) == 200


@transactional
def test_a_scope_lost_before_the_task_ran_fails_the_job_with_the_reason(client, settings, filed, clerk_v1, run_tasks):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client.force_login(clerk_v1)
    export(client, filed)
    Membership.objects.filter(user=clerk_v1).delete()
    run_tasks()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and "无权导出" in job.error and not job.file


@transactional
def test_a_failing_export_is_failed_with_its_reason(client, settings, filed, clerk_v1, run_tasks, monkeypatch):
    def broken(self):
        raise ValueError("disk full")

    monkeypatch.setattr(exports.ComplaintExporter, "rows", broken)
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client.force_login(clerk_v1)
    export(client, filed)
    run_tasks()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and "导出时出错（ValueError）" in job.error
    assert "失败（导出时出错（ValueError）" in client.get(reverse(MINE)).content.decode()
    assert status_of(client, download_url(job)) == 404
    assert AuditEvent.objects.filter(action="export_job.failed").count() == 1


def test_a_repeated_task_leaves_a_finished_job_alone(world, clerk_v1):
    job = export_jobs.export_submit(user=clerk_v1, kind="complaints", params={"query": "", "ids": None}, title="t")
    assert export_jobs.run_export.call(job.pk) == "done"
    job.refresh_from_db()
    assert export_jobs.run_export.call(job.pk) == "skipped"
    assert ExportJob.objects.get().file == job.file


def test_the_tick_deletes_expired_files_fails_lost_jobs_and_sweeps_orphans(client, settings, world, clerk_v1):
    settings.EXPORT_KEEP_DAYS = 7
    now = timezone.now()
    old = _done_job(clerk_v1, finished_at=now - datetime.timedelta(days=8))
    fresh = _done_job(clerk_v1, finished_at=now - datetime.timedelta(days=6))
    lost = export_jobs.export_submit(user=clerk_v1, kind="complaints", params={"query": "", "ids": None}, title="t")
    ExportJob.objects.filter(pk=lost.pk).update(created_at=now - datetime.timedelta(days=1))
    orphan = private_storage().save("exports/orphan.xlsx", ContentFile(b"x"))
    stale = time.time() - 8 * 86400
    os.utime(private_storage().path(orphan), (stale, stale))

    report = export_jobs.export_jobs_tick(now=now)
    assert report == "exports: 1 expired, 1 interrupted, 1 orphan files removed"
    old.refresh_from_db(), fresh.refresh_from_db(), lost.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and old.file == ""
    assert not private_storage().exists(f"exports/{os.path.basename(orphan)}")
    assert fresh.status == ExportStatus.DONE and private_storage().exists(fresh.file)
    assert lost.status == ExportStatus.FAILED and "中断" in lost.error
    client.force_login(clerk_v1)
    assert status_of(client, download_url(old)) == 404
    assert "已过期" in client.get(reverse(MINE)).content.decode()
    assert export_jobs.export_jobs_tick(now=now) == "exports: 0 expired, 0 interrupted, 0 orphan files removed"


def test_the_export_settings_have_their_documented_defaults():
    from sunshine import settings as project_settings

    assert project_settings.EXPORT_INLINE_MAX_ROWS == 5000 and project_settings.EXPORT_KEEP_DAYS == 7
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "| `EXPORT_INLINE_MAX_ROWS`, `EXPORT_KEEP_DAYS` | 5000, 7 |" in readme


def test_a_job_left_running_by_a_dead_worker_completes_on_retry(world, clerk_v1, filed):
    job = export_jobs.export_submit(user=clerk_v1, kind="complaints", params={"query": "", "ids": None}, title="t")
    export_jobs.job_transition(job, "start")  # the worker that took it died here
    assert export_jobs.run_export.call(job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.row_count) == (ExportStatus.DONE, 3)


def test_a_database_error_is_raised_for_a_retry_and_leaves_the_job_running(world, clerk_v1, filed, monkeypatch):
    from django.db import OperationalError

    job = export_jobs.export_submit(user=clerk_v1, kind="complaints", params={"query": "", "ids": None}, title="t")

    def dropped(self):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(exports.ComplaintExporter, "rows", dropped)
        with pytest.raises(OperationalError):
            export_jobs.run_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and not job.file
    assert export_jobs.run_export.call(job.pk) == "done"
