"""Fixtures for the disclosure tests (story helpers live in ``tests.disclosures.helpers``)."""

import pytest

from disclosures.categories import seed_categories
from disclosures.models import Category


@pytest.fixture
def categories(db):
    seed_categories()
    return {c.slug: c for c in Category.objects.all()}


@pytest.fixture
def crew(clerk_v1, reviewer_t1, discipline_t1):
    """甲村's clerk and the two reviewers of 一乡."""
    return clerk_v1, reviewer_t1, discipline_t1
