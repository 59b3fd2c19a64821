"""The public API answers exactly what its OpenAPI schema says.

Schemathesis takes the schema the site serves at ``/api/v1/schema/`` (drf-spectacular's generator, the same
document), generates requests for every public operation and sends them straight to the Django WSGI app;
each answer must be no server error and have a declared status code, content type and body shape. The demo
county is seeded first so that generated ids and codes land on real published disclosures, divisions,
categories and closed complaints (``map_path_parameters``), not only on 404s. Bounded and derandomized:
the same requests on every run.
"""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Real ids and codes of the seeded demo county by path parameter name, or by (path, name) where an operation
# reads only one kind of disclosure (filled by the ``demo_county`` fixture).
REAL = {}

_served = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
# Django's WSGI handler itself, not ``sunshine.wsgi``: importing that module turns on the web requests' database
# time limits for the whole process, and with them every later test's connections in this pytest worker.
_served.app = get_wsgi_application()
schema = _served.exclude(path_regex="^/api/v1/staff/")
# Staff reads, as the county administrator (every permission, the whole county) with an API token.
staff_schema = _served.include(path_regex="^/api/v1/staff/", method="GET")


# Registered once: the public and staff views of the schema share their hooks.
@_served.hook
def map_path_parameters(context, path_parameters):
    """Every other generated value is replaced by a real one, picked by the value itself so runs repeat:
    half the requests read existing rows, the other half keep the random value and must answer 404."""
    mapped = dict(path_parameters or {})
    for name, value in mapped.items():
        choices = REAL.get((context.operation.path, name)) or REAL.get(name)
        index = sum(str(value).encode())
        if choices and index % 2 == 0:
            mapped[name] = choices[(index // 2) % len(choices)]
    return mapped


@pytest.fixture(scope="module")
def demo_county(django_db_setup, django_db_blocker):
    """The demo county, seeded once for this module's operations and rolled back after the last one."""
    from complaints.models import Complaint, ComplaintCategory
    from complaints.selectors import public_results
    from disclosures.models import Category, Kind
    from disclosures.selectors import public_disclosures
    from villages.models import Division

    # The WSGI handler closes "old" connections around each request; inside this transaction that would
    # poison it. Django's own test client disconnects the same two receivers for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            call_command("seed_demo", verbosity=0)
            disclosures = public_disclosures().order_by("pk")
            REAL.update(
                id=list(disclosures.values_list("pk", flat=True)),
                code=list(Division.objects.order_by("path").values_list("code", flat=True)),
                service_code=list(ComplaintCategory.objects.order_by("pk").values_list("service_code", flat=True)),
                tracking_code=list(public_results().order_by("pk").values_list("tracking_code", flat=True)),
            )
            for kind, path in ((Kind.ROSTER, "entries"), (Kind.LEDGER, "ledger")):
                of_kind = disclosures.filter(category__kind=kind).values_list("pk", flat=True)
                REAL[(f"/api/v1/disclosures/{{id}}/{path}/", "id")] = list(of_kind)
            REAL[("/api/v1/staff/complaints/{id}/", "id")] = list(Complaint.objects.values_list("pk", flat=True))
            rosters = Category.objects.filter(kind=Kind.ROSTER, is_active=True).values_list("slug", flat=True)
            REAL[("/api/v1/staff/roster-imports/templates/{slug}/", "slug")] = list(rosters)
            admin = get_user_model().objects.get(username="county_admin")
            REAL["token"] = Token.objects.get_or_create(user=admin)[0].key
            yield
        finally:
            REAL.clear()
            transaction.set_rollback(True)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


FUZZ_SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    # ``db`` is function-scoped but the requests only read: nothing differs between generated inputs.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_public_api_answers_match_the_openapi_schema(case, demo_county, db):
    case.call_and_validate(checks=CHECKS)


@staff_schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=10)
def test_staff_reads_match_the_openapi_schema(case, demo_county, db):
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Token {REAL['token']}"})


def test_answers_the_schema_once_got_wrong_now_match_it(demo_county, db):
    """The known mismatches, read on purpose: a corrected disclosure's revisions (a plain list, declared
    paginated before), the county (parent_code null, declared a string before), and each error answer."""
    from complaints.selectors import public_results
    from disclosures.models import Disclosure, Kind
    from disclosures.selectors import public_disclosures
    from villages.models import Division, Level

    disclosures = public_disclosures().order_by("pk")
    corrected = disclosures.filter(current_revision__number__gt=1).first()
    roster = disclosures.filter(category__kind=Kind.ROSTER).first()
    ledger = disclosures.filter(category__kind=Kind.LEDGER).first()
    county = Division.objects.get(level=Level.COUNTY)
    missing = Disclosure.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    reads = [
        ("/api/v1/disclosures/{id}/revisions/", {"id": corrected.pk}, {}, 200),
        ("/api/v1/divisions/{code}/", {"code": county.code}, {}, 200),
        ("/api/v1/divisions/", {}, {"level": "county"}, 200),
        ("/api/v1/disclosures/{id}/entries/", {"id": roster.pk}, {"revision": "1"}, 200),
        ("/api/v1/disclosures/{id}/ledger/", {"id": ledger.pk}, {}, 200),
        ("/api/v1/complaint-results/{tracking_code}/", {"tracking_code": public_results()[0].tracking_code}, {}, 200),
        ("/api/v1/disclosures/{id}/", {"id": missing}, {}, 404),
        ("/api/v1/disclosures/{id}/entries/", {"id": ledger.pk}, {}, 404),
        ("/api/v1/disclosures/{id}/entries/", {"id": roster.pk}, {"revision": "x"}, 400),
        ("/api/v1/disclosures/", {}, {"page": "999"}, 404),
        ("/api/v1/disclosures/", {}, {"phase": "later"}, 400),
        ("/api/v1/divisions/", {}, {"parent": "x"}, 400),
    ]
    answers = []
    for path, path_parameters, query, status in reads:
        case = schema[path]["GET"].Case(path_parameters=path_parameters, query=query)
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == status, (path, path_parameters, query)
        answers.append(response.json())
    assert [r["number"] for r in answers[0]] == list(range(1, corrected.current_revision.number + 1))
    assert answers[1]["parent_code"] is None and answers[2]["results"][0]["parent_code"] is None


def test_an_api_url_no_route_matches_answers_json_and_a_page_url_html(client):
    api = client.get("/api/v1/disclosures/0.5/")
    assert api.status_code == 404 and api.json() == {"detail": "找不到。"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "找不到这个页面" in page.content.decode()  # in Chinese, with the way home


def test_the_fuzzed_schema_is_the_one_the_site_serves(client):
    served = client.get("/api/v1/schema/", {"format": "json"})
    assert served.status_code == 200
    assert served.json() == SchemaGenerator().get_schema(request=None, public=True)
