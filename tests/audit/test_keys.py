"""The audit key is its own setting: production refuses to start without one, or with the dev key."""

import pytest

from tests.project.test_settings import PRODUCTION_ENV, manage


@pytest.mark.parametrize(
    "keys",
    [None, "", "dev:dev-only-audit-hmac-key", "2:dev-only-audit-hmac-key", "no-colon-here", "1:a,1:b"],
    ids=["unset", "empty", "dev key", "dev key under another id", "malformed", "duplicate id"],
)
def test_production_refuses_a_missing_dev_or_malformed_audit_key(keys):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_HMAC_KEYS"}
    if keys is not None:
        env["AUDIT_HMAC_KEYS"] = keys
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEYS" in result.stderr


def test_production_starts_with_rotated_keys_and_signs_with_the_first():
    env = {**PRODUCTION_ENV, "AUDIT_HMAC_KEYS": "2:newer-audit-key, 1:older-audit-key"}
    result = manage(
        "shell", "-c", "from django.conf import settings; print(list(settings.AUDIT_HMAC_KEYS.items()))", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "[('2', 'newer-audit-key'), ('1', 'older-audit-key')]" in result.stdout
