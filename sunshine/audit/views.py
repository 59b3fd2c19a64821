"""Public pages for the published audit chain heads: anyone may keep a copy and check it later."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .models import AuditHead

PAGE_HEADS = 100  # the human page shows the newest ones; the JSON lists them all


def _heads():
    return AuditHead.objects.order_by("-at", "-id").values("seq", "hash", "at", "key_id")


@require_GET
def heads_json(request):
    heads = [{**head, "at": head["at"].isoformat()} for head in _heads()]
    return JsonResponse({"heads": heads}, json_dumps_params={"ensure_ascii": False})


@require_GET
def heads_page(request):
    context = {"heads": list(_heads()[:PAGE_HEADS]), "json_url": reverse("audit:heads-json")}
    return render(request, "audit/heads.html", context)
