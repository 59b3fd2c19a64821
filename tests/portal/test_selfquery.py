"""我的补贴: a resident finds every published roster line of theirs by name and ID number, and nothing leaks."""

import logging
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from disclosures import services as s
from disclosures.categories import seed_categories
from disclosures.demo import demo_id
from disclosures.models import Category
from portal import selfquery
from sunshine.audit.models import AuditEvent
from sunshine.identity import person_key
from tests import factories as f
from tests.disclosures.helpers import approve_and_publish, draft_roster, entry, published_roster
from villages.models import Role

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
IDS = [demo_id(n) for n in range(900, 906)]  # valid numbers (checksums right), none of the demo county's people
ME, OTHER = IDS[0], IDS[1]


def wrong_check(number):
    return number[:-1] + ("1" if number[-1] != "1" else "2")


@pytest.fixture
def categories(db):
    seed_categories()
    return {c.slug: c for c in Category.objects.all()}


@pytest.fixture
def crew(clerk_v1, reviewer_t1, discipline_t1):
    return clerk_v1, reviewer_t1, discipline_t1


@pytest.fixture
def crew_v2(world, reviewer_t1, discipline_t1):
    """乙村's clerk and the same two reviewers of 一乡."""
    return f.staff("clerk_v2", Role.VILLAGE_CLERK, world.v2), reviewer_t1, discipline_t1


def ask(client, name, id_number, **extra):
    return client.post("/my/", {"name": name, "id_number": id_number}, **extra)


def api(client, name, id_number, **extra):
    return client.post(
        "/api/v1/lookup/", {"name": name, "id_number": id_number}, content_type="application/json", **extra
    )


def pair(crew, village, category, period, announced, paid):
    """A published pre roster and its published payout; ``None`` leaves the person off that roster."""
    pre_rows = [entry("李四", 300, id_number=OTHER)] + ([entry("张三", announced, id_number=ME)] if announced else [])
    paid_rows = [entry("李四", 300, id_number=OTHER)] + ([entry("张三", paid, id_number=ME)] if paid else [])
    pre = published_roster(*crew, village, category, period=period, phase="pre", rows=pre_rows)
    post = published_roster(*crew, village, category, period=period, phase="post", rows=paid_rows, pre=pre)
    return pre, post


def flags(lines):
    return {(line.category_slug, line.period): line.flag for line in lines}


# --- the demo resident ------------------------------------------------------------------------------------------


def test_demo_resident_sees_several_categories_and_the_announcement_never_paid(db, capsys):
    from disclosures.demo import DEMO_RESIDENT_ID, DEMO_RESIDENT_NAME

    call_command("seed_demo")
    assert f"{DEMO_RESIDENT_NAME}  {DEMO_RESIDENT_ID}" in capsys.readouterr().out  # printed for the README's reader
    response = ask(Client(), DEMO_RESIDENT_NAME, DEMO_RESIDENT_ID)
    assert response.status_code == 200
    text = response.content.decode()
    for category in ("最低生活保障（低保）", "耕地地力保护补贴", "其他惠农补贴"):
        assert category in text
    assert "东坪村" in text and "石门村" in text
    assert text.count("公示了但未发放") == 2  # the line's flag, and the explanation of the term
    assert "/d/360123100001/dibao/2026-10/pre/" in text

    answer = api(Client(), DEMO_RESIDENT_NAME, DEMO_RESIDENT_ID).json()
    assert {(line["category_slug"], line["period"], line["flag"]) for line in answer["lines"]} == {
        ("dibao", "2026-10", "announced_not_paid"),
        ("gengdi", "2026", "as_announced"),
        ("huinong", "2026", "as_announced"),
    }
    unpaid = next(line for line in answer["lines"] if line["category_slug"] == "dibao")
    assert unpaid["announced"]["amount"] == "480.00" and unpaid["paid"] is None and unpaid["is_anomaly"]


# --- what is found -----------------------------------------------------------------------------------------------


def test_every_village_category_and_period_with_pre_beside_post(world, categories, crew):
    pair(crew, world.v1, categories["dibao"], "2026-09", 500, 500)
    pair(crew, world.v1, categories["dibao"], "2026-10", 520, 480)
    pair(crew, world.v1, categories["tekun"], "2026-10", 900, None)
    published_roster(*crew, world.v1, categories["gengdi"], period="2026", phase="post",
                     rows=[entry("张三", 100, id_number=ME)])  # fmt: skip
    lines = selfquery.lookup(name="张三", key=person_key(ME))
    assert flags(lines) == {
        ("dibao", "2026-09"): selfquery.Flag.AS_ANNOUNCED,
        ("dibao", "2026-10"): selfquery.Flag.AMOUNT_DIFFERS,
        ("tekun", "2026-10"): selfquery.Flag.ANNOUNCED_NOT_PAID,
        ("gengdi", "2026"): selfquery.Flag.PAID_NOT_ANNOUNCED,
    }
    differs = next(line for line in lines if line.flag == selfquery.Flag.AMOUNT_DIFFERS)
    assert (differs.announced.amount, differs.paid.amount) == (520, 480)
    assert differs.paid.url == f"/d/{world.v1.code}/dibao/2026-10/post/"
    assert [line.period for line in lines if line.category_slug == "dibao"] == ["2026-10", "2026-09"]  # newest first


