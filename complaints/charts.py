"""The chart of the townships' complaint figures on the public results page: on-time acceptance, on-time
conclusion and satisfaction, each with its sample size (``selectors.township_figures``, one query)."""

from sunshine.charts import Row, Series, bar_chart

ACCEPTED = Series("accepted", "按期受理率", "#0b57d0", short="受理")
CONCLUDED = Series("concluded", "按期办结率", "#1a7f37", "hatch", short="办结")
SATISFIED = Series("satisfied", "满意率", "#9a6700", "dots", short="满意")


def figure_text(pct, n):
    """``85% n=20``; ``无样本`` when nothing has been decided or rated yet (no bar is drawn)."""
    return f"{pct}% n={n}" if pct is not None else f"无样本 n={n}"


def township_chart(figures):
    rows = []
    for row in figures:
        values = [row["accept_pct"], row["conclude_pct"], row["satisfaction_pct"]]
        texts = [
            figure_text(row["accept_pct"], row["accept_n"]),
            figure_text(row["conclude_pct"], row["conclude_n"]),
            figure_text(row["satisfaction_pct"], row["rated_n"]),
        ]
        rows.append(Row(row["township__name"], values, texts, [str(row["received"]), *texts]))
    return bar_chart(
        chart_id="township-complaints",
        title="按期受理率、按期办结率和满意率（n 为样本数）",
        description="各乡镇按期受理率、按期办结率和满意率的条形图，每个数字后的 n 为样本数；数字见图下的表。",
        series=[ACCEPTED, CONCLUDED, SATISFIED],
        headers=["乡镇", "收到", "按期受理", "按期办结", "满意率"],
        rows=rows,
        note="n 为样本数：按期受理、按期办结按已作出决定的件数计算；满意率按已评价件数计算（满意与基本满意）。",
        scale_max=100,
        percent=True,
        table_open=True,
    )
