"""The import's transitions: upload → (validate) → preview → confirm, each in its own function.

An ``ImportJob`` row is the preview: it holds the stored upload (private storage) and the
validation result, so it survives reloads and works across server processes. The result
holds counts, errors and warnings with names and masked IDs only; confirming reads the file
again (its sha256 must match) and imports every row in one transaction, or none.
"""

import contextlib
import datetime
import hashlib
import logging
import operator
import threading
import uuid
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disclosures.models import (
    PUBLIC_STATUSES,
    Disclosure,
    ImportJob,
    ImportStatus,
    Kind,
    Revision,
    RosterEntry,
)
from disclosures.selectors import registered_relatives, same_slot_entries, staff_label
from disclosures.services import (
    EDITABLE_REVISION_STATES,
    disclosure_open_correction,
    disclosure_open_draft,
    validate_period_and_phase,
)
from sunshine.audit.services import audit_record
from sunshine.identity import encrypt, mask_id, person_key
from villages.permissions import can

from .errors import ImportFileError
from .headers import HEADER_SCAN_ROWS, detect_header
from .readers import encoding_label, open_book
from .validate import check_header, validate_rows

logger = logging.getLogger(__name__)

S = ImportStatus
# The allowed moves of an import job; every status change goes through _move().
IMPORT_MOVES = {
    S.PENDING: {S.VALIDATING, S.FAILED, S.EXPIRED},
    S.VALIDATING: {S.READY, S.INVALID, S.FAILED, S.PENDING, S.EXPIRED},
    S.READY: {S.IMPORTED, S.PENDING, S.EXPIRED},
    S.INVALID: {S.PENDING, S.EXPIRED},
    S.FAILED: {S.PENDING, S.EXPIRED},
    S.IMPORTED: set(),
    S.EXPIRED: set(),
}
MAX_LISTED = 2000  # errors/warnings kept in the preview; the counts are always complete
PREVIEW_ROWS = 20
STALE_AFTER = datetime.timedelta(minutes=30)


def sync_rows():
    """Files with at most this many rows are validated inside the upload request."""
    return settings.ROSTER_IMPORT_SYNC_ROWS


def _move(job, status, **fields):
    if status not in IMPORT_MOVES[job.status]:
        raise ValidationError(
            _("导入任务状态为“%(old)s”，不能变为“%(new)s”。")
            % {"old": job.get_status_display(), "new": S(status).label}
        )
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", *fields])


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
            validation = validate_rows(rows, category, division=division)
        else:
            check_header(list(islice(rows.iterator, HEADER_SCAN_ROWS + 2)), category, complete=False)
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = original_name[original_name.rfind(".") :].lower() if "." in original_name else ""
    with transaction.atomic():
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
            _finish(job, validation)
    if validation is None and (job.sheet_name or book.kind == "csv"):
        transaction.on_commit(lambda: start_background_validation(job.pk))
    job.refresh_from_db()
    return job, validation


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


def roster_import_choose_sheet(*, job, actor, sheet_name):
    """Validate (again) against another visible sheet of the same upload."""
    if not can(actor, "roster.import", job.division):
        raise PermissionDenied
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if sheet_name not in locked.result.get("sheets", []):
            raise ValidationError(_("找不到工作表“%(name)s”") % {"name": sheet_name})
        if locked.status != S.PENDING:
            _move(locked, S.PENDING)
        data = locked.file.open("rb").read()
        locked.file.close()
        rows_total = open_book(data, locked.original_name).stream(sheet_name).count
        result = {k: locked.result[k] for k in ("format", "encoding", "sheets") if k in locked.result}
        locked.sheet_name, locked.rows_total, locked.rows_processed, locked.result = sheet_name, rows_total, 0, result
        locked.save(update_fields=["sheet_name", "rows_total", "rows_processed", "result"])
    _validate_now_or_later(locked)
    locked.refresh_from_db()
    return locked


def _validate_now_or_later(job):
    if job.rows_total <= sync_rows():
        roster_import_validate(job_id=job.pk)
    else:
        transaction.on_commit(lambda: start_background_validation(job.pk))


def start_background_validation(job_id):
    """Validate in a daemon thread; if the process dies, ``roster_import_tick`` picks the job up again."""
    threading.Thread(target=_background, args=(job_id,), daemon=True, name=f"roster-import-{job_id}").start()


def _background(job_id):
    close_old_connections()
    try:
        roster_import_validate(job_id=job_id)
    except Exception:  # the job row records the failure; the thread must not die noisily
        logger.exception("roster import %s failed", job_id)
    finally:
        connection.close()