def test_a_continuing_payment_is_not_flagged_and_an_announcement_before_its_payout_waits(
    world, categories, crew, crew_v2
):
    pair(crew, world.v1, categories["dibao"], "2026-09", 500, 500)
    published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="post",
                     rows=[entry("张三", 500, id_number=ME)])  # fmt: skip
    published_roster(*crew_v2, world.v2, categories["tekun"], period="2026-11", phase="pre",
                     rows=[entry("张三", 900, id_number=ME)])  # fmt: skip
    lines = selfquery.lookup(name="张三", key=person_key(ME))
    assert flags(lines) == {
        ("dibao", "2026-09"): selfquery.Flag.AS_ANNOUNCED,
        ("dibao", "2026-10"): selfquery.Flag.CONTINUING,
        ("tekun", "2026-11"): selfquery.Flag.AWAITING_PAYOUT,
    }
    assert not any(line.is_anomaly for line in lines)


def test_names_are_compared_as_people_type_them(world, categories, crew):
    published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="pre",
                     rows=[entry("阿依古丽·买买提", 500, id_number=ME)])  # fmt: skip
    for typed in ("阿依古丽·买买提", " 阿依古丽 ・买买提 ", "阿依古丽.买买提"):
        assert len(selfquery.lookup(name=typed, key=person_key(ME))) == 1, typed
    assert selfquery.lookup(name="阿依古丽", key=person_key(ME)) == []
    # the ID as people type it: spaces, a lower-case x and full-width digits are normalised
    typed_id = " ".join(IDS[2][i : i + 6] for i in range(0, 18, 6)).lower().replace("1", "１")
    published_roster(*crew, world.v1, categories["tekun"], period="2026-10", phase="pre",
                     rows=[entry("王五", 900, id_number=IDS[2])])  # fmt: skip
    assert "特困人员救助供养" in ask(Client(), "王五", typed_id).content.decode()


def test_only_the_current_published_version_of_a_public_roster_counts(world, categories, crew, inspector):
    clerk, reviewer, discipline = crew
    both = [entry("张三", 500, id_number=ME), entry("李四", 300, id_number=OTHER)]
    corrected = published_roster(*crew, world.v1, categories["dibao"], period="2026-09", phase="post", rows=both)
    correction = s.disclosure_open_correction(actor=clerk, disclosure=corrected, reason="张三不符合条件")
    s.revision_replace_entries(actor=clerk, revision=correction, entries=[entry("李四", 300, id_number=OTHER)])
    s.disclosure_submit(disclosure=corrected, actor=clerk)
    approve_and_publish(corrected, reviewer, discipline)  # v1 (with 张三) is superseded

    amended = published_roster(*crew, world.v1, categories["tekun"], period="2026-09", phase="post",
                               rows=[entry("张三", 800, id_number=ME)])  # fmt: skip
    correction = s.disclosure_open_correction(actor=clerk, disclosure=amended, reason="金额更正")
    s.revision_replace_entries(actor=clerk, revision=correction, entries=[entry("张三", 850, id_number=ME)])
    s.disclosure_submit(disclosure=amended, actor=clerk)
    approve_and_publish(amended, reviewer, discipline)

    taken_down = published_roster(*crew, world.v1, categories["linshi"], period="2026-09-01", phase="post",
                                  rows=[entry("张三", 2000, id_number=ME)])  # fmt: skip
    s.disclosure_take_down(disclosure=taken_down, actor=inspector, reason="超过保留期")
    in_review = draft_roster(clerk, world.v1, categories["weifang"], period="2026", phase="pre",
                             rows=[entry("张三", 30000, id_number=ME)])  # fmt: skip
    s.disclosure_submit(disclosure=in_review, actor=clerk)
    draft_roster(clerk, world.v1, categories["gengdi"], period="2026", phase="pre",
                 rows=[entry("张三", 100, id_number=ME)])  # fmt: skip

    lines = selfquery.lookup(name="张三", key=person_key(ME))
    assert [(line.category_slug, line.paid.amount) for line in lines] == [("tekun", 850)]


