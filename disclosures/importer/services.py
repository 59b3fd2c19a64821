"""The import's transitions: upload → (validate) → preview → confirm, each in its own function.

An ``ImportJob`` row is the preview: it holds the stored upload (private storage) and the
validation result, so it survives reloads and works across server processes. The result
holds counts, errors and warnings with names and masked IDs only; confirming reads the file
again (its sha256 must match) and imports every row in one transaction, or none.
"""

import contextlib
import datetime
import hashlib
import uuid
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from disclosures.entry_writers import copy_writer
from disclosures.models import (
    IMPORT_MOVES,
    PUBLIC_STATUSES,
    Disclosure,
    ImportJob,
    ImportPreviewRow,
    ImportStatus,
    Kind,
)
from disclosures.selectors import registered_groups, registered_relatives, same_slot_entries, staff_label
from disclosures.services import (
    EDITABLE_REVISION_STATES,
    disclosure_open_correction,
    disclosure_open_draft,
    revision_replace_entries,
    validate_period_and_phase,
)
from sunshine.audit.services import audit_record
from sunshine.background import enqueue
from sunshine.identity import mask_id, person_key
from villages.permissions import can

from . import tasks
from .errors import ImportFileError
from .headers import HEADER_SCAN_ROWS, detect_header
from .readers import encoding_label, open_book
from .validate import check_header, validate_rows

S = ImportStatus
MAX_LISTED = 2000  # errors/warnings kept in the preview; the counts are always complete
PREVIEW_ROWS = 20  # the API's short ``preview``; ``ImportPreviewRow`` holds every importable row
ROW_FIELDS = ("row", "name", "id_masked", "group", "household_size", "amount", "assistance_class")  # of its values
ORPHAN_UPLOAD_AGE = datetime.timedelta(hours=1)  # a stored upload with no job this old lost its transaction
UPLOADS_DIR = "imports"


def sync_rows():
    """Files with at most this many rows are validated inside the upload request."""
    return settings.ROSTER_IMPORT_SYNC_ROWS


# ---------------------------------------------------------------- the job's moves (models.IMPORT_MOVES)


def _check_actor(move, actor, job):
    """A user move needs its permission in the job's division; a system move is made by no user."""
    if move.perm is None:
        if actor is not None:
            raise PermissionDenied
    elif actor is None or not can(actor, move.perm, job.division):
        raise PermissionDenied


def _refusal(job, move):
    if job.status == S.IMPORTED:
        return ValidationError(_("这个文件已经导入过了。"))
    if job.status == S.EXPIRED:
        return ValidationError(_("预览已过期，请重新上传。"))
    if move.name == "confirm":
        return ValidationError(_("只有校验通过（没有错误）的导入才能确认。"))
    return ValidationError(
        _("导入任务状态为“%(old)s”，不能变为“%(new)s”。")
        % {"old": job.get_status_display(), "new": S(move.target).label}
    )


def job_transition(*, job, move, actor=None, handler=None, **fields):
    """The one locked path for an import job's status: returns the locked, moved job.

    Locks the job row only (its category and division are read, never locked; the revision service
    locks the disclosure and then the revision after it), checks ``move`` against ``IMPORT_MOVES``
    and the actor, runs ``handler(locked)`` (the move's work, returning more fields to set), saves
    and writes the move's audit event, all in one transaction.
    """
    move = IMPORT_MOVES[move]
    _check_actor(move, actor, job)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update(of=("self",)).select_related("category", "division").get(pk=job.pk)
        if not move.allowed_from(locked.status):
            raise _refusal(locked, move)
        before = locked.status
        if handler is not None:
            fields = {**fields, **handler(locked)}
        locked.status = move.target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        if move.audit_action:
            audit_record(
                actor=actor,
                action=move.audit_action,
                obj=locked,
                division=locked.division,
                changes={"status": [before, move.target]},
            )
    return locked


def job_claim(move, *, where, **fields):
    """The lock-free form of a silent system move: one conditional UPDATE from the move's sources.

    Two processes can never both win it, so no row lock is needed. Returns the number of jobs moved.
    """
    move = IMPORT_MOVES[move]
    if move.perm is not None or move.audit_action:
        raise ValueError(f"{move.name} needs job_transition (it checks an actor or writes an event)")
    return ImportJob.objects.filter(where, status__in=move.sources).update(status=move.target, **fields)