def _claim(job_id):
    """PENDING → VALIDATING as one conditional UPDATE, so two processes never validate the same job."""
    claimed = ImportJob.objects.filter(pk=job_id, status=S.PENDING).update(
        status=S.VALIDATING, rows_processed=0, imported_at=None
    )
    return bool(claimed)


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
        ImportJob.objects.filter(pk=job_id).update(rows_processed=done, rows_total=total)

    try:
        rows = _read_rows(job)
        validation = validate_rows(rows, job.category, progress=progress, division=job.division)
    except ImportFileError as exc:
        base = {k: job.result[k] for k in ("format", "encoding", "sheets") if k in job.result}
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            _move(locked, S.FAILED, result={**base, "file_error": str(exc)})
        return locked
    return _finish(job, validation)


def _finish(job, validation):
    """Store the validation (with database warnings) as the job's preview: READY or INVALID."""
    base = {k: job.result[k] for k in ("format", "encoding", "sheets") if k in job.result}
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
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        _move(
            locked,
            S.INVALID if validation.errors else S.READY,
            result=result,
            rows_total=validation.rows_total,
            rows_processed=validation.rows_total,
        )
    return locked


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


# Columns taken straight from the validated entry, in this order (one attrgetter call per row).
ENTRY_ATTRIBUTES = (
    ("person_key", "person_key"),
    ("name", "name"),
    ("group", "group"),
    ("household_size", "household_size"),
    ("amount", "amount"),
    ("assistance_class", "assistance_class"),
    ("remark", "remark"),
    ("source_row", "row"),
)
COMPUTED = ("revision", "position", "key_id", "id_masked", "id_encrypted", "bank_account_encrypted")
INSERT_CHUNK = 5000


@contextlib.contextmanager
def _sqlite_cache(cursor, rows):
    """SQLite's default 2 MB page cache makes random-key index inserts (person_key) thrash; widen it meanwhile."""
    if connection.vendor != "sqlite" or rows < 10000:
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (previous,) = cursor.fetchone()
    cursor.execute("PRAGMA cache_size = -32768")  # 32 MB, for this import only
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _insert_rows(revision, validated, category):
    """Stream the rows into RosterEntry chunk by chunk (COPY on PostgreSQL, executemany elsewhere; no model instances).

    Every concrete column is written: the entry's own values, the computed ones, and any other
    field at its default, so a field added to RosterEntry later cannot be silently skipped.
    """
    _fill_person_keys(validated)
    key_id = settings.IDENTITY_HASH_KEY_ID
    stores_full = category.stores_full_id
    fields = {f.name: f for f in RosterEntry._meta.concrete_fields if not f.primary_key}
    others = [f for name, f in fields.items() if name not in COMPUTED and name not in dict(ENTRY_ATTRIBUTES)]
    order = [*COMPUTED, *(name for name, _attr in ENTRY_ATTRIBUTES)]
    columns = [fields[name] for name in order] + others
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    quote = connection.ops.quote_name
    table, names = quote(RosterEntry._meta.db_table), ", ".join(quote(f.column) for f in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    copy_sql = f"COPY {table} ({names}) FROM STDIN"
    own = operator.attrgetter(*(attr for _name, attr in ENTRY_ATTRIBUTES))
    revision_id = revision.pk
    total = Decimal("0")
    with connection.cursor() as cursor, _sqlite_cache(cursor, len(validated)):
        for start in range(0, len(validated), INSERT_CHUNK):
            params = []
            for position, e in enumerate(validated[start : start + INSERT_CHUNK], start=start + 1):
                if e.amount is not None:
                    total += e.amount
                computed = (
                    revision_id,
                    position,
                    key_id,
                    mask_id(e.id_number),
                    encrypt(e.id_number) if stores_full else "",
                    encrypt(e.bank_account) if stores_full and e.bank_account else "",
                )
                params.append(computed + own(e) + defaults)
            if connection.vendor == "postgresql":  # COPY: the fastest bulk path PostgreSQL has
                with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                    for row in params:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, params)
    return len(validated), total


