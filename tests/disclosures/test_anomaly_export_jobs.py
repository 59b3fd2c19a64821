"""An 异常线索 list over EXPORT_INLINE_MAX_ROWS is made in the background: same file, same audit event, same scope."""

import pytest
from django.urls import reverse

from sunshine.audit.models import AuditEvent
from sunshine.identity import person_key
from tests.disclosures.test_anomalies import BANK, IDS, _cells_text, _rows, export_url, leads  # noqa: F401
from villages.models import ExportJob, ExportStatus, Membership

# The worker closes a connection it finds inside a transaction, so these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("leads")]


def download(client, job):
    response = client.get(reverse("admin:villages_exportjob_download", args=[job.pk]))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content


def test_a_long_list_becomes_a_job_whose_file_matches_the_inline_export(client, settings, inspector, run_tasks):
    client.force_login(inspector)
    inline = _rows(client.get(export_url("reconciliation")).content)  # the current period: 2026-09
    assert len(inline) == 4  # filters line, headers, 周九 and 吴十

    settings.EXPORT_INLINE_MAX_ROWS = 1
    response = client.get(export_url("reconciliation", "?period="))
    assert response.status_code == 302 and response["Location"].startswith("/admin/disclosures/anomalyreport/?")
    assert "导出任务已提交：共 2 行" in client.get(response["Location"]).content.decode()
    job = ExportJob.objects.get()
    # the default period is written down: the file holds what the page showed, whenever the task runs
    assert job.params == {"list": "reconciliation", "category": None, "period": "2026-09", "township": None}
    run_tasks()
    job.refresh_from_db()
    assert (job.status, job.row_count) == (ExportStatus.DONE, 2)
    status, data = download(client, job)
    assert status == 200
    rows = _rows(data)
    assert rows[1:] == inline[1:]  # the same headers and rows; the filters line differs only in its time
    assert rows[0][0].split(" · ")[:4] == inline[0][0].split(" · ")[:4]
    text = _cells_text(data)
    for secret in (*IDS, BANK, person_key(IDS[0])):
        assert secret not in text
    inline_event, job_event = AuditEvent.objects.filter(action="disclosure.anomalies_exported").order_by("id")
    assert job_event.actor_id == inspector.pk and job_event.data == {**inline_event.data, "job": job.pk}


def test_a_reviewer_moved_to_another_township_cannot_download_their_old_file(
    client, settings, reviewer_t1, world, run_tasks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client.force_login(reviewer_t1)
    client.get(export_url("cross_village", f"?period=2026-10&township={world.t1.pk}"))
    run_tasks()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.division_id == world.t1.pk
    assert download(client, job)[0] == 200
    Membership.objects.filter(user=reviewer_t1).update(division=world.t2)
    assert download(client, job)[0] == 403


def test_a_township_leaving_the_scope_before_the_task_fails_the_job(client, settings, reviewer_t1, world, run_tasks):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    client.force_login(reviewer_t1)
    client.get(export_url("cross_village", f"?period=2026-10&township={world.t1.pk}"))
    Membership.objects.filter(user=reviewer_t1).update(division=world.t2)
    run_tasks()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and "无权导出" in job.error