def require_move_routes(routes, where):
    """Fail at start-up when an interface (admin, API) has no route for a user move of the table, or one too many."""
    wanted = {move.name for move in IMPORT_MOVES.values() if move.perm is not None}
    if set(routes) != wanted:
        raise ImproperlyConfigured(f"{where}: import moves {sorted(wanted)} need routes, got {sorted(routes)}")
    return routes


# Conditions a user move needs beyond its source state, for the buttons and routes offered.
_OFFERED_ONLY_IF = {
    "confirm": lambda job, now: job.expires_at > now,
    "choose_sheet": lambda job, now: len((job.result or {}).get("sheets", [])) > 1,
}


def available_moves(job, user, *, now=None):
    """The user moves ``user`` may make on ``job`` now, in table order: what the admin and the API offer."""
    now = now or timezone.now()
    return [
        move
        for move in IMPORT_MOVES.values()
        if move.perm is not None
        and move.allowed_from(job.status)
        and _OFFERED_ONLY_IF.get(move.name, lambda *_: True)(job, now)
        and can(user, move.perm, job.division)
    ]


def check_target(*, actor, division, category, period, phase):
    """Raise PermissionDenied/ValidationError unless ``actor`` may import this roster."""
    if not can(actor, "roster.import", division):
        raise PermissionDenied
    if category.kind != Kind.ROSTER:
        raise ValidationError(_("“%(name)s”不是名单类公开事项，不能导入名单。") % {"name": category.name})
    validate_period_and_phase(category=category, period=period, phase=phase)


def roster_import_upload(
    *, actor, division, category, period, phase, file, original_name=None, sheet_name="", background=True
):
    """Store an upload as an ImportJob and validate it (inline when small, in the background when large).

    A file that cannot be read raises ImportFileError before anything is written. With
    ``background=False`` (commands, scripts) large files are validated inline too.
    """
    job, _validation = _upload(
        actor=actor,
        division=division,
        category=category,
        period=period,
        phase=phase,
        file=file,
        original_name=original_name,
        sheet_name=sheet_name,
        background=background,
    )
    return job


def _upload(*, actor, division, category, period, phase, file, original_name, sheet_name, background):
    check_target(actor=actor, division=division, category=category, period=period, phase=phase)
    original_name = original_name or getattr(file, "name", "") or "upload"
    data = file.read() if hasattr(file, "read") else bytes(file)
    book = open_book(data, original_name)
    if sheet_name and sheet_name not in book.sheets:
        raise ImportFileError(_("找不到工作表“%(name)s”") % {"name": sheet_name})
    if not sheet_name:
        sheet_name = _only_roster_sheet(book, category)
    rows_total, validation = 0, None
    if sheet_name or book.kind == "csv":
        rows = book.stream(sheet_name)
        rows_total = rows.count
        if rows_total <= sync_rows() or not background:
            # a file-level problem raises here, before anything is written
            validation = validate_rows(rows, category, division=division, groups=registered_groups(division))
        else:
            check_header(list(islice(rows.iterator, HEADER_SCAN_ROWS + 2)), category, complete=False)
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = original_name[original_name.rfind(".") :].lower() if "." in original_name else ""
    job = ImportJob(
        created_by=actor,
        division=division,
        category=category,
        period=period,
        phase=phase,
        original_name=original_name[:255],
        sha256=sha256,
        sheet_name=sheet_name,
        status=S.PENDING,
        rows_total=rows_total,
        result={"format": book.kind, "encoding": encoding_label(book.encoding), "sheets": book.sheets},
        expires_at=timezone.now() + datetime.timedelta(hours=settings.ROSTER_IMPORT_PREVIEW_HOURS),
    )
    with _upload_removed_on_failure(job), transaction.atomic():
        job.file.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(data), save=False)
        job.save()
        audit_record(
            actor=actor,
            action="roster_import.uploaded",
            obj=job,
            division=division,
            data={"file": job.original_name, "sha256": sha256, "bytes": len(data), "category": category.slug},
        )
        if validation is not None:  # the job and its preview are written together
            _claim(job.pk)
            job = _finish(job, validation)
        elif job.sheet_name or book.kind == "csv":
            enqueue(tasks.validate_import_job, str(job.pk))  # the task row commits with the job, or neither
    job.refresh_from_db()
    return job, validation