def test_amounts_and_groups_only_where_the_category_publishes_them(world, categories, crew):
    Category.objects.filter(pk=categories["dibao"].pk).update(public_fields=["name"])
    published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="pre",
                     rows=[entry("张三", 500, id_number=ME)])  # fmt: skip
    (line,) = selfquery.lookup(name="张三", key=person_key(ME))
    assert line.announced.amount is None and line.announced.group == ""
    assert "500" not in ask(Client(), "张三", ME).content.decode().split('id="answer"')[1].split("</section>")[0]


# --- the same answer for unknown and mismatched -----------------------------------------------------------------


def test_unknown_id_and_wrong_name_give_the_same_answer(world, categories, crew):
    published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="pre",
                     rows=[entry("张三", 500, id_number=ME)])  # fmt: skip
    client = Client()
    wrong_name = ask(client, "张四", ME)
    unknown = ask(client, "张四", IDS[3])
    assert wrong_name.status_code == unknown.status_code == 200
    assert CSRF.sub("", wrong_name.content.decode()) == CSRF.sub("", unknown.content.decode())
    assert "没有找到与这个姓名和身份证号都相符的已公开记录" in unknown.content.decode()
    api_wrong, api_unknown = api(client, "张四", ME), api(client, "张四", IDS[3])
    assert api_wrong.status_code == api_unknown.status_code == 200
    assert api_wrong.content == api_unknown.content == b'{"lines":[]}'
    assert "张三" in ask(client, "张三", ME).content.decode()  # the right pair does find it


# --- limits ------------------------------------------------------------------------------------------------------


def test_one_person_is_looked_up_a_few_times_a_day_from_any_client(world, settings):
    settings.SELFQUERY_RATE_LIMITS = {"person": (2, 86400)}
    for n in range(2):
        assert ask(Client(REMOTE_ADDR=f"10.0.0.{n}"), "张三", ME).status_code == 200
    refused = ask(Client(REMOTE_ADDR="10.0.0.9"), "张三", ME)
    assert refused.status_code == 429 and refused["Retry-After"] == "86400"
    assert "查询次数太多" in refused.content.decode()
    assert 'value="张三"' in refused.content.decode()  # the name typed is kept, the ID is not
    assert api(Client(REMOTE_ADDR="10.0.0.10"), "张三", ME).status_code == 429  # the API counts the same person
    assert ask(Client(REMOTE_ADDR="10.0.0.9"), "张三", OTHER).status_code == 200  # another person is not limited


def test_one_browser_and_one_address_are_limited_whatever_ids_they_try(world, settings):
    settings.SELFQUERY_RATE_LIMITS = {"session": (3, 3600), "address": (5, 3600)}
    browser = Client(REMOTE_ADDR="10.0.0.1")
    assert [ask(browser, "张三", number).status_code for number in IDS[:4]] == [200, 200, 200, 429]
    other_browser = Client(REMOTE_ADDR="10.0.0.1")
    assert [ask(other_browser, "张三", number).status_code for number in IDS[:2]] == [200, 429]  # address: 5
    script = Client(REMOTE_ADDR="10.0.0.2")
    answers = [api(script, "张三", number) for number in IDS[:5]]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200]
    refused = api(script, "张三", IDS[5])
    assert refused.status_code == 429 and refused.json() == {"detail": "查询次数太多，请明天再试。"}
    assert refused["Retry-After"] == "3600"


def test_a_kiosk_is_limited_per_person_only(world, settings):
    settings.SELFQUERY_RATE_LIMITS = {"session": (1, 3600), "address": (1, 3600)}
    settings.RATELIMIT_KIOSK_ADDRESSES = ["10.9.9.9"]
    kiosk = Client(REMOTE_ADDR="10.9.9.9")
    assert [ask(kiosk, "张三", number).status_code for number in IDS[:3]] == [200, 200, 200]


def test_a_form_error_costs_no_lookup(world, settings):
    settings.SELFQUERY_RATE_LIMITS = {"session": (1, 3600)}
    client = Client()
    assert ask(client, "张三", wrong_check(ME)).status_code == 200  # bad checksum
    assert ask(client, "张三", ME).status_code == 200


# --- privacy -------------------------------------------------------------------------------------------------------


def test_the_id_never_reaches_logs_audit_events_or_answers(world, categories, crew, caplog, settings):
    published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="pre",
                     rows=[entry("张三", 500, id_number=ME)])  # fmt: skip
    settings.SELFQUERY_RATE_LIMITS = {"person": (2, 86400)}
    events = AuditEvent.objects.count()
    secrets = [ME, ME[:6], ME[-6:], person_key(ME), person_key(OTHER), OTHER]
    client = Client()
    with caplog.at_level(logging.DEBUG):
        answers = [
            ask(client, "张三", ME),  # found
            ask(client, "张四", OTHER),  # not found
            api(client, "张三", ME),
            ask(client, "张三", ME),  # refused (person limit)
            api(client, "张四", OTHER),
            ask(client, "张三", wrong_check(OTHER)),  # bad checksum: a form error
            api(client, "张三", wrong_check(OTHER)),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 200, 200, 400]
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    for answer in answers:
        body = answer.content.decode()
        assert not any(secret in body for secret in secrets), body
        assert "no-store" in answer["Cache-Control"]
    assert "Too Many Requests" in logged  # the log did record the requests ...
    assert not any(secret in logged for secret in secrets)  # ... and nothing of what was typed
    assert AuditEvent.objects.count() == events


