"""Upload → preview → confirm: nothing is written before confirmation, then all rows or none."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from disclosures import entry_writers
from disclosures.entry_writers import copy_writer
from disclosures.importer import ImportFileError
from disclosures.importer import services as importer
from disclosures.models import IMPORT_MOVES, Disclosure, ImportJob, ImportStatus, Revision, RosterEntry, Status
from disclosures.services import (
    disclosure_approve_discipline,
    disclosure_approve_township,
    disclosure_publish,
    disclosure_submit,
    revision_replace_entries,
)
from sunshine.audit.actions import ACTIONS
from sunshine.audit.models import AuditEvent
from sunshine.identity import decrypt, person_key
from tests.factories import group as registered_group
from villages.models import StaffRelative

from .corpus import HEADER, PEOPLE, bad_checksum_id, make_id, rows_sheet, standard_rows, xlsx_bytes
from .factories import ledger_category, roster_category


def roster_file(rows=None, *, sheets=None):
    def build(wb):
        if sheets:
            wb.remove(wb.active)
            for title, sheet_rows in sheets.items():
                rows_sheet(wb.create_sheet(title), sheet_rows)
        else:
            rows_sheet(wb.active, rows or [HEADER, *standard_rows()])

    return xlsx_bytes(build)


def upload(actor, division, data=None, *, category=None, period="2026-11", phase="pre", name="名单.xlsx", **kw):
    return importer.roster_import_upload(
        actor=actor,
        division=division,
        category=category or roster_category(),
        period=period,
        phase=phase,
        file=data if data is not None else roster_file(),
        original_name=name,
        **kw,
    )


def untouched():
    return Disclosure.objects.count() == 0 and Revision.objects.count() == 0 and RosterEntry.objects.count() == 0


def test_a_clean_file_gives_a_preview_and_writes_no_roster(world, clerk_v1):
    job = upload(clerk_v1, world.v1)

    assert job.status == ImportStatus.READY
    counts = job.result["counts"]
    assert counts["rows"] == 3 and counts["valid"] == 3 and counts["errors"] == 0
    assert counts["amount_total"] == "2740.50"
    assert [r["name"] for r in job.result["preview"]] == ["张三", "李四", "王五"]
    assert job.result["preview"][0]["id_masked"] == "35*************" + PEOPLE[0][1][-3:]
    assert job.rows_total == job.rows_processed == 3
    assert untouched()


def test_preview_result_holds_no_full_id(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    stored = str(ImportJob.objects.get(pk=job.pk).result)
    for _name, id_number, *_ in PEOPLE:
        assert id_number not in stored


def test_confirm_imports_every_row_into_the_draft(world, clerk_v1):
    job = upload(clerk_v1, world.v1)

    revision = importer.roster_import_confirm(job=job, actor=clerk_v1)

    entries = list(revision.entries.order_by("position"))
    assert [(e.name, e.amount, e.source_row, e.household_size) for e in entries] == [
        ("张三", Decimal("1200.00"), 2, 2),
        ("李四", Decimal("960.50"), 3, 3),
        ("王五", Decimal("580.00"), 4, 1),
    ]
    assert entries[0].person_key == person_key(PEOPLE[0][1])
    assert entries[0].id_encrypted == "" and entries[0].id_masked.startswith("35")
    assert revision.entry_count == 3 and revision.amount_total == Decimal("2740.50")
    assert revision.disclosure.status == Status.DRAFT
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED and job.revision == revision and job.imported_at
    event = AuditEvent.objects.get(action="revision.entries_replaced")
    assert event.data["sha256"] == job.sha256 and event.data["rows"] == 3 and event.data["file"] == "名单.xlsx"
    everything = str(list(AuditEvent.objects.values("changes", "data", "object_repr")))
    for _name, id_number, *_ in PEOPLE:
        assert id_number not in everything


def test_confirming_twice_is_refused(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    importer.roster_import_confirm(job=job, actor=clerk_v1)
    with pytest.raises(ValidationError, match="已经导入过"):
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    assert RosterEntry.objects.count() == 3


def test_a_category_that_stores_full_ids_keeps_them_encrypted(world, clerk_v1):
    category = roster_category("gengdi", name="耕地地力保护补贴", stores_full_id=True, public_fields=["name", "amount"])
    job = upload(clerk_v1, world.v1, category=category, period="2026")
    revision = importer.roster_import_confirm(job=job, actor=clerk_v1)
    assert decrypt(revision.entries.get(name="张三").id_encrypted) == PEOPLE[0][1]


def test_an_error_in_the_last_row_blocks_the_import(world, clerk_v1):
    rows = [HEADER, *standard_rows()]
    rows[-1][2] = bad_checksum_id(13)
    job = upload(clerk_v1, world.v1, roster_file(rows))

    assert job.status == ImportStatus.INVALID
    assert [e["text"] for e in job.result["errors"]] == [
        "第 4 行 王五 的「身份证号码」写的是 35*************130，校验位错误：第 18 位与前 17 位算出的不一致，"
        "通常是其中某一位抄错了或两位颠倒了，请对照身份证或户口簿逐位核对"
    ]
    with pytest.raises(ValidationError):
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    assert untouched()


def test_a_database_failure_on_the_last_row_leaves_everything_untouched(world, clerk_v1, monkeypatch):
    first = importer.roster_import_confirm(job=upload(clerk_v1, world.v1), actor=clerk_v1)
    before = (Disclosure.objects.count(), Revision.objects.count(), AuditEvent.objects.count())
    before_entries = list(RosterEntry.objects.values_list("name", "amount", "position"))
    more = [HEADER, *standard_rows(), [4, "赵六", make_id(14), "二组", 2, 700, "A类", ""]]
    job = upload(clerk_v1, world.v1, roster_file(more))
    assert job.status == ImportStatus.READY
    events_after_upload = AuditEvent.objects.count()

    real_validate = importer.validate_rows

    def broken_last_row(rows, category, **kwargs):
        validation = real_validate(rows, category, **kwargs)
        validation.entries[-1].household_size = -1  # violates the column's CHECK constraint on insert
        return validation

    monkeypatch.setattr(importer, "validate_rows", broken_last_row)
    monkeypatch.setattr(entry_writers, "INSERT_CHUNK", 2)  # earlier chunks are already inserted when the last fails
    with pytest.raises(IntegrityError):
        importer.roster_import_confirm(job=job, actor=clerk_v1)

    assert list(RosterEntry.objects.values_list("name", "amount", "position")) == before_entries
    assert (Disclosure.objects.count(), Revision.objects.count()) == before[:2]
    assert AuditEvent.objects.count() == events_after_upload
    first.refresh_from_db()
    assert first.entry_count == 3
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_a_new_file_replaces_the_draft_entries(world, clerk_v1):
    importer.roster_import_confirm(job=upload(clerk_v1, world.v1), actor=clerk_v1)
    rows = [HEADER, standard_rows()[0]]
    revision = importer.roster_import_confirm(job=upload(clerk_v1, world.v1, roster_file(rows)), actor=clerk_v1)
    assert list(revision.entries.values_list("name", flat=True)) == ["张三"]
    assert Revision.objects.count() == 1


def test_importing_into_a_published_roster_opens_a_correction(world, clerk_v1, reviewer_t1, discipline_t1):
    revision = importer.roster_import_confirm(job=upload(clerk_v1, world.v1), actor=clerk_v1)
    disclosure = revision.disclosure
    disclosure_submit(disclosure=disclosure, actor=clerk_v1)
    disclosure_approve_township(disclosure=disclosure, actor=reviewer_t1)
    disclosure_approve_discipline(disclosure=disclosure, actor=discipline_t1)
    disclosure_publish(disclosure=disclosure, actor=discipline_t1)

    job = upload(clerk_v1, world.v1, roster_file([HEADER, standard_rows()[0]]))
    assert importer.correction_needed(job)
    with pytest.raises(ValidationError, match="更正原因"):
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    correction = importer.roster_import_confirm(job=job, actor=clerk_v1, reason="李四、王五已退出保障")

    assert correction.number == 2 and correction.reason == "李四、王五已退出保障"
    assert correction.entries.count() == 1
    assert Revision.objects.get(number=1).entries.count() == 3  # the published revision is never touched


def test_bad_files_change_nothing(world, clerk_v1):
    with pytest.raises(ImportFileError, match="文件设置了密码|内容不是电子表格"):
        upload(clerk_v1, world.v1, "不是表格".encode(), name="名单.xlsx")
    with pytest.raises(ImportFileError, match="没有找到表头"):
        upload(clerk_v1, world.v1, roster_file([["随便写的"], ["没有表头"]]))
    assert ImportJob.objects.count() == 0 and AuditEvent.objects.count() == 0 and untouched()


@pytest.mark.parametrize("who", ["clerk_v3", "inspector", "discipline_t1"])
def test_only_clerks_and_reviewers_of_the_village_may_import(world, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        upload(actor, world.v1)
    assert ImportJob.objects.count() == 0


def test_reviewer_of_the_township_may_import_for_its_village(world, reviewer_t1):
    job = upload(reviewer_t1, world.v1)
    assert job.status == ImportStatus.READY


def test_only_roster_categories_and_phases(world, clerk_v1):
    with pytest.raises(ValidationError):
        upload(clerk_v1, world.v1, category=ledger_category(), phase="single")
    with pytest.raises(ValidationError):
        upload(clerk_v1, world.v1, phase="single")
    with pytest.raises(ValidationError):
        upload(clerk_v1, world.v1, period="2026年11月")


def test_several_visible_sheets_wait_for_the_clerk_to_pick_one(world, clerk_v1):
    data = roster_file(
        sheets={"11月": [HEADER, *standard_rows()], "10月": [HEADER, standard_rows()[0]]},
    )
    job = upload(clerk_v1, world.v1, data)
    assert job.status == ImportStatus.PENDING and job.result["sheets"] == ["11月", "10月"]
    assert not DBTaskResult.objects.exists()  # nothing is validated before the clerk picks a sheet

    job = importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="10月")
    assert job.status == ImportStatus.READY and job.result["counts"]["rows"] == 1
    job = importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="11月")
    assert job.status == ImportStatus.READY and job.result["counts"]["rows"] == 3
    with pytest.raises(ValidationError):
        importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="隐藏")


def test_a_large_file_is_validated_later_and_shows_progress(world, clerk_v1, settings, run_tasks):
    settings.ROSTER_IMPORT_SYNC_ROWS = 2
    job = upload(clerk_v1, world.v1)
    assert job.status == ImportStatus.PENDING and job.rows_processed == 0 and job.rows_total > 2
    (task,) = DBTaskResult.objects.all()  # queued with the upload, in its transaction
    assert (task.task_path, task.queue_name, task.args_kwargs["args"]) == (
        "disclosures.importer.tasks.validate_import_job",
        "imports",
        [str(job.pk)],
    )

    seen = []
    original = importer.validate_rows

    def spy(rows, category, progress=None, progress_every=2000, **kwargs):
        def record(done, total):
            progress(done, total)
            seen.append(ImportJob.objects.values_list("rows_processed", "rows_total").get(pk=job.pk))

        return original(rows, category, progress=record, progress_every=1, **kwargs)

    importer.validate_rows, saved = spy, importer.validate_rows
    try:
        run_tasks()
    finally:
        importer.validate_rows = saved
    assert seen[0] == (1, 3) and seen[-1] == (3, 3)
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    task.refresh_from_db()
    assert (task.status, task.return_value, len(task.worker_ids)) == ("SUCCESSFUL", "ready", 1)
    # run again (a worker that was lost after finishing): the job stays as it is
    assert importer.roster_import_validate_task(job_id=str(job.pk), attempt=2) == ImportStatus.READY
    assert ImportJob.objects.get(pk=job.pk).result == job.result


def test_the_same_person_on_another_villages_roster_is_a_warning(world, clerk_v1, reviewer_t1, inspector):
    registered_group(world.v1, "二组")  # the file's groups are 甲村's registered ones: no group warning
    clerk_v2 = __import__("tests.factories", fromlist=["staff"]).staff("clerk_v2", "village_clerk", world.v2)
    importer.roster_import_confirm(job=upload(clerk_v2, world.v2), actor=clerk_v2)

    job = upload(clerk_v1, world.v1)

    assert job.status == ImportStatus.READY
    warnings = job.result["warnings"]
    assert [(w["row"], w["kind"]) for w in warnings] == [
        (2, "cross_village"),
        (3, "cross_village"),
        (4, "cross_village"),
    ]
    assert "乙村" in importer.warning_text_for(reviewer_t1, job, warnings[0])
    assert "乙村" in importer.warning_text_for(inspector, job, warnings[0])
    assert "乙村" not in importer.warning_text_for(clerk_v1, job, warnings[0])
    # another period or phase is no duplicate
    assert upload(clerk_v1, world.v1, period="2026-10").result["warnings"] == []
    assert upload(clerk_v1, world.v1, phase="post").result["warnings"] == []


def test_a_staff_relative_is_a_warning(world, clerk_v1, reviewer_t1):
    registered_group(world.v1, "二组")  # the file's groups are 甲村's registered ones: no group warning
    StaffRelative.objects.create(user=reviewer_t1, name="李四", person_key=person_key(PEOPLE[1][1]), relation="兄弟")
    job = upload(clerk_v1, world.v1)
    assert job.status == ImportStatus.READY
    (warning,) = job.result["warnings"]
    assert warning["kind"] == "relative" and warning["row"] == 3
    assert "reviewer_t1" in warning["text"] and "兄弟" in warning["text"] and "单独登记备案" in warning["text"]
    assert "reviewer_t1" not in importer.warning_text_for(clerk_v1, job, warning)


def test_an_expired_preview_cannot_be_confirmed_and_its_file_is_deleted(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    storage, name = job.file.storage, job.file.name
    ImportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="过期"):
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    job.refresh_from_db()
    assert job.status == ImportStatus.EXPIRED and not storage.exists(name)
    assert untouched()


def test_tick_expires_old_previews(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    ImportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert importer.roster_import_tick().endswith("expired 1")
    assert importer.roster_import_tick().endswith("expired 0")
    job.refresh_from_db()
    assert job.status == ImportStatus.EXPIRED and not job.file


def test_a_changed_file_on_disk_is_refused_at_confirmation(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    with job.file.storage.open(job.file.name, "wb") as handle:
        handle.write(roster_file([HEADER, standard_rows()[0]]))
    with pytest.raises(ValidationError, match="改动"):
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    assert untouched()


def test_big_files_find_the_same_warnings_with_one_scan(world, clerk_v1, reviewer_t1, monkeypatch):
    registered_group(world.v1, "二组")  # the file's groups are 甲村's registered ones: no group warning
    clerk_v2 = __import__("tests.factories", fromlist=["staff"]).staff("clerk_v2", "village_clerk", world.v2)
    importer.roster_import_confirm(
        job=upload(clerk_v2, world.v2, roster_file([HEADER, standard_rows()[0]])), actor=clerk_v2
    )
    StaffRelative.objects.create(user=reviewer_t1, name="李四", person_key=person_key(PEOPLE[1][1]), relation="兄弟")
    monkeypatch.setattr(importer, "FULL_SCAN_ABOVE", 0)
    job = upload(clerk_v1, world.v1)
    assert [(w["row"], w["kind"]) for w in job.result["warnings"]] == [(2, "cross_village"), (3, "relative")]


def test_the_upload_is_deleted_once_imported(world, clerk_v1, django_capture_on_commit_callbacks):
    job = upload(clerk_v1, world.v1)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    job.refresh_from_db()
    assert not storage.exists(name) and not job.file


# ---------------------------------------------------------------- the move table (models.IMPORT_MOVES)


def test_every_status_is_reached_only_by_a_move_of_the_table():
    reached = {move.target for move in IMPORT_MOVES.values()} | {ImportStatus.PENDING}  # PENDING: on upload
    assert reached == set(ImportStatus)
    assert not any(move.allowed_from(ImportStatus.IMPORTED) for move in IMPORT_MOVES.values())
    assert not any(move.allowed_from(ImportStatus.EXPIRED) for move in IMPORT_MOVES.values())
    for move in IMPORT_MOVES.values():
        assert move.audit_action is None or move.audit_action in ACTIONS, move


def test_a_move_from_the_wrong_status_is_refused_and_changes_nothing(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    with pytest.raises(ValidationError, match="不能变为"):
        importer.job_transition(job=job, move="pass")  # READY is not VALIDATING
    assert importer.job_claim("claim", where=Q(pk=job.pk)) == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_system_moves_refuse_users_and_user_moves_refuse_strangers(world, clerk_v1, clerk_v3):
    job = upload(clerk_v1, world.v1)
    with pytest.raises(PermissionDenied):
        importer.job_transition(job=job, move="expire", actor=clerk_v1)
    with pytest.raises(PermissionDenied):
        importer.job_transition(job=job, move="confirm", actor=clerk_v3)
    with pytest.raises(ValueError):
        importer.job_claim("expire", where=Q(pk=job.pk))  # it writes an event, so it needs the locked path
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_available_moves_follow_the_status_the_clock_and_the_actor(world, clerk_v1, inspector):
    data = roster_file(sheets={"11月": [HEADER, *standard_rows()], "10月": [HEADER, standard_rows()[0]]})
    job = upload(clerk_v1, world.v1, data)
    assert [m.name for m in importer.available_moves(job, clerk_v1)] == ["choose_sheet"]
    job = importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="10月")
    assert [m.name for m in importer.available_moves(job, clerk_v1)] == ["choose_sheet", "confirm"]
    assert importer.available_moves(job, inspector) == []
    later = job.expires_at + datetime.timedelta(seconds=1)
    assert [m.name for m in importer.available_moves(job, clerk_v1, now=later)] == ["choose_sheet"]
    single = upload(clerk_v1, world.v1)
    assert [m.name for m in importer.available_moves(single, clerk_v1)] == ["confirm"]


def test_a_sheet_cannot_be_chosen_while_it_is_being_validated(world, clerk_v1, settings):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    data = roster_file(sheets={"11月": [HEADER, *standard_rows()], "10月": [HEADER, standard_rows()[0]]})
    job = importer.roster_import_choose_sheet(job=upload(clerk_v1, world.v1, data), actor=clerk_v1, sheet_name="11月")
    assert importer.job_claim("claim", where=Q(pk=job.pk)) == 1
    with pytest.raises(ValidationError, match="校验中"):
        importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="10月")


def test_one_event_per_business_action_not_per_validation(world, clerk_v1):
    job = upload(clerk_v1, world.v1)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["roster_import.uploaded"]
    importer.roster_import_confirm(job=job, actor=clerk_v1)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("revision.entries_replaced") == 1  # the import itself, with the file's sha256
    assert [a for a in actions if a.startswith("roster_import.")] == ["roster_import.uploaded"]
    assert len(actions) <= 4  # + the disclosure and revision the draft opening made; never one per row


def test_expiry_is_one_system_event_per_job(world, clerk_v1):
    jobs = [upload(clerk_v1, world.v1), upload(clerk_v1, world.v1, period="2026-10")]
    ImportJob.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert importer.roster_import_tick().endswith("expired 2")
    events = AuditEvent.objects.filter(action="roster_import.expired")
    assert sorted(e.object_id for e in events) == sorted(str(j.pk) for j in jobs)
    assert {(e.actor_id, e.changes["status"][1]) for e in events} == {(None, "expired")}


def test_a_retried_validation_task_revalidates_a_job_its_lost_first_attempt_left_validating(
    world, clerk_v1, settings, run_tasks
):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    job = upload(clerk_v1, world.v1)
    assert importer.job_claim("claim", where=Q(pk=job.pk)) == 1  # the first attempt claimed it, then its worker died
    # first attempt: another validator holds the job, so this run leaves it alone
    assert importer.roster_import_validate_task(job_id=str(job.pk), attempt=1) == ImportStatus.VALIDATING
    # a retry (attempt 2) knows the earlier attempt was its own: it validates the job again from the start
    assert importer.roster_import_validate_task(job_id=str(job.pk), attempt=2) == ImportStatus.READY
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.result["counts"]["rows"] == 3


def test_the_tick_no_longer_validates_or_restarts_jobs(world, clerk_v1, settings):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    job = upload(clerk_v1, world.v1)
    assert importer.job_claim("claim", where=Q(pk=job.pk)) == 1
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert importer.roster_import_tick() == "swept 0, expired 0"
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATING  # the task's retry owns it (portal.worker), not the tick


def locked_tables(sql):
    """The tables a SELECT … FOR UPDATE locks: those after OF, or every table in the query without it."""
    head, _, tail = sql.partition(" FOR UPDATE")
    if tail.startswith(" OF "):
        return re.findall(r'"(\w+)"', tail.split(" SKIP")[0].split(" NOWAIT")[0])
    return re.findall(r'(?:FROM|JOIN) "(\w+)"', head)


@pytest.mark.postgres
def test_confirm_locks_the_job_then_the_disclosure_then_the_revision_and_nothing_else(world, clerk_v1):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL takes row locks")
    importer.roster_import_confirm(job=upload(clerk_v1, world.v1), actor=clerk_v1)  # the draft exists: all is locked
    job = upload(clerk_v1, world.v1)
    with CaptureQueriesContext(connection) as queries:
        importer.roster_import_confirm(job=job, actor=clerk_v1)
    order = []
    for query in queries.captured_queries:
        if " FOR UPDATE" in query["sql"]:
            order += [table for table in locked_tables(query["sql"]) if table not in order]
    assert order == ["disclosures_importjob", "disclosures_disclosure", "disclosures_revision"]


def test_the_copy_writer_is_only_an_insert_strategy_of_the_revision_service(world, clerk_v1, clerk_v3):
    revision = importer.roster_import_confirm(job=upload(clerk_v1, world.v1), actor=clerk_v1)
    validation = importer.validate_rows(importer._read_rows(upload(clerk_v1, world.v1)), roster_category())
    with pytest.raises(PermissionDenied):  # the service's checks hold whatever writer inserts
        revision_replace_entries(actor=clerk_v3, revision=revision, entries=validation.entries, writer=copy_writer)
    revision_replace_entries(actor=clerk_v1, revision=revision, entries=validation.entries[:1], writer=copy_writer)
    revision.refresh_from_db()
    assert revision.entry_count == 1 and revision.amount_total == Decimal("1200.00")
    assert list(revision.entries.values_list("name", "position", "source_row")) == [("张三", 1, 2)]