@contextlib.contextmanager
def _upload_removed_on_failure(job):
    """The upload (full ID numbers) is written to disk inside the job's transaction; if that transaction fails
    (the database dropped mid-way), delete the file again: with no job row nothing would ever remove it.
    An outer transaction rolled back later is caught by ``sweep_orphan_uploads`` instead."""
    try:
        yield
    except BaseException:
        if job.file.name:
            with contextlib.suppress(OSError):
                job.file.storage.delete(job.file.name)
        raise


def _only_roster_sheet(book, category):
    """The sheet to validate without asking: the only visible one, or the only one with a roster header
    (a 说明 or 汇总 sheet next to the 名单 does not make the clerk choose). "" when the clerk must choose."""
    if len(book.sheets) == 1:
        return book.sheets[0]
    found = []
    for name in book.sheets:
        try:
            detect_header(list(islice(book.stream(name).iterator, HEADER_SCAN_ROWS + 2)), category)
        except ImportFileError:
            continue
        found.append(name)
    return found[0] if len(found) == 1 else ""


def _file_facts(job):
    """What the upload itself says (format, encoding, sheets): kept when the preview is redone or dropped."""
    return {k: job.result[k] for k in ("format", "encoding", "sheets") if k in job.result}


def roster_import_choose_sheet(*, job, actor, sheet_name):
    """Validate (again) against another visible sheet of the same upload."""

    def switch_sheet(locked):
        if sheet_name not in locked.result.get("sheets", []):
            raise ValidationError(_("找不到工作表“%(name)s”") % {"name": sheet_name})
        with locked.file.open("rb") as handle:
            data = handle.read()
        rows_total = open_book(data, locked.original_name).stream(sheet_name).count
        if rows_total > sync_rows():  # queued with the move, in its transaction
            enqueue(tasks.validate_import_job, str(locked.pk))
        _drop_preview_rows(locked)  # the other sheet's rows
        return {"sheet_name": sheet_name, "rows_total": rows_total, "rows_processed": 0, "result": _file_facts(locked)}

    locked = job_transition(job=job, move="choose_sheet", actor=actor, handler=switch_sheet)
    if locked.rows_total <= sync_rows():
        roster_import_validate(job_id=locked.pk)
    locked.refresh_from_db()
    return locked


def roster_import_validate_task(*, job_id, attempt):
    """The work of the ``validate_import_job`` task. Safe to run twice: the claim lets one run validate.

    A later attempt (its worker was lost, or the database went away mid-way) finds the job where the earlier attempt
    left it, VALIDATING, and puts it back to PENDING first so it is validated again from the start. A job that has
    moved on meanwhile (validated, expired) is left alone. Returns the job's status for the task's result.
    """
    if attempt > 1:
        job_claim("restart", where=Q(pk=job_id))
    try:
        job = roster_import_validate(job_id=job_id)
    except ValidationError:  # the job left VALIDATING under us (expired); nothing to record
        job = None
    if job is None:
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    return job.status


def _claim(job_id):
    """PENDING → VALIDATING as one conditional UPDATE, so two processes never validate the same job."""
    return bool(job_claim("claim", where=Q(pk=job_id), rows_processed=0, imported_at=None))


def _read_rows(job):
    with job.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != job.sha256:
        raise ImportFileError(_("上传的文件已被改动，请重新上传。"))
    book = open_book(data, job.original_name)
    return book.stream(job.sheet_name)


def roster_import_validate(*, job_id):
    """Validate a PENDING job's file into its preview result. Returns the job (or None if someone else has it)."""
    if not _claim(job_id):
        return None
    job = ImportJob.objects.select_related("category", "division").get(pk=job_id)

    def progress(done, total):
        # only while VALIDATING: a run that was declared lost and resumes late must not touch a finished job
        ImportJob.objects.filter(pk=job_id, status=S.VALIDATING).update(rows_processed=done, rows_total=total)

    try:
        rows = _read_rows(job)
        validation = validate_rows(
            rows, job.category, progress=progress, division=job.division, groups=registered_groups(job.division)
        )
    except ImportFileError as exc:
        return job_transition(
            job=job,
            move="fail",
            handler=_drop_preview_rows,
            result={**_file_facts(job), "file_error": str(exc)},
        )
    return _finish(job, validation)


