"""Inspectors' anomaly leads and per-township figures in the admin: detection, jurisdiction, privacy, exports."""

import io
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from disclosures import services as s
from disclosures.demo import demo_id
from disclosures.models import Category
from sunshine.audit.models import AuditEvent
from sunshine.identity import mask_id, person_key
from tests import factories as f
from tests.disclosures.helpers import IDS, draft_roster, entry, published_roster
from villages.models import Role, StaffRelative, VillageCadre

PAGE = "/admin/disclosures/anomalyreport/"
FIGURES = "/admin/disclosures/townshipreport/"
BANK = "6222020200112233445"


def export_url(kind, query=""):
    return f"{PAGE}export/{kind}.xlsx{query}"


def change_url(disclosure):
    return f"/admin/disclosures/disclosure/{disclosure.pk}/change/"


@pytest.fixture
def leads(world, categories, crew, clerk_v3, reviewer_t2, discipline_t2):
    """One lead of every kind in 一乡 甲村 (v1); 二乡 丙村 (v3) shares 张三 on the same roster slot."""
    clerk, reviewer, discipline = crew
    dibao = categories["dibao"]
    # a. 张三 (IDS[0]) on 甲村's and 丙村's 2026-10 pre rosters, both submitted; 乙村's draft does not count.
    v1 = draft_roster(
        clerk,
        world.v1,
        dibao,
        rows=[
            entry("张三", 500, id_number=IDS[0], bank=BANK),
            entry("李四", 400, id_number=IDS[1]),  # b. reviewer_t1's registered mother
            entry("王五", 450, id_number=IDS[2]),  # b. 甲村's village head himself
            entry("赵六", 1500, id_number=IDS[3]),  # c. above the range set below
        ],
    )
    s.disclosure_submit(disclosure=v1, actor=clerk)
    v3 = draft_roster(clerk_v3, world.v3, dibao, rows=[entry("张三", 500, id_number=IDS[0])])
    s.disclosure_submit(disclosure=v3, actor=clerk_v3)
    clerk_v2 = f.staff("clerk_v2", Role.VILLAGE_CLERK, world.v2)
    v2_draft = draft_roster(clerk_v2, world.v2, dibao, rows=[entry("张三", 500, id_number=IDS[0])])
    StaffRelative.objects.create(user=reviewer, name="李四", person_key=person_key(IDS[1]), relation="母亲")
    VillageCadre.objects.create(division=world.v1, name="王五", position="村主任", person_key=person_key(IDS[2]))
    VillageCadre.objects.create(
        division=world.v1, name="钱七", position="会计", person_key=person_key(IDS[4]), is_active=False
    )
    Category.objects.filter(pk=dibao.pk).update(amount_min=Decimal("100"), amount_max=Decimal("1000"))
    # d. September: 孙八 announced and paid; 周九 paid but never announced; 吴十 announced but not paid.
    pre = published_roster(
        clerk,
        reviewer,
        discipline,
        world.v1,
        dibao,
        period="2026-09",
        rows=[entry("孙八", 300, id_number=demo_id(1)), entry("吴十", 300, id_number=demo_id(3))],
    )
    post = published_roster(
        clerk,
        reviewer,
        discipline,
        world.v1,
        dibao,
        period="2026-09",
        phase="post",
        pre=pre,
        rows=[entry("孙八", 300, id_number=demo_id(1)), entry("周九", 300, id_number=demo_id(2))],
    )
    return type("Leads", (), {"v1": v1, "v3": v3, "v2_draft": v2_draft, "pre": pre, "post": post})


def page(client, user, query=""):
    client.force_login(user)
    response = client.get(PAGE + query)
    return response, response.content.decode() if response.status_code == 200 else ""


def section(html, kind):
    """The HTML of one list on the page."""
    start = html.index(f'id="{kind}"')
    end = html.find('<div class="module" id="', start + 1)
    return html[start : end if end != -1 else len(html)]