def test_the_form_never_writes_the_id_back_and_summarises_errors(world):
    client = Client()
    page = client.get("/my/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    bad = wrong_check(ME)
    answer = ask(client, "张三", bad)
    text = answer.content.decode()
    assert bad not in text and 'name="id_number" value=' not in text
    assert 'id="error-summary"' in text and 'href="#id_id_number"' in text and "身份证号：身份证号校验位错误" in text
    assert '<label for="id_id_number">身份证号</label>' in text
    missing = ask(client, "", "").content.decode()
    assert 'href="#id_name"' in missing and 'href="#id_id_number"' in missing
    assert 'name="id_number" value=' not in client.get(f"/my/?id_number={ME}").content.decode()  # no prefill


def test_error_reports_hide_what_was_typed(world, rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.views.debug import SafeExceptionReporterFilter

    from portal.views import my_subsidies

    request = rf.post("/my/", {"name": "张三", "id_number": ME})
    request.session = SessionStore()
    my_subsidies(request)  # the view marks the request: a report of an error inside it would show stars
    cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
    assert cleansed["id_number"] != ME and cleansed["name"] == "张三"


# --- queries -------------------------------------------------------------------------------------------------------


def test_the_lookup_costs_the_same_queries_for_one_line_and_for_many(world, categories, crew, crew_v2):
    def cost(name="张三", number=ME):
        client = Client()
        client.get("/my/")
        with CaptureQueriesContext(connection) as ctx:
            assert ask(client, name, number).status_code == 200
        with CaptureQueriesContext(connection) as direct:
            selfquery.lookup(name=name, key=person_key(number))
        return len(ctx.captured_queries), len(direct.captured_queries)

    pair(crew, world.v1, categories["dibao"], "2026-01", 500, None)
    one = cost()
    for period in ("2026-02", "2026-03", "2026-04"):
        pair(crew, world.v1, categories["dibao"], period, 500, None)
        pair(crew_v2, world.v2, categories["tekun"], period, 900, 900)
    assert cost() == one
    # the entries, their disclosures, and which payouts exist for the announcements without a payment
    assert one[1] == 3
    # an unknown ID and a wrong name cost the same single query
    assert cost("张三", IDS[4])[1] == cost("李五", ME)[1] == 1


# --- the API's answers match its OpenAPI schema -----------------------------------------------------------------


def _conforms(operation, answer):
    """Check a test-client answer against the documented operation (schemathesis; raises on a mismatch)."""
    import requests
    from schemathesis.core.transport import Response

    request = requests.Request("POST", "http://testserver/api/v1/lookup/").prepare()
    response = Response(
        status_code=answer.status_code,
        headers={name.lower(): [value] for name, value in answer.items()},
        content=answer.content,
        request=request,
        elapsed=0.0,
        message="",
        encoding="utf-8",
        http_version="1.1",
        verify=False,
    )
    operation.validate_response(response)


def test_every_kind_of_api_answer_matches_the_openapi_schema(db, settings):
    import schemathesis

    call_command("seed_demo", verbosity=0)
    from disclosures.demo import DEMO_RESIDENT_ID, DEMO_RESIDENT_NAME

    document = Client().get("/api/v1/schema/", {"format": "json"}).json()
    operation = schemathesis.openapi.from_dict(document)["/api/v1/lookup/"]["POST"]
    body = document["paths"]["/api/v1/lookup/"]["post"]
    assert body["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LookupRequest"
    }
    assert set(body["responses"]) == {"200", "400", "429"}
    assert document["components"]["schemas"]["LookupRequest"]["required"] == ["id_number", "name"]

    settings.SELFQUERY_RATE_LIMITS = {"person": (1, 86400)}
    client = Client()
    found = api(client, DEMO_RESIDENT_NAME, DEMO_RESIDENT_ID)
    answers = [
        found,
        api(client, "无此人", ME),
        api(client, "张三", "123"),
        api(client, DEMO_RESIDENT_NAME, DEMO_RESIDENT_ID),
    ]
    assert [a.status_code for a in answers] == [200, 200, 400, 429]
    assert any(line["paid"] is None for line in found.json()["lines"])  # the nullable sides are exercised
    for answer in answers:
        _conforms(operation, answer)
    with pytest.raises(Exception, match="category"):  # and the check can fail
        found.content = found.content.replace(b'"category":"', b'"category":1,"x":"')
        _conforms(operation, found)
