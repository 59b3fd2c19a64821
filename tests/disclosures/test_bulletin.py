"""Bulletin PDFs (公示栏版本) are rendered at publication by a worker, in child processes, and the public link serves
the stored file: no web request ever renders one. A take-down deletes them; a render that finishes after a
take-down stores nothing; staff see the state and may render again."""

import contextlib
import io
import os
import shutil
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from disclosures import bulletin
from disclosures import services as s
from disclosures.models import Bulletin, BulletinState
from disclosures.views import disclosure_url
from sunshine.audit.models import AuditEvent
from sunshine.storage import private_storage
from tests.crawl import pdf_text
from tests.disclosures.helpers import IDS, draft_roster, entry, published_roster

PENDING = "正在生成（通常一分钟内完成）"
TASK_PATH = "disclosures.tasks.bulletin_render"


def render_tasks():
    return DBTaskResult.objects.filter(task_path=TASK_PATH)


def stored_files(disclosure):
    try:
        return private_storage().listdir(f"bulletins/{disclosure.pk}")[1]
    except FileNotFoundError:
        return []


def pdf_of(response):
    assert response["Content-Type"] == "application/pdf"
    return pdf_text(b"".join(response.streaming_content))


@pytest.fixture(autouse=True)
def _no_bulletins_of_earlier_tests():
    """Rolled-back tests reuse primary keys, and the folders carry them: each test starts with no stored PDF."""
    shutil.rmtree(private_storage().path("bulletins"), ignore_errors=True)


@contextlib.contextmanager
def no_rendering():
    """Fails if a request renders a PDF (WeasyPrint or the bulletin renderer called in this process)."""
    with (
        mock.patch("weasyprint.HTML", side_effect=AssertionError("rendered in the web process")) as html,
        mock.patch("disclosures.bulletin.render_bulletin", side_effect=AssertionError("rendered in a request")),
    ):
        yield html


# Publication queues the render, in the same transaction