def test_each_kind_of_lead_is_found(client, leads, inspector):
    response, html = page(client, inspector, "?period=2026-10")
    assert response.status_code == 200
    cross = section(html, "cross_village")
    assert "张三" in cross and "二乡 丙村" in cross and "一乡 甲村" in cross
    assert change_url(leads.v1) in cross and change_url(leads.v3) in cross
    assert "乙村" not in cross and change_url(leads.v2_draft) not in html  # drafts never count
    assert "李四" not in cross and "王五" not in cross
    related = section(html, "related")
    assert "李四" in related and "reviewer_t1" in related and "母亲" in related
    assert "王五" in related and "村主任" in related
    assert "钱七" not in related  # no longer in office
    out = section(html, "out_of_range")
    assert "赵六" in out and "1500" in out and "100.00–1000.00" in out
    assert "张三" not in out
    _response, html = page(client, inspector, "?period=2026-09")
    recon = section(html, "reconciliation")
    assert "周九" in recon and "已发放但未公示" in recon
    assert "吴十" in recon and "已公示但未发放" in recon
    assert "孙八" not in recon  # paid as announced is no anomaly
    assert change_url(leads.post) in recon


def test_the_page_opens_on_the_latest_payout_period(client, leads, inspector, categories, crew, world):
    """A county's every period at once is more than a page can hold: one period at a time, the current first."""
    _response, html = page(client, inspector)
    picker = html[html.index('name="period"') : html.index("</select>", html.index('name="period"'))]
    assert 'value="2026-09" selected' in picker and 'value="2026-10"' in picker and 'value=""' not in picker
    assert "周九" in section(html, "reconciliation") and "张三" not in section(html, "cross_village")
    published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="post", rows=[entry("孙八", 300)])
    _response, html = page(client, inspector)
    assert 'value="2026-10" selected' in html and "张三" in section(html, "cross_village")
    assert "周九" not in section(html, "reconciliation")


def test_filters_narrow_every_list(client, leads, inspector, categories, world):
    _response, html = page(client, inspector, "?period=2026-09")
    assert "张三" not in section(html, "cross_village") and "周九" in section(html, "reconciliation")
    _response, html = page(client, inspector, f"?period=2026-10&township={world.t2.pk}")
    cross = section(html, "cross_village")
    assert change_url(leads.v3) in cross and change_url(leads.v1) not in cross
    assert "周九" not in section(html, "reconciliation")
    _response, html = page(client, inspector, f"?category={categories['tekun'].pk}")
    assert "张三" not in html and "周九" not in html
    assert client.get(PAGE + f"?category={categories['caiwu'].pk}").status_code == 404  # not a roster category


@pytest.mark.parametrize("who", ["inspector", "county_admin"])
def test_county_roles_see_the_whole_county(client, leads, who, request):
    response, html = page(client, request.getfixturevalue(who), "?period=2026-10")
    assert response.status_code == 200
    assert change_url(leads.v1) in html and change_url(leads.v3) in html


@pytest.mark.parametrize(
    "who, own, other",
    [
        ("reviewer_t1", "t1", "t2"),
        ("discipline_t1", "t1", "t2"),
        ("reviewer_t2", "t2", "t1"),
        ("discipline_t2", "t2", "t1"),
    ],
)
def test_township_roles_see_their_township_only(client, leads, world, who, own, other, request):
    user = request.getfixturevalue(who)
    response, html = page(client, user, "?period=2026-10")
    assert response.status_code == 200
    own_roster, other_roster = (leads.v1, leads.v3) if own == "t1" else (leads.v3, leads.v1)
    assert change_url(own_roster) in html and change_url(other_roster) not in html
    assert page(client, user, f"?township={getattr(world, own).pk}")[0].status_code == 200
    assert page(client, user, f"?township={getattr(world, other).pk}")[0].status_code == 404
    assert client.get(export_url("cross_village", f"?township={getattr(world, other).pk}")).status_code == 404


