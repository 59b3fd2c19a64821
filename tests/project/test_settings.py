"""Production mode is strict: it refuses to start half-configured and passes check --deploy cleanly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SUNSHINE_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-for-tests-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "cunwu.example.gov.cn",
    "IDENTITY_HASH_KEY": "identity-key-for-tests",
    "FIELD_ENCRYPTION_KEYS": "ZGV2LW9ubHktZmllbGQta2V5LWNoYW5nZS1tZS0wMDA=",
    "AUDIT_HMAC_KEYS": "1:audit-key-for-tests",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args, env):
    test_only = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by the test run, not by a deployment
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "sunshine.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_refuses_to_start_with_a_clear_message():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "refuses to start without SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_or_identity_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in ("ALLOWED_HOSTS", "IDENTITY_HASH_KEY")}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS, IDENTITY_HASH_KEY" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_intranet_over_plain_http_is_an_explicit_choice():
    result = manage("check", "--deploy", env={**PRODUCTION_ENV, "SUNSHINE_INSECURE_HTTP": "1"})
    assert result.returncode == 0
    assert "SECURE_SSL_REDIRECT" in result.stdout + result.stderr  # the warning stays visible


def test_development_needs_nothing_set(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert ("en", "English") in settings.LANGUAGES
