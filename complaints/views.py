"""Public pages: intake, tracking and rating, results (晒单); staff-only photo view.

Views are thin: forms validate, services change state, selectors read.
"""

import logging
import time

from django import db
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from disclosures.selectors import objection_target
from sunshine.audit.actions import ACTIONS
from sunshine.identity import decrypt, encrypt

from . import ratelimit, selectors, services
from .access import may_see_private
from .charts import township_chart
from .forms import PHOTO_FIELDS, IntakeForm, RatingForm, ResendSecretForm, TrackForm, add_service_errors
from .intake import SECRET_REPLAY_HOURS
from .models import Channel, Complaint, ComplaintCategory, ComplaintPhoto, Status, phone_key
from .photo_hold import hold_photo, release_photo
from .photos import clean_photo

log = logging.getLogger(__name__)
SESSION_KEY = "complaints_access"
# The last complaint filed in this browser: {"code", "secret" (encrypted with FIELD_ENCRYPTION_KEYS), "at"}, so
# the done page can be reopened (``/complaints/done/``) for SECRET_REPLAY_HOURS; never readable from elsewhere.
DONE_KEY = "complaints_done"
# The moves the public timeline shows (not identity reveals, exports or publicity edits); labels from the registry.
PUBLIC_EVENTS = (
    "complaint.submitted",
    "complaint.accepted",
    "complaint.rejected",
    "complaint.started",
    "complaint.replied",
    "complaint.closed",
    "complaint.escalated",
    "complaint.transferred",
    "complaint.extended",
    "complaint.rated",
    "complaint.contacted",
)
EVENT_LABELS = {code: ACTIONS[code] for code in PUBLIC_EVENTS}


def _grant(request, code):
    codes = request.session.get(SESSION_KEY, [])
    if code not in codes:
        request.session[SESSION_KEY] = [*codes, code][-20:]


def _has_access(request, code):
    return code in request.session.get(SESSION_KEY, [])


def _objection_context(request, form_initial):
    """Resolve ?disclosure=&entry= to a public disclosure (and, during its objection window, an entry of its
    current revision) for an objection; anything else is dropped (see ``disclosures.selectors.objection_target``)."""
    target = objection_target(
        request.GET.get("disclosure") or request.POST.get("disclosure"),
        request.GET.get("entry") or request.POST.get("entry"),
    )
    disclosure, entry = target.disclosure, target.entry
    form_initial["disclosure"] = disclosure.pk if disclosure is not None else None
    form_initial["entry"] = entry.pk if entry is not None else None
    if disclosure is not None:
        if disclosure.division.level == "village":
            form_initial["village"] = disclosure.division_id
        category = (
            ComplaintCategory.objects.filter(disclosure_category=disclosure.category_id, is_active=True).first()
            or ComplaintCategory.objects.filter(is_objection=True, is_active=True).first()
        )
        if category is not None:
            form_initial["category"] = category.pk
    return target


def _refused(request, template, context, refusal, message):
    """HTTP 429 with the page the resident was on, their text kept, and when to try again."""
    context["form"].add_error(None, message)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _intake_initial(request):
    """The form's initial values from the link (``?village=``, an objection's ``?disclosure=&entry=``)."""
    initial = {}
    code = request.GET.get("village")
    if code:
        from villages.models import Division

        village = Division.objects.filter(code=code, level="village").only("pk").first()
        if village is not None:
            initial["village"] = village.pk
    return initial, _objection_context(request, initial)


def intake(request):
    if request.method != "POST":
        initial, target = _intake_initial(request)
        initial["intake_token"] = services.intake_token_new()
        response = render(request, "complaints/intake.html", {"target": target, "form": IntakeForm(initial=initial)})
        # Not no-store: Back from the done page must show this very page (its token, what was typed) from the
        # browser's history cache; a fresh page would carry a new token and file the same text twice. The blank
        # form holds nothing personal; "private, no-cache" keeps it out of shared caches and fresh on a new visit.
        patch_cache_control(response, private=True, no_cache=True, max_age=0)
        return response
    try:
        response = _intake_post(request)
    except db.Error:  # refused, hung past its timeout, or dropped mid-way: nothing was stored
        log.warning("complaint intake: database unavailable, the form was given back to the resident", exc_info=True)
        response = _intake_outage(request)
    add_never_cache_headers(response)  # it holds what the resident typed
    return response


