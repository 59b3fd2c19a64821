"""Read queries that combine several domain apps."""

from complaints.selectors import township_figures as complaint_township_figures
from disclosures.selectors import township_disclosure_figures


def township_figures(user, *, period="", today=None):
    """乡镇统计: per township in the user's jurisdiction, the disclosure figures (calendar standing, payout
    rosters of ``period``) and the complaint figures with their sample sizes. Six queries whatever the
    number of townships; returns ``(figures, categories)``."""
    figures, categories = township_disclosure_figures(user, period=period, today=today)
    by_township = {row.township.pk: row for row in figures}
    for row in complaint_township_figures():
        if row["township_id"] in by_township:
            by_township[row["township_id"]].complaints = row
    return figures, categories