def _finish(job, validation):
    """Store the validation (with database warnings) as the job's preview: READY or INVALID."""
    base = _file_facts(job)
    # whole-file notes (row None) first, then by row; stable, so each source keeps its own order
    warnings = sorted([*validation.warnings, *_warnings(job, validation.entries)], key=lambda w: w["row"] or 0)
    entries = validation.entries
    total = sum((e.amount for e in entries if e.amount is not None), Decimal("0"))
    result = {
        **base,
        "sheet": job.sheet_name,
        **validation.meta,
        "counts": {
            "rows": validation.rows_total,
            "valid": len(entries),
            "invalid_rows": validation.rows_total - len(entries),
            "errors": len(validation.errors),
            "warnings": len(warnings),
            "skipped": validation.skipped,
            "members": validation.members,
            "amount_total": str(total),
        },
        "errors": validation.errors[:MAX_LISTED],
        "warnings": warnings[:MAX_LISTED],
        "preview": [
            {
                "row": e.row,
                "name": e.name,
                "id_masked": mask_id(e.id_number),
                "group": e.group,
                "household_size": e.household_size,
                "amount": None if e.amount is None else str(e.amount),
                "assistance_class": e.assistance_class,
            }
            for e in entries[:PREVIEW_ROWS]
        ],
    }
    return job_transition(
        job=job,
        move="reject" if validation.errors else "pass",
        handler=lambda locked: _store_preview_rows(locked, entries, result["errors"], result["warnings"]),
        result=result,
        rows_total=validation.rows_total,
        rows_processed=validation.rows_total,
    )


def _drop_preview_rows(job):
    """A job's preview rows go when its preview is redone, fails or expires. Returns no fields to set."""
    ImportPreviewRow.objects.filter(job=job).delete()
    return {}


def _store_preview_rows(job, entries, errors, warnings):
    """Every importable row (compact, ``ROW_FIELDS``) and every listed refused row, as the job's preview rows.

    Kept apart from ``job.result`` so a preview page reads 100 rows, not the whole file; a row with a listed error
    or warning is flagged ``problem`` (indexed) for ``?only=problems``. Runs under the job's lock; a validation
    that runs again replaces them. Returns no fields to set.
    """
    _drop_preview_rows(job)
    stored = {
        e.row: [
            e.row,
            e.name,
            mask_id(e.id_number),
            e.group,
            e.household_size,
            None if e.amount is None else str(e.amount),
            e.assistance_class,
        ]
        for e in entries
    }
    refused = {found["row"] for found in errors}
    flagged = refused | {found["row"] for found in warnings if found.get("row") is not None}
    ImportPreviewRow.objects.bulk_create(
        (
            ImportPreviewRow(job=job, row=number, values=stored.get(number), problem=number in flagged)
            for number in sorted(stored.keys() | refused)
        ),
        batch_size=2000,
    )
    return {}


def _chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fill_person_keys(entries):
    for entry in entries:
        if not entry.person_key:
            entry.person_key = person_key(entry.id_number)


FULL_SCAN_ABOVE = 2000  # keys; above this one streamed scan beats thousands of IN parameters


def _matching(queryset, by_key, size, *values):
    """Rows of ``queryset`` whose person_key is in ``by_key``: IN lists for small files, one scan for big ones."""
    if len(by_key) > FULL_SCAN_ABOVE:
        rows = queryset.values_list(*values) if values else queryset
        for row in rows.iterator(chunk_size=5000):
            if (row[0] if values else row.person_key) in by_key:
                yield row
        return
    for chunk in _chunks(by_key, size):
        matched = queryset.filter(person_key__in=chunk)
        yield from (matched.values_list(*values) if values else matched)


