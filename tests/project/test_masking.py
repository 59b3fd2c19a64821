"""The one masking function for free text (sunshine.masking)."""

import pytest

from sunshine.masking import mask_free_text, mask_values


@pytest.mark.parametrize(
    "text",
    [
        "身份证110101199003070011",
        "身份证11010119900307803X。",
        "旧证110101900307001号",  # 15 digits
        "电话13912345678",
        "电话 139 1234 5678",
        "电话139-1234-5678",
        "座机0791-8888123",
        "卡号6222020200001234567",
        "卡号 6222 0202 0000 1234 567",
        "全角１３９１２３４５６７８",
        "邮箱 someone@example.org",
    ],
)
def test_personal_numbers_are_masked(text):
    masked = mask_free_text(text)
    assert "*" in masked and not any(ch.isdigit() for ch in masked) and "@example.org" not in masked
    assert masked[:2] == text[:2]  # the words around the number stay


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 停水一天",
        "收入 1200 元，支出 3400 元",
        "共 15 户 32 人",
        "余额 1234567.50 元",
        "凭证号 记-0012",
        "校验和 3fa91234567bc0de",  # digits inside a word (a hash)
        "2026-12-05T10:00:00.123456Z",
    ],
)
def test_dates_amounts_and_codes_stay(text):
    assert mask_free_text(text) == text


def test_empty_and_non_text_values_pass_through():
    assert mask_free_text("") == "" and mask_free_text(None) is None and mask_free_text(5) == 5


def test_mask_values_reaches_nested_strings_only():
    data = {"reply": ["", "电话13912345678"], "count": 13912345678, "nested": {"k": ("卡号6222020200001234567",)}}
    assert mask_values(data) == {
        "reply": ["", "电话***********"],
        "count": 13912345678,
        "nested": {"k": ["卡号*******************"]},
    }
