from django.shortcuts import get_object_or_404, render

from .models import Division, Level
from .selectors import public_county_tree, villages_in


def home(request):
    return render(request, "villages/home.html", {"counties": public_county_tree()})


def township_detail(request, code):
    township = get_object_or_404(Division.objects.select_related("parent"), code=code, level=Level.TOWNSHIP)
    return render(request, "villages/township.html", {"township": township, "villages": villages_in(township)})
