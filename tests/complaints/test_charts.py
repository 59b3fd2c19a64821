"""The township chart on the public results page: on-time rates and satisfaction with their sample sizes, the
same numbers in the SVG and in the table, one query for the figures, 暂无数据 before any complaint."""

import pytest
from django.urls import reverse

from complaints import services
from tests.charts import bars, figure, svg_texts, table_rows


def answered(world, cat, clerk, rating="satisfied"):
    complaint, _ = services.complaint_submit(
        category=cat["environment"], village=world.v1, text="路灯坏了", name="张某"
    )
    services.complaint_accept(complaint=complaint, actor=clerk)
    services.complaint_start(complaint=complaint, actor=clerk)
    services.complaint_reply(complaint=complaint, actor=clerk, reply="已修复。", outcome="substantiated")
    services.complaint_close(complaint=complaint, actor=clerk)
    if rating:
        services.complaint_rate(complaint=complaint, rating=rating)
    return complaint


def results(client):
    return figure(client.get(reverse("complaints:results")).content.decode(), "township-complaints")


def test_the_chart_and_its_table_show_each_rate_with_its_sample_size(client, world, cat, clerk_v1):
    answered(world, cat, clerk_v1, rating="satisfied")
    answered(world, cat, clerk_v1, rating="unsatisfied")
    answered(world, cat, clerk_v1, rating="")
    services.complaint_submit(category=cat["environment"], village=world.v3, text="垃圾没人收", name="李某")
    fig = results(client)
    assert table_rows(fig) == {
        "一乡": ["3", "100% n=3", "100% n=3", "50% n=2"],
        "二乡": ["1", "无样本 n=0", "无样本 n=0", "无样本 n=0"],  # received, nothing decided or rated yet
    }
    texts = svg_texts(fig)
    assert {"受理 100% n=3", "办结 100% n=3", "满意 50% n=2", "受理 无样本 n=0", "满意 无样本 n=0"} <= set(texts)
    assert {"一乡", "二乡", "0%", "100%"} <= set(texts)  # row labels and the scale
    full, half = (float(b.get("width")) for b in bars(fig)[1:3])
    assert len(bars(fig)) == 3 and abs(full - 2 * half) < 0.2  # 二乡 has no sample: no bar, only its words


def test_before_any_complaint_the_results_page_says_no_data(client, db):
    fig = results(client)
    assert "暂无数据" in fig and "<svg" not in fig


@pytest.mark.parametrize("count", [1, 6])
def test_the_chart_adds_no_query(count, client, world, cat, clerk_v1, django_assert_num_queries):
    for _ in range(count):
        answered(world, cat, clerk_v1)
    with django_assert_num_queries(3):  # count + page + township figures, as before the chart
        assert "满意 100% n=" in client.get(reverse("complaints:results")).content.decode()
