from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest

from villages.models import Division, Level, Membership, Role


def _snapshot():
    divisions = sorted(Division.objects.values_list("code", "name", "level", "parent__name", "path"), key=str)
    memberships = sorted(Membership.objects.values_list("user__username", "division__name", "role"))
    users = sorted(get_user_model().objects.values_list("username", "password"))
    return divisions, memberships, users


def test_seed_demo_twice_gives_the_same_data(db, capsys):
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first


def test_demo_county_shape_and_printed_logins(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Division.objects.filter(level=Level.COUNTY).count() == 1
    assert Division.objects.filter(level=Level.TOWNSHIP).count() == 3
    assert Division.objects.filter(level=Level.VILLAGE).count() == 12
    assert Division.objects.filter(level=Level.GROUP).count() >= 12
    for role in Role:
        assert Membership.objects.filter(role=role).exists()
    assert "sunshine-demo-2026" in out and "clerk_v01" in out and "reviewer_t1" in out


def test_demo_logins_see_only_their_jurisdiction(client, db):
    call_command("seed_demo")
    # django-axes' backend needs the request (it refuses locked account+address pairs before any password check).
    assert client.login(request=HttpRequest(), username="clerk_v01", password="sunshine-demo-2026")
    page = client.get("/admin/villages/division/").content.decode()
    assert "东坪村" in page and "西岭村" not in page and "河口村" not in page
