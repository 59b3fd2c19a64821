from django.shortcuts import get_object_or_404, render

from sunshine.hooks import optional_hook

from .models import Division, Level
from .selectors import public_county_tree, villages_in


def home(request):
    return render(request, "villages/home.html", {"counties": public_county_tree()})


def township_detail(request, code):
    township = get_object_or_404(Division.objects.select_related("parent"), code=code, level=Level.TOWNSHIP)
    return render(request, "villages/township.html", {"township": township, "villages": villages_in(township)})


def village_detail(request, code):
    village = get_object_or_404(
        Division.objects.select_related("parent", "parent__parent"), code=code, level=Level.VILLAGE
    )
    groups = village.children.order_by("sort_order", "code", "name")
    # Later issues contribute sections (disclosures, calendar, complaints) via this hook.
    sections = village_sections(request, village)
    return render(request, "villages/village.html", {"village": village, "groups": groups, "sections": sections})


def village_sections(request, village):
    """Blocks other apps add to the village page: a list of rendered HTML fragments."""
    blocks = []
    for dotted in SECTION_PROVIDERS:
        provider = optional_hook(dotted)
        if provider is not None:
            blocks.append(provider(request, village))
    return [b for b in blocks if b]


SECTION_PROVIDERS = [
    "disclosures.views.village_section",
    "complaints.views.village_section",
]