def test_publishing_queues_the_bulletin_render_with_the_publication(world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    revision = disclosure.current_revision
    queued = render_tasks().get()
    assert (queued.queue_name, queued.status) == ("bulletins", "READY")
    assert queued.args_kwargs["args"] == [revision.pk, False]
    assert Bulletin.objects.get(revision=revision).state == BulletinState.QUEUED
    assert stored_files(disclosure) == []


def test_a_publication_that_rolls_back_queues_no_render(world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer)
    s.disclosure_approve_discipline(disclosure=disclosure, actor=discipline)
    with pytest.raises(RuntimeError), transaction.atomic():
        s.disclosure_publish(disclosure=disclosure, actor=discipline)
        assert render_tasks().count() == 1
        raise RuntimeError("the request failed after publishing")
    assert render_tasks().count() == 0 and Bulletin.objects.count() == 0


def test_a_correction_queues_the_new_versions_bulletin(world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    revision = s.disclosure_open_correction(actor=clerk, disclosure=disclosure, reason="金额录错")
    s.revision_replace_entries(actor=clerk, revision=revision, entries=[entry("张三", 520)])
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer)
    s.disclosure_approve_discipline(disclosure=disclosure, actor=discipline)
    s.disclosure_publish(disclosure=disclosure, actor=discipline)
    assert sorted(t.args_kwargs["args"][0] for t in render_tasks()) == sorted(
        disclosure.revisions.values_list("pk", flat=True)
    )


# The worker renders; the page serves the stored file


def test_the_worker_stores_the_pdf_and_the_link_serves_it_without_rendering(
    client, world, categories, crew, run_tasks, django_assert_num_queries
):
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    run_tasks()
    assert render_tasks().get().status == "SUCCESSFUL"
    assert len(stored_files(disclosure)) == 1
    record = Bulletin.objects.get(revision=disclosure.current_revision)
    assert record.state == BulletinState.STORED and record.pages == 1 and record.size > 1000
    url = disclosure_url(disclosure, "bulletin", number=1)
    with no_rendering() as html:
        assert url in client.get(disclosure_url(disclosure)).content.decode()
        with django_assert_num_queries(1):  # the disclosure with its current revision; the file comes from storage
            response = client.get(url)
        assert "张三" in pdf_of(response) and response["Cache-Control"] == "no-cache"
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    html.assert_not_called()


def test_before_the_render_the_pdf_link_says_it_is_being_generated_and_offers_the_print_view(
    client, world, categories, crew
):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    with no_rendering() as html:
        page = client.get(disclosure_url(disclosure)).content.decode()
        response = client.get(disclosure_url(disclosure, "bulletin", number=1))
    html.assert_not_called()
    assert PENDING in page and f"{disclosure_url(disclosure, 'revision', number=1)}?show=all" in page
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert PENDING in text and "网页打印版" in text and "?show=all" in text
    assert response["Retry-After"] == "60" and "no-cache" in response["Cache-Control"]


# Take-downs


def test_a_take_down_deletes_the_stored_pdf(
    client, world, categories, crew, county_admin, run_tasks, django_capture_on_commit_callbacks
):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    run_tasks()
    assert len(stored_files(disclosure)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除")
    assert stored_files(disclosure) == [] and not Bulletin.objects.exists()
    assert client.get(disclosure_url(disclosure, "bulletin", number=1)).status_code == 404


def test_the_retention_sweep_deletes_the_stored_pdf(
    world, categories, crew, run_tasks, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    run_tasks()
    assert len(stored_files(disclosure)) == 1
    much_later = timezone.now() + dt.timedelta(days=categories["dibao"].retention_days + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert s.retention_sweep(now=much_later).startswith("1 ")
    assert stored_files(disclosure) == [] and not Bulletin.objects.exists()


def test_a_render_queued_before_a_take_down_stores_nothing(world, categories, crew, county_admin, run_tasks):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除")
    run_tasks()
    assert render_tasks().get().return_value == "not public: nothing rendered"
    assert stored_files(disclosure) == []


def test_a_take_down_while_the_pdf_renders_leaves_no_file(world, categories, crew, county_admin):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    real = bulletin.render_bulletin

    def render_while_taken_down(revision):
        result = real(revision)
        s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除")
        return result

    with mock.patch.object(bulletin, "render_bulletin", render_while_taken_down):
        outcome = bulletin.bulletin_render_and_store(disclosure.current_revision_id)
    assert outcome == "taken down while rendering: nothing stored"
    assert stored_files(disclosure) == []


def test_a_take_down_committed_while_the_pdf_is_stored_deletes_it(world, categories, crew, county_admin):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    real = bulletin._store

    def store_then_taken_down(path, content):
        real(path, content)
        s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除")

    with mock.patch.object(bulletin, "_store", store_then_taken_down):
        outcome = bulletin.bulletin_render_and_store(disclosure.current_revision_id)
    assert outcome == "taken down while storing: file deleted"
    assert stored_files(disclosure) == []


# Idempotence


def test_two_renders_of_the_same_revision_store_one_file(world, categories, crew, run_tasks):
    from disclosures.tasks import bulletin_queue

    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    bulletin_queue(disclosure.current_revision)  # as if a worker died and the render was queued again
    bulletin_queue(disclosure.current_revision, replace=True)
    run_tasks()
    assert render_tasks().count() == 3 and set(render_tasks().values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert len(stored_files(disclosure)) == 1
    assert sorted(render_tasks().values_list("return_value", flat=True))[0] == "already stored"


# What is printed


def test_the_printed_url_and_qr_come_from_site_url_never_the_host_header(
    client, world, categories, crew, run_tasks, settings
):
    settings.SITE_URL = "https://cunwu.example.gov.cn"
    settings.ALLOWED_HOSTS = ["*"]
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    client.get(disclosure_url(disclosure, "bulletin", number=1), HTTP_HOST="evil.example")
    with mock.patch.object(bulletin, "qr_svg", wraps=bulletin.qr_svg) as qr:
        run_tasks()
    expected = f"https://cunwu.example.gov.cn{disclosure_url(disclosure, 'revision', number=1)}"
    qr.assert_called_once_with(expected)
    response = client.get(disclosure_url(disclosure, "bulletin", number=1), HTTP_HOST="evil.example")
    text = pdf_of(response).replace("\n", "")
    assert expected in text and "evil.example" not in text


def test_a_long_roster_is_rendered_in_parts_by_child_processes_with_page_numbers_running_on(
    world, categories, crew, monkeypatch
):
    rows = [entry(f"村民{n:02d}", 100 + n) for n in range(1, 6)]
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=rows)
    monkeypatch.setattr(bulletin, "PART_ROWS", 2)
    revision = disclosure.current_revision
    revision.disclosure = disclosure
    result = bulletin.render_bulletin(revision)
    assert len(result.pids) == 3 and os.getpid() not in result.pids  # one child per part
    text = pdf_text(result.content).replace(" ", "")
    assert result.pages == 3 and [f"第{n}页" in text for n in (1, 2, 3)] == [True, True, True]
    assert "全文完，共3页" in text and "共5人（户）" in text
    assert text.index("村民01") < text.index("村民03") < text.index("村民05")
    assert "/共" not in text  # the total is printed once, at the end: the parts cannot know it


# Staff: the state, a failure's reason, rendering again


def test_a_failure_in_the_child_fails_the_task_and_the_admin_shows_why(
    client, world, categories, crew, run_tasks, settings
):
    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    settings.BULLETIN_RENDER_MEMORY_MB = 16  # less than the child has when it starts: the worker kills it
    run_tasks()
    failed = render_tasks().get()
    assert failed.status == "FAILED" and failed.exception_class_path.endswith("BulletinRenderError")
    record = Bulletin.objects.get(revision=disclosure.current_revision)
    assert record.state == BulletinState.FAILED and "16 MB" in record.failure
    assert stored_files(disclosure) == []
    client.force_login(discipline)
    page = client.get(reverse("admin:disclosures_disclosure_change", args=[disclosure.pk])).content.decode()
    assert "生成失败" in page and "16 MB" in page and "重新生成公示栏 PDF" in page

    settings.BULLETIN_RENDER_MEMORY_MB = 1024
    response = client.post(
        reverse("admin:disclosures_disclosure_changelist"),
        {"action": "act_bulletin_regenerate", "_selected_action": [disclosure.pk], "index": 0},
    )
    assert response.status_code == 302
    assert Bulletin.objects.get(revision=disclosure.current_revision).state == BulletinState.QUEUED
    event = AuditEvent.objects.get(action="disclosure.bulletin_regenerated")
    assert event.actor == discipline and event.data == {"revision": 1}
    run_tasks()
    assert Bulletin.objects.get(revision=disclosure.current_revision).state == BulletinState.STORED
    assert len(stored_files(disclosure)) == 1


def test_only_staff_who_may_publish_render_a_bulletin_again(client, world, categories, crew, county_admin):
    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    revision = disclosure.current_revision
    with pytest.raises(PermissionDenied):
        s.bulletin_regenerate(revision=revision, actor=clerk)
    client.force_login(clerk)
    page = client.get(reverse("admin:disclosures_disclosure_change", args=[disclosure.pk])).content.decode()
    assert "重新生成公示栏 PDF" not in page
    assert not AuditEvent.objects.filter(action="disclosure.bulletin_regenerated").exists()
    s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除")
    with pytest.raises(Exception, match="只有公开中的版本"):
        s.bulletin_regenerate(revision=revision, actor=discipline)


def test_bulletins_queue_renders_the_public_versions_without_a_stored_pdf(world, categories, crew, run_tasks):
    from django.core.management import call_command

    stored = published_roster(*crew, world.v1, categories["dibao"])
    run_tasks()
    missing = published_roster(*crew, world.v1, categories["dibao"], period="2026-11")
    DBTaskResult.objects.all().delete()  # as after an upgrade: published before renders were queued
    out = io.StringIO()
    call_command("bulletins_queue", stdout=out)
    assert out.getvalue().strip() == "1 bulletin renders queued"
    assert [t.args_kwargs["args"][0] for t in render_tasks()] == [missing.current_revision_id]
    run_tasks()
    assert len(stored_files(missing)) == 1 and len(stored_files(stored)) == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two workers at once need PostgreSQL's connections")
@pytest.mark.django_db(transaction=True)
def test_two_workers_rendering_one_version_at_once_store_one_file(transactional_db, world, categories, crew):
    from tests.disclosures.test_concurrency import errors_of, run_together

    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    revision_id = disclosure.current_revision_id
    outcomes = run_together(*[lambda: bulletin.bulletin_render_and_store(revision_id)] * 2)
    assert errors_of(outcomes) == []
    assert [kind for kind, _value in outcomes] == ["ok", "ok"]
    assert len(stored_files(disclosure)) == 1
    assert Bulletin.objects.get(revision_id=revision_id).state == BulletinState.STORED


def test_the_bulletin_prints_the_office_phone(client, world, categories, crew, run_tasks, settings):
    settings.OFFICE_PHONE = "0937-5551234"
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    run_tasks()
    text = "".join(pdf_of(client.get(disclosure_url(disclosure, "bulletin", number=1))).split())
    assert "也可以拨打0937-5551234" in text  # beside the objection notice
    assert "咨询和反映电话：0937-5551234" in text  # and in the footer