def replace_entries(*, actor, revision, validated, category, source):
    """Replace a draft revision's entries with the validated rows: the checks and the one audit event of
    ``disclosures.services.revision_replace_entries``, with a streamed executemany instead of model instances."""
    disclosure = revision.disclosure
    if not can(actor, "disclosure.edit", disclosure.division):
        raise PermissionDenied
    with transaction.atomic():
        locked = Revision.objects.select_for_update().get(pk=revision.pk)
        if locked.state not in EDITABLE_REVISION_STATES:
            raise ValidationError(_("只有草稿或退回的版本可以修改；已公开的内容只能通过更正修改。"))
        before_count, before_total = locked.entry_count, locked.amount_total
        RosterEntry.objects.filter(revision=locked).delete()
        count, total = _insert_rows(locked, validated, category)
        locked.entry_count, locked.amount_total = count, total
        locked.save(update_fields=["entry_count", "amount_total"])
        audit_record(
            actor=actor,
            action="revision.entries_replaced",
            obj=locked,
            division=disclosure.division,
            changes={"entry_count": [before_count, count], "amount_total": [before_total, total]},
            data=source,
        )
    revision.entry_count, revision.amount_total = count, total
    return locked


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
    """
    if not can(actor, "roster.import", job.division):
        raise PermissionDenied
    now = timezone.now()
    if ImportJob.objects.filter(pk=job.pk, status=S.READY, expires_at__lte=now).exists():
        _expire(job.pk)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().select_related("category", "division").get(pk=job.pk)
        if locked.status == S.IMPORTED:
            raise ValidationError(_("这个文件已经导入过了。"))
        if locked.status == S.EXPIRED:
            raise ValidationError(_("预览已过期，请重新上传。"))
        if locked.status != S.READY:
            raise ValidationError(_("只有校验通过（没有错误）的导入才能确认。"))
        validation = _validation  # handed over in-process by roster_import_file; otherwise read again
        if validation is None:
            try:
                validation = validate_rows(_read_rows(locked), locked.category, division=locked.division)
            except ImportFileError as exc:
                raise ValidationError(str(exc))
        if validation.errors:  # cannot happen for an unchanged file; never import on doubt
            raise ValidationError(_("文件校验有错误，请重新上传。"))
        if correction_needed(locked):
            if not reason.strip():
                raise ValidationError(_("该名单已经公开，这次导入将作为更正，请填写更正原因。"))
            disclosure = Disclosure.objects.get(
                division=locked.division, category=locked.category, period=locked.period, phase=locked.phase
            )
            revision = disclosure_open_correction(actor=actor, disclosure=disclosure, reason=reason)
        else:
            revision = disclosure_open_draft(
                actor=actor,
                division=locked.division,
                category=locked.category,
                period=locked.period,
                phase=locked.phase,
            )
        counts = locked.result.get("counts", {})
        replace_entries(
            actor=actor,
            revision=revision,
            validated=validation.entries,
            category=locked.category,
            source={
                "import_job": str(locked.pk),
                "file": locked.original_name,
                "sha256": locked.sha256,
                "sheet": locked.sheet_name,
                "rows": len(validation.entries),
                "skipped": validation.skipped,
                "warnings": counts.get("warnings", 0),
            },
        )
        _move(locked, S.IMPORTED, disclosure=revision.disclosure, revision=revision, imported_at=now)
        # The upload holds full IDs (and maybe bank accounts) that the category may not keep: once the rows
        # are in, only its sha256 (in the audit event) remains.
        transaction.on_commit(lambda: _delete_upload(locked.pk))
    return revision


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
    """Periodic step: validate waiting jobs, restart stale ones, expire old previews. Idempotent."""
    now = timezone.now()
    stale = ImportJob.objects.filter(status=S.VALIDATING, created_at__lt=now - STALE_AFTER, expires_at__gt=now)
    restarted = stale.update(status=S.PENDING)
    validated = 0
    waiting = ImportJob.objects.filter(status=S.PENDING, expires_at__gt=now).values_list("pk", "sheet_name", "result")
    for job_id, sheet_name, result in waiting:
        if not sheet_name and result.get("format") != "csv":
            continue  # the clerk has not picked a sheet yet
        if roster_import_validate(job_id=job_id) is not None:
            validated += 1
    expired = 0
    old = ImportJob.objects.filter(expires_at__lte=now).exclude(status__in=[S.IMPORTED, S.EXPIRED])
    for job_id in old.values_list("pk", flat=True):
        expired += _expire(job_id)
    return f"validated {validated}, restarted {restarted}, expired {expired}"


def _expire(job_id):
    """Mark a preview expired and delete its stored upload (the personal data in it goes with it)."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job_id)
        if locked.status in (S.IMPORTED, S.EXPIRED):
            return 0
        _move(locked, S.EXPIRED, result={k: v for k, v in locked.result.items() if k in ("format", "sheets")})
    _delete_upload(job_id)
    return 1