def test_other_county_sees_nothing_and_clerks_are_refused(client, leads, world, other_county_inspector, clerk_v1):
    response, html = page(client, other_county_inspector)
    assert response.status_code == 200 and "张三" not in html and "周九" not in html
    assert page(client, other_county_inspector, f"?township={world.t1.pk}")[0].status_code == 404
    client.force_login(clerk_v1)
    for url in (PAGE, FIGURES, export_url("related"), f"{FIGURES}export/townships.xlsx"):
        assert client.get(url).status_code == 403, url
    assert "异常线索" not in client.get("/admin/").content.decode()
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the login page


def test_pages_are_in_the_app_list_for_inspectors(client, leads, inspector, reviewer_t1):
    for user in (inspector, reviewer_t1):
        client.force_login(user)
        index = client.get("/admin/").content.decode()
        assert PAGE in index and FIGURES in index


def test_no_full_id_or_bank_account_on_pages_or_in_exports(client, leads, inspector):
    client.force_login(inspector)
    outputs = [client.get(PAGE + "?period=2026-10").content, client.get(PAGE).content, client.get(FIGURES).content]
    for kind, period in itertools.product(
        ("cross_village", "related", "out_of_range", "reconciliation", "all"), (9, 10)
    ):
        outputs.append(_cells_text(client.get(export_url(kind, f"?period=2026-{period:02}")).content).encode())
    assert mask_id(IDS[0]) in outputs[0].decode()
    for output in outputs:
        text = output.decode()
        for secret in (*IDS, BANK, person_key(IDS[0])):
            assert secret not in text


