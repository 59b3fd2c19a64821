from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from complaints import views as complaints_views
from disclosures import views as disclosures_views
from villages.models import Division, Level

from . import selfquery
from .forms import SelfQueryForm

# The blocks of the public village page, in order; each returns rendered HTML or "" when it has nothing.
VILLAGE_SECTIONS = [
    disclosures_views.village_section,  # 村务公开: recent disclosures and the calendar
    complaints_views.village_section,  # 留言投诉: recent public results
]


def village_detail(request, code):
    village = get_object_or_404(
        Division.objects.select_related("parent", "parent__parent"), code=code, level=Level.VILLAGE
    )
    groups = village.children.order_by("sort_order", "code", "name")
    sections = [html for html in (section(request, village) for section in VILLAGE_SECTIONS) if html]
    return render(request, "portal/village.html", {"village": village, "groups": groups, "sections": sections})


def _selfquery_page(request, context, status=200):
    return render(request, "portal/selfquery.html", {**context, "OFFICE_PHONE": settings.OFFICE_PHONE}, status=status)


@sensitive_variables()  # first in the chain: hides the locals of every frame below it in error reports
@never_cache  # no-store: the answer names the person's subsidies
@sensitive_post_parameters("id_number")  # error reports show it as ********
def my_subsidies(request):
    """我的补贴: every published roster line of the person, by name and ID number (POST only, never echoed).

    Unknown ID and wrong name give the same page; the lookup writes nothing (no audit event: DESIGN §10)."""
    if request.method != "POST":
        return _selfquery_page(request, {"form": SelfQueryForm()})
    form = SelfQueryForm(request.POST)
    if not form.is_valid():
        return _selfquery_page(request, {"form": form})
    refusal = selfquery.refuse(request, form.cleaned_data["person_key"])
    if refusal:
        again = SelfQueryForm(initial={"name": form.cleaned_data["name"]})  # the name is kept, the ID never
        response = _selfquery_page(request, {"form": again, "refused": True}, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    lines = selfquery.lookup(name=form.cleaned_data["name"], key=form.cleaned_data["person_key"])
    context = {
        "form": SelfQueryForm(initial={"name": form.cleaned_data["name"]}),
        "asked": True,
        "name": form.cleaned_data["name"],
        "lines": lines,
        "anomalies": sum(1 for line in lines if line.is_anomaly),
    }
    return _selfquery_page(request, context)