def _warnings(job, entries):
    """Cross-village duplicates and staff relatives, as warnings (never errors)."""
    _fill_person_keys(entries)
    by_key = {e.person_key: e for e in entries}
    if not by_key:
        return []
    size = 900 if connection.vendor == "sqlite" else 10000
    warnings = []
    others = same_slot_entries(job.category, job.period, job.phase).exclude(revision__disclosure__division=job.division)
    found = {}
    for key, village in _matching(others, by_key, size, "person_key", "revision__disclosure__division__name"):
        found.setdefault(key, set()).add(village)
    for key, villages in found.items():
        entry = by_key[key]
        names = "、".join(sorted(villages))
        warnings.append(
            {
                "row": entry.row,
                "kind": "cross_village",
                "text": _("第 %(row)s 行 %(name)s（%(id)s）也在%(villages)s同类别同期的名单上")
                % {"row": entry.row, "name": entry.name, "id": mask_id(entry.id_number), "villages": names},
                "public_text": _("第 %(row)s 行 %(name)s 可能也在其他村同类别同期的名单上，乡镇审核时会核实")
                % {"row": entry.row, "name": entry.name},
            }
        )
    for relative in _matching(registered_relatives(), by_key, size):
        entry = by_key[relative.person_key]
        staff_name = staff_label(relative.user)
        warnings.append(
            {
                "row": entry.row,
                "kind": "relative",
                "text": _(
                    "第 %(row)s 行 %(name)s 是工作人员 %(staff)s 登记的近亲属（%(relation)s），"
                    "按《最低生活保障审核确认办法》（民发〔2021〕57号）应单独登记备案"
                )
                % {"row": entry.row, "name": entry.name, "staff": staff_name, "relation": relative.relation},
                "public_text": _(
                    "第 %(row)s 行 %(name)s 与工作人员登记的近亲属一致，"
                    "按《最低生活保障审核确认办法》（民发〔2021〕57号）应单独登记备案"
                )
                % {"row": entry.row, "name": entry.name},
            }
        )
    warnings.sort(key=lambda w: (w["row"], w["kind"]))
    return warnings


def warning_text_for(user, job, warning):
    """Full warning (other village, staff name) for reviewers and inspectors; a neutral one for clerks."""
    if can(user, "disclosure.approve_township", job.division) or can(user, "audit.view", job.division):
        return warning["text"]
    return warning.get("public_text") or warning["text"]


def correction_needed(job):
    """True when confirming will open a correction of a published roster (a reason is then required)."""
    disclosure = Disclosure.objects.filter(
        division=job.division, category=job.category, period=job.period, phase=job.phase
    ).first()
    return (
        disclosure is not None
        and disclosure.status in PUBLIC_STATUSES
        and not disclosure.revisions.filter(state__in=EDITABLE_REVISION_STATES).exists()
    )


def roster_import_confirm(*, job, actor, reason="", _validation=None):
    """Import every row of a READY job into the draft of its disclosure, in one transaction. Returns the revision.

    If the roster is already published the import becomes a correction draft, which needs ``reason``.
    Locks, in order: the job, then (through the revision service) the disclosure, then its revision.
    """
    _check_actor(IMPORT_MOVES["confirm"], actor, job)
    now = timezone.now()
    if ImportJob.objects.filter(pk=job.pk, status=S.READY, expires_at__lte=now).exists():
        _expire(job.pk)

    def import_rows(locked):
        validation = _validation or _validate_again(locked)  # handed over in-process by roster_import_file
        if validation.errors:  # cannot happen for an unchanged file; never import on doubt
            raise ValidationError(_("文件校验有错误，请重新上传。"))
        revision = _target_revision(locked, actor=actor, reason=reason)
        revision_replace_entries(
            actor=actor,
            revision=revision,
            entries=validation.entries,
            source=_import_source(locked, validation),
            writer=copy_writer,
        )
        # The upload holds full IDs (and maybe bank accounts) that the category may not keep: once the rows
        # are in, only its sha256 (in the audit event) remains.
        transaction.on_commit(lambda: _delete_upload(locked.pk))
        return {"disclosure": revision.disclosure, "revision": revision, "imported_at": now}

    return job_transition(job=job, move="confirm", actor=actor, handler=import_rows).revision


def _validate_again(job):
    try:
        return validate_rows(
            _read_rows(job), job.category, division=job.division, groups=registered_groups(job.division)
        )
    except ImportFileError as exc:
        raise ValidationError(str(exc))