def _cells_text(data):
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        "\t".join("" if c is None else str(c) for c in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def _rows(data):
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_export_holds_the_list_and_is_audited(client, leads, inspector, world):
    client.force_login(inspector)
    response = client.get(export_url("cross_village", f"?period=2026-10&township={world.t1.pk}"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _rows(response.content)
    assert "期间：2026-10" in rows[0][0] and "乡镇：一乡" in rows[0][0]
    assert rows[1][:8] == ["乡镇/村", "类别", "期间", "阶段", "版本", "姓名", "身份证号（脱敏）", "金额（元）"]
    assert rows[2][0] == "一乡 甲村" and rows[2][5] == "张三" and rows[2][6] == mask_id(IDS[0])
    assert rows[2][-1] == "二乡 丙村" and len(rows) == 3
    event = AuditEvent.objects.get(action="disclosure.anomalies_exported")
    assert event.actor_id == inspector.pk and event.division_id == world.t1.pk
    assert event.data == {
        "list": "cross_village",
        "rows": 1,
        "category": "",
        "period": "2026-10",
        "township": world.t1.pk,
    }
    recon = _rows(client.get(export_url("reconciliation", "?period=2026-09")).content)
    assert {r[3] for r in recon[2:]} == {"周九", "吴十"}
    assert AuditEvent.objects.filter(action="disclosure.anomalies_exported").count() == 2
    assert client.get(export_url("nonsense")).status_code == 404


def test_township_figures(client, leads, inspector, reviewer_t1, world):
    client.force_login(inspector)
    response = client.get(FIGURES)
    html = response.content.decode()
    assert response.status_code == 200 and "一乡" in html and "二乡" in html
    assert 'value="2026-09" selected' in html  # the newest month with a published payout
    data = _cells_text(client.get(f"{FIGURES}export/townships.xlsx?period=2026-09").content)
    assert "按时公开" in data and "逾期未公开" in data and "满意（含基本满意）" in data
    payouts = [line.split("\t") for line in data.splitlines() if line.startswith("一乡\t") and "低保" in line]
    assert [row[2:5] for row in payouts] == [["1", "2", "600"]]  # 一乡: one 低保 payout roster, 2 people, 600 yuan
    assert not AuditEvent.objects.filter(action="disclosure.anomalies_exported").exists()  # no names in it
    client.force_login(reviewer_t1)
    html = client.get(FIGURES).content.decode()
    assert "一乡" in html and "二乡" not in html


def _more_leads(world, categories, crew, clerk_v3, n, period):
    """``n`` more people of each kind, on new rosters of ``period``."""
    clerk, reviewer, discipline = crew
    dibao = categories["dibao"]
    base = 100 * int(period[-2:])
    people = [entry(f"甲{base + i}", 500, id_number=demo_id(base + i)) for i in range(n)]
    extra = [entry(f"乙{base + i}", 5000, id_number=demo_id(base + 50 + i)) for i in range(n)]
    for i in range(n):
        StaffRelative.objects.create(
            user=reviewer, name=f"甲{base + i}", person_key=people[i].person_key, relation="子"
        )
    d1 = draft_roster(clerk, world.v1, dibao, period=period, rows=[*people, *extra])
    s.disclosure_submit(disclosure=d1, actor=clerk)
    d3 = draft_roster(
        clerk_v3,
        world.v3,
        dibao,
        period=period,
        rows=[entry(p.name, 500, id_number=demo_id(base + i)) for i, p in enumerate(people)],
    )
    s.disclosure_submit(disclosure=d3, actor=clerk_v3)
    paid = [entry(f"乙{base + i}", 5000, id_number=demo_id(base + 50 + i)) for i in range(n)]  # never announced
    published_roster(clerk, reviewer, discipline, world.v1, dibao, period=period, phase="post", rows=paid)


def test_query_count_does_not_grow_with_rows(client, leads, world, categories, crew, clerk_v3, inspector):
    client.force_login(inspector)
    client.get(PAGE)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    # a June payout, so that July's has one to be compared with (a first payout has no anomalies to count)
    published_roster(*crew, world.v1, categories["dibao"], period="2026-06", phase="post", rows=[entry("孙八", 300)])
    _more_leads(world, categories, crew, clerk_v3, 2, "2026-07")
    _more_leads(world, categories, crew, clerk_v3, 12, "2026-08")
    html = client.get(PAGE + "?period=2026-08").content.decode()
    assert "甲811" in section(html, "cross_village") and "乙811" in section(html, "reconciliation")
    html = client.get(PAGE + "?period=2026-07").content.decode()
    assert "甲701" in section(html, "cross_village") and "乙701" in section(html, "reconciliation")
    assert "甲711" not in html
    for kind in ("", "export/related.xlsx", "export/all.xlsx"):
        small, large = (count(f"{PAGE}{kind}?period={period}") for period in ("2026-07", "2026-08"))
        assert small == large, kind
    assert count(FIGURES + "?period=2026-07") == count(FIGURES + "?period=2026-08")


def test_a_first_payout_with_nothing_to_compare_is_left_out(client, leads, inspector, world, categories, crew):
    _clerk, reviewer, discipline = crew
    rows = [entry("郑一", 300, id_number=demo_id(9))]
    first = published_roster(
        reviewer, reviewer, discipline, world.v2, categories["dibao"], period="2026-09", phase="post", rows=rows
    )
    _response, html = page(client, inspector)
    assert "郑一" not in section(html, "reconciliation") and change_url(first) not in html


def test_the_whole_report_is_one_workbook_with_a_sheet_per_list(client, leads, inspector):
    client.force_login(inspector)
    assert f'href="{export_url("all")}"' in page(client, inspector)[1]  # the page's main export button
    response = client.get(export_url("all", "?period=2026-10"))
    assert response.status_code == 200 and "%E5%BC%82%E5%B8%B8%E7%BA%BF%E7%B4%A2-" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [
        "同一人在多个村同期名单上",
        "工作人员近亲属、村干部本人",
        "金额超出类别范围",
        "发放核对异常",
    ]
    sheets = {name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}
    for rows in sheets.values():
        assert "期间：2026-10" in rows[0][0]
    assert sheets["同一人在多个村同期名单上"][1][:3] == ["乡镇/村", "类别", "期间"]
    assert {r[5] for r in sheets["工作人员近亲属、村干部本人"][2:]} == {"李四", "王五"}
    assert sheets["发放核对异常"][1][5] == "核对结果" and len(sheets["发放核对异常"]) == 2  # none in October
    event = AuditEvent.objects.get(action="disclosure.anomalies_exported")
    assert event.object_repr == "全部异常线索" and event.data["list"] == "all"
    assert event.data["rows"] == 5  # 张三 twice, 李四, 王五, 赵六