def _intake_post(request):
    initial, target = _intake_initial(request)
    token = services.intake_token_check(request.POST.get("intake_token"))
    data = request.POST
    if token is None:  # a page from before the token, or a forged one: filed unguarded; a re-shown form gets one
        data = data.copy()
        data["intake_token"] = services.intake_token_new()
    context = {"target": target}
    context["form"] = form = IntakeForm(data, request.FILES, initial=initial)
    if form.is_valid():
        fingerprint = services.intake_fingerprint(**{k: form.cleaned_data[k] for k in ("category", "village", "text")})
        # The same form sent again (a retry after a timeout, a double tap), or the same complaint sent again from
        # this browser (Back to a page the browser fetched anew, with a new token): the stored one, not a second.
        # A POST without a token (an old page, a script) is filed as before.
        earlier = token and (services.intake_replay(token, fingerprint) or _filed_here(request, fingerprint))
        if earlier:
            return _filed(request, earlier, fingerprint)
        refusal = ratelimit.refuse_intake(request, phone_key(form.cleaned_data["phone"]))
        if refusal:
            message = _("提交太频繁，请稍后再试；也可以拨打乡镇电话反映。您填写的内容还在，不会丢失。")
            return _refused(request, "complaints/intake.html", context, refusal, message)
        if form.decode_photos():  # photos are decoded only once the request is allowed
            try:
                submission = services.complaint_submit_once(
                    intake_token=token,
                    **form.submission(disclosure=target.disclosure, roster_entry=target.entry, channel=Channel.WEB),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                for number in range(1, len(PHOTO_FIELDS) + 1):
                    release_photo(form.cleaned_data.get(f"held{number}"))
                return _filed(request, submission, fingerprint)
    context["photos_not_kept"] = not _hold_photos(request, form)
    return render(request, "complaints/intake.html", context)


def _hold_photos(request, form):
    """Keep the good photos of a post that is shown again with errors (``complaints.photo_hold``), so the resident
    need not choose them again; their tokens go into the form. False when photos were sent but could not be kept."""
    uploads = [(n, request.FILES[name]) for n, name in enumerate(PHOTO_FIELDS, start=1) if name in request.FILES]
    uploads = [(n, upload) for n, upload in uploads if f"photo{n}" not in form.errors]
    if not uploads:
        return True
    if ratelimit.refuse_photo_hold(request):
        return False
    form.data = form.data.copy()
    for number, upload in uploads:
        upload.seek(0)
        try:
            content, _width, _height = clean_photo(upload, number)
        except ValidationError as exc:
            form.add_error(f"photo{number}", exc)
            continue
        form.data[f"held{number}"] = hold_photo(content)
        form.data.pop(f"drop{number}", None)
    return True


def _filed_here(request, fingerprint):
    """The complaint this browser session filed last, when ``fingerprint`` is its content and it is recent."""
    done = request.session.get(DONE_KEY) or {}
    if done.get("fingerprint") != fingerprint or time.time() - done.get("at", 0) >= SECRET_REPLAY_HOURS * 3600:
        return None
    complaint = Complaint.objects.filter(tracking_code=done["code"]).first()
    return complaint and services.Submission(complaint, _done_secret(request, done["code"]), replayed=True)


def _filed(request, submission, fingerprint):
    """After a filing (or a resubmission of the same form): this browser may follow it; on to the done page."""
    code = submission.complaint.tracking_code
    if submission.replayed and ratelimit.is_kiosk(request):
        # The next person at a shared kiosk pressing back and submitting again sees no one else's secret.
        return render(request, "complaints/done.html", {"code": code, "secret": None, "replayed": True})
    _grant(request, code)
    if submission.secret or (request.session.get(DONE_KEY) or {}).get("code") != code:
        secret = encrypt(submission.secret) if submission.secret else ""
        request.session[DONE_KEY] = {"code": code, "secret": secret, "at": int(time.time()), "fingerprint": fingerprint}
    if submission.replayed:
        messages.info(request, _("这份留言已经提交过，没有重复提交。"))
    return redirect("complaints:done", code=code)


def _intake_outage(request):
    """HTTP 503: the form as the resident filled it in, rendered without the database or the session."""
    data = request.POST.copy()
    if services.intake_token_check(data.get("intake_token")) is None:
        data["intake_token"] = services.intake_token_new()
    context = {
        "form": IntakeForm.offline(data),
        "target": None,
        "objection": bool(data.get("disclosure")),
        "outage": True,
        "photos_dropped": bool(request.FILES),
        "office_phone": settings.OFFICE_PHONE,
    }
    response = render(request, "complaints/intake.html", context, status=503)
    response["Retry-After"] = "60"
    return response


def _done_secret(request, code):
    """The secret this session was shown for ``code``, while recent and still valid (not re-issued by SMS)."""
    done = request.session.get(DONE_KEY) or {}
    fresh = time.time() - done.get("at", 0) < SECRET_REPLAY_HOURS * 3600
    if done.get("code") != code or not done.get("secret") or not fresh:
        return None
    secret = decrypt(done["secret"])
    complaint = Complaint.objects.filter(tracking_code=code).only("secret_hash").first()
    return secret if complaint is not None and complaint.check_secret(secret) else None


@never_cache
def done(request, code):
    if not _has_access(request, code):
        return redirect("complaints:track")
    secret = _done_secret(request, code)
    if ratelimit.is_kiosk(request):
        # A shared kiosk browser: once the code is shown, the next person needs the secret to open it.
        request.session[SESSION_KEY] = [c for c in request.session.get(SESSION_KEY, []) if c != code]
        request.session.pop(DONE_KEY, None)
    return render(request, "complaints/done.html", {"code": code, "secret": secret, "hours": SECRET_REPLAY_HOURS})


@never_cache
def done_latest(request):
    """Reopen the done page of the last complaint filed in this browser session; elsewhere, the tracking form."""
    code = (request.session.get(DONE_KEY) or {}).get("code")
    if code and _has_access(request, code):
        return redirect("complaints:done", code=code)
    return redirect("complaints:track")


@never_cache
def resend_secret(request):
    """忘记查询密码: a new secret by SMS to the phone given when filing. The same answer whether or not the code
    and phone matched, so the page cannot be used to learn who filed what."""
    if request.method != "POST":
        form = ResendSecretForm(initial={"code": request.GET.get("code", "")})
        return render(request, "complaints/resend.html", {"form": form})
    form = ResendSecretForm(request.POST)
    if not form.is_valid():
        return render(request, "complaints/resend.html", {"form": form})
    code = form.cleaned_data["code"]
    refusal = ratelimit.refuse_resend(request, code)
    if refusal:
        message = _("找回密码的次数太多，请明天再试，或拨打 %(phone)s 反映。") % {"phone": settings.OFFICE_PHONE}
        return _refused(request, "complaints/resend.html", {"form": form}, refusal, message)
    services.complaint_reissue_secret(tracking_code=code, phone=form.cleaned_data["phone"])
    return render(request, "complaints/resend.html", {"sent": True, "code": code})


@never_cache
def track(request):
    if request.method != "POST":
        form = TrackForm(initial={"code": request.GET.get("code", "")})
        return render(request, "complaints/track.html", {"form": form})
    form = TrackForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["code"]
        refusal = ratelimit.refuse_tracking(request, code)
        if refusal:
            message = _("尝试次数太多，请一小时后再试。")
            return _refused(request, "complaints/track.html", {"form": form}, refusal, message)
        complaint = Complaint.objects.filter(tracking_code=code).only("secret_hash").first()
        if complaint is not None and complaint.check_secret(form.cleaned_data["secret"]):
            _grant(request, complaint.tracking_code)
            return redirect("complaints:status", code=complaint.tracking_code)
        ratelimit.tracking_failed(code)
        form.add_error(None, _("查询码或密码不对。"))
    return render(request, "complaints/track.html", {"form": form})


def public_timeline(complaint):
    from villages.models import Level

    rows = []
    for event in selectors.timeline(complaint):
        label = EVENT_LABELS.get(event.action)
        if label is None:
            continue
        detail = ""
        if event.action in ("complaint.escalated", "complaint.transferred", "complaint.rated"):
            level = (event.changes.get("level") or [None, None])[1]
            if level:
                detail = _("现由%(level)s级办理") % {"level": Level(level).label}
        rows.append({"at": event.created_at, "label": label, "detail": detail})
    return rows


@never_cache
def status(request, code):
    complaint = get_object_or_404(
        Complaint.objects.select_related("category", "village", "township"), tracking_code=code
    )
    if not _has_access(request, code):
        return redirect(f"{_track_url()}?code={code}")
    rating_form = None
    if complaint.status in (Status.REPLIED, Status.CLOSED) and not complaint.rating:
        rating_form = RatingForm()
    return render(
        request,
        "complaints/status.html",
        {
            "complaint": complaint,
            "timeline": public_timeline(complaint),
            "rating_form": rating_form,
            "photo_count": complaint.photos.count(),
        },
    )


def _track_url():
    from django.urls import reverse

    return reverse("complaints:track")


@require_POST
def rate(request, code):
    complaint = get_object_or_404(Complaint, tracking_code=code)
    if not _has_access(request, code):
        raise Http404
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            complaint = services.complaint_rate(
                complaint=complaint, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if complaint.status == Status.IN_PROGRESS:
                messages.success(request, _("已收到您的评价。留言已转上一级复查。"))
            else:
                messages.success(request, _("已收到您的评价，谢谢。"))
    else:
        messages.error(request, _("请选择评价。"))
    return redirect("complaints:status", code=code)


def results(request):
    page = Paginator(selectors.public_results(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/results.html",
        {"page": page, "chart": township_chart(selectors.township_figures())},
    )


def index(request):
    return redirect("complaints:new")


@login_required
def photo(request, pk):
    """Complaint photos: private storage, only for the handler or an inspector after the logged reveal.

    Staff who may not see the complaint get 404 (its existence is not confirmed); staff who see its
    text and state but not its private parts (supervisors above, inspectors before a reveal) get 403.
    """
    item = get_object_or_404(ComplaintPhoto.objects.select_related("complaint"), pk=pk)
    if not selectors.complaints_visible_to(request.user).filter(pk=item.complaint_id).exists():
        raise Http404
    if not may_see_private(request, item.complaint):
        raise PermissionDenied
    response = FileResponse(item.file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def village_section(request, village):
    """The block on the public village page: 我要留言 and recent public results."""
    recent = selectors.recent_public_results(village)
    return render_to_string("complaints/village_section.html", {"village": village, "recent": recent}, request=request)
