"""What a new user met on the public disclosure pages: announcement, payout and comparison now lead to each other
both ways; every public term carries a 这是什么？ in plain words; roster cells carry their column's label for the
stacked phone layout, and the objection link names what it does."""

import re

from disclosures.views import disclosure_url
from tests.disclosures.helpers import entry, published_roster


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_announcement_payout_and_comparison_link_both_ways(client, world, categories, crew):
    pre = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    before = page(client, disclosure_url(pre))
    assert "发放结果尚未公开" in before
    post = published_roster(*crew, world.v1, categories["dibao"], phase="post", pre=pre, rows=[entry("张三", 500)])
    announced = page(client, disclosure_url(pre))
    comparison_href = f'href="{disclosure_url(post, "reconciliation")}"'
    assert f'href="{disclosure_url(post)}"' in announced and comparison_href in announced
    paid = page(client, disclosure_url(post))
    assert f'href="{disclosure_url(pre)}"' in paid and f'href="{disclosure_url(post, "reconciliation")}"' in paid
    comparison = page(client, disclosure_url(post, "reconciliation"))
    assert f'href="{disclosure_url(pre)}"' in comparison and f'href="{disclosure_url(post)}"' in comparison


def test_public_terms_are_explained_in_place(client, world, categories, crew):
    pre = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    post = published_roster(*crew, world.v1, categories["dibao"], phase="post", pre=pre, rows=[entry("张三", 500)])
    explained = re.compile(r"<details class=\"term\"><summary>“([^”]+)”是什么？</summary><p>[^<]{20,}</p></details>")
    assert {"拟享受名单公示", "内容校验码（SHA-256）"} <= set(explained.findall(page(client, disclosure_url(pre))))
    assert "发放结果公开" in explained.findall(page(client, disclosure_url(post)))
    assert "核对结果" in explained.findall(page(client, disclosure_url(post, "reconciliation")))
    assert "订阅（Atom）" in explained.findall(page(client, "/"))
    assert "办理结果" in explained.findall(page(client, "/complaints/results/"))


def test_the_class_column_is_explained_where_the_roster_shows_it(client, world, categories, crew):
    category = categories["dibao"]
    category.public_fields = ["name", "group", "assistance_class", "amount"]
    category.save(update_fields=["public_fields"])
    pre = published_roster(*crew, world.v1, category, rows=[entry("张三", 500)])
    assert "“类别 / 档次”是什么？" in page(client, disclosure_url(pre))


def test_roster_cells_carry_their_labels_for_the_phone_layout(client, world, categories, crew):
    pre = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    html = page(client, disclosure_url(pre))
    assert '<table class="roster stack">' in html
    assert '<td class="summary" data-label="姓名">张三</td>' in html
    assert 'data-label="金额（元）">500' in html
    assert re.search(r'<td class="no-print action"><a href="[^"]+">对此人有异议</a></td>', html)


def test_the_home_page_offers_self_query_filing_and_following(client, world):
    html = page(client, "/")
    entries = re.search(r'<ul class="entries">.*?</ul>', html, re.S).group(0)
    assert ">我的补贴<" in entries and 'href="/complaints/new/">我要留言<' in entries
    assert 'href="/complaints/track/">查询留言<' in entries
