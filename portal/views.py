from django.shortcuts import get_object_or_404, render

from complaints import views as complaints_views
from disclosures import views as disclosures_views
from villages.models import Division, Level

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