def _import_source(job, validation):
    """What the revision's ``entries_replaced`` event records about the file: no personal data."""
    return {
        "import_job": str(job.pk),
        "file": job.original_name,
        "sha256": job.sha256,
        "sheet": job.sheet_name,
        "rows": len(validation.entries),
        "skipped": validation.skipped,
        "warnings": job.result.get("counts", {}).get("warnings", 0),
    }


def _target_revision(job, *, actor, reason):
    """The draft the rows go into: the slot's open draft (created if need be) or a correction of a published one."""
    slot = {"division": job.division, "category": job.category, "period": job.period, "phase": job.phase}
    if correction_needed(job):
        if not reason.strip():
            raise ValidationError(_("该名单已经公开，这次导入将作为更正，请填写更正原因。"))
        disclosure = Disclosure.objects.get(**slot)
        return disclosure_open_correction(actor=actor, disclosure=disclosure, reason=reason)
    return disclosure_open_draft(actor=actor, **slot)  # race-safe: concurrent openers get the same disclosure


def _delete_upload(job_id):
    job = ImportJob.objects.get(pk=job_id)
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job_id).update(file="")


def roster_import_file(*, actor, division, category, period, phase, path, sheet_name="", dry_run=False, reason=""):
    """Upload a file from disk and, unless ``dry_run`` or it has errors, confirm it. Returns ``(job, revision)``."""
    with open(path, "rb") as handle:
        data = handle.read()
    job, validation = _upload(
        actor=actor,
        division=division,
        category=category,
        period=period,
        phase=phase,
        file=data,
        original_name=str(path).rsplit("/", 1)[-1],
        sheet_name=sheet_name,
        background=False,
    )
    if dry_run or job.status != S.READY:
        return job, None
    return job, roster_import_confirm(job=job, actor=actor, reason=reason, _validation=validation)


def roster_import_tick():
    """Periodic step: expire old previews and sweep uploads whose job never committed. Idempotent.

    Validation itself is the ``validate_import_job`` task, retried by the worker's recovery (portal.worker).
    """
    now = timezone.now()
    expired = 0
    old = ImportJob.objects.filter(expires_at__lte=now, status__in=IMPORT_MOVES["expire"].sources)
    for job_id in old.values_list("pk", flat=True):
        expired += _expire(job_id)
    swept = sweep_orphan_uploads(now=now)
    return f"swept {swept}, expired {expired}"


def _stored_uploads(storage, directory):
    """Every file under ``directory`` of ``storage``, as storage names."""
    try:
        subdirs, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{directory}/{name}"
    for sub in subdirs:
        yield from _stored_uploads(storage, f"{directory}/{sub}")


def sweep_orphan_uploads(*, now=None):
    """Delete stored uploads that no job names and that are older than an hour: files whose upload transaction
    was rolled back after they were written (they hold full ID numbers). Returns how many were deleted."""
    now = now or timezone.now()
    storage = ImportJob._meta.get_field("file").storage
    names = list(_stored_uploads(storage, UPLOADS_DIR))
    known = set()
    for chunk in _chunks(names, 500):
        known.update(ImportJob.objects.filter(file__in=chunk).values_list("file", flat=True))
    swept = 0
    for name in names:
        if name in known or storage.get_modified_time(name) > now - ORPHAN_UPLOAD_AGE:
            continue
        with contextlib.suppress(FileNotFoundError):
            storage.delete(name)
            swept += 1
    return swept


def _forget_preview(locked):
    """The expire move's work: the preview's rows go, the result keeps only the file's format and sheets."""
    _drop_preview_rows(locked)
    return {"result": {k: v for k, v in locked.result.items() if k in ("format", "sheets")}}


def _expire(job_id):
    """Mark a preview expired and delete its stored upload (the personal data in it goes with it)."""
    job = ImportJob.objects.get(pk=job_id)
    if not IMPORT_MOVES["expire"].allowed_from(job.status):
        return 0
    try:
        job_transition(
            job=job,
            move="expire",
            handler=_forget_preview,
        )
    except ValidationError:  # imported or expired by someone else since it was read
        return 0
    _delete_upload(job_id)
    return 1
