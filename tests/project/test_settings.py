"""Settings fail closed: production refuses to start half-configured or with development keys, every value is
parsed strictly (a typo stops start-up, it never falls back to a default), and check --deploy is clean."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

import sunshine.settings as project_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "sunshine" / "settings.py"
PRODUCTION_ENV = {
    "SUNSHINE_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-for-tests-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "cunwu.example.gov.cn",
    "IDENTITY_HASH_KEY": "identity-key-for-tests",
    "FIELD_ENCRYPTION_KEYS": "rGLBHObBDfYRItroJeoPWA9v9HMWSCfrVW8OAQxVg8I=",
    "AUDIT_HMAC_KEYS": "1:audit-key-for-tests",
    "SITE_URL": "https://cunwu.example.gov.cn",
    "DATABASE_URL": "sqlite:///:memory:",
}
# Variables these tests set; a developer's own environment must not leak into them.
PARSED = ("DEBUG", "SUNSHINE_INSECURE_HTTP", "EMAIL_USE_TLS", "EMAIL_PORT", "LOG_LEVEL", "IDENTITY_HASH_KEY_ID")
PARSED += ("ROSTER_IMPORT_MAX_ROWS", "ROSTER_IMPORT_SYNC_ROWS", "OPEN311_MAX_DISTANCE_KM", "DB_CONN_MAX_AGE")


def manage(*args, env):
    test_only = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by the test run, not by a deployment
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k not in PARSED and k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "sunshine.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def load_settings(monkeypatch):
    """Run sunshine/settings.py afresh with exactly these variables set; returns its names (a dict)."""

    def load(**variables):
        for name in (*PRODUCTION_ENV, *PARSED):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def refusal(load_settings, **variables):
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings(**variables)
    return str(refused.value)


# Start-up, end to end


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


def test_a_typo_in_the_environment_name_refuses_to_start_instead_of_running_as_development():
    result = manage("check", env={**PRODUCTION_ENV, "SUNSHINE_ENV": "prod"})
    assert result.returncode != 0
    assert "SUNSHINE_ENV='prod' is not one of: development, production" in result.stderr


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


# The environment name


def test_unset_or_empty_environment_name_is_development(load_settings):
    assert load_settings()["SUNSHINE_ENV"] == "development"
    loaded = load_settings(SUNSHINE_ENV="")
    assert loaded["SUNSHINE_ENV"] == "development" and loaded["DEBUG"] is True


def test_production_starts_with_everything_set(load_settings):
    loaded = load_settings(**PRODUCTION_ENV)
    assert loaded["PRODUCTION"] is True and loaded["DEBUG"] is False and loaded["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("name", ["prod", "Production", "dev", "staging", "test"])
def test_only_documented_environment_names_are_accepted(load_settings, name):
    message = refusal(load_settings, **{**PRODUCTION_ENV, "SUNSHINE_ENV": name})
    assert message == f"SUNSHINE_ENV={name.strip()!r} is not one of: development, production."


# Production keys


def test_production_refuses_to_start_without_field_encryption_keys(load_settings):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEYS"}
    assert "refuses to start without FIELD_ENCRYPTION_KEYS" in refusal(load_settings, **env)
    assert "refuses to start without FIELD_ENCRYPTION_KEYS" in refusal(load_settings, **env, FIELD_ENCRYPTION_KEYS=" ")


@pytest.mark.parametrize(
    "name, value",
    [
        ("SECRET_KEY", project_settings.DEV_SECRET_KEY),
        ("IDENTITY_HASH_KEY", project_settings.DEV_IDENTITY_HASH_KEY),
        ("FIELD_ENCRYPTION_KEYS", project_settings.DEV_FIELD_ENCRYPTION_KEY),
        # An old development key kept for rotation could still decrypt whatever it encrypted.
        (
            "FIELD_ENCRYPTION_KEYS",
            PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"] + "," + project_settings.DEV_FIELD_ENCRYPTION_KEY,
        ),
    ],
)
def test_production_refuses_every_development_default_key(load_settings, name, value):
    message = refusal(load_settings, **{**PRODUCTION_ENV, name: value})
    assert message.startswith(f"SUNSHINE_ENV=production refuses the development default of {name}:")


def test_development_keys_are_the_defaults_that_production_refuses(load_settings):
    loaded = load_settings()
    assert loaded["SECRET_KEY"] == project_settings.DEV_SECRET_KEY
    assert loaded["IDENTITY_HASH_KEY"] == project_settings.DEV_IDENTITY_HASH_KEY
    assert loaded["FIELD_ENCRYPTION_KEYS"] == [project_settings.DEV_FIELD_ENCRYPTION_KEY]


def test_production_refuses_the_secret_key_as_identity_key(load_settings):
    env = {**PRODUCTION_ENV, "IDENTITY_HASH_KEY": PRODUCTION_ENV["SECRET_KEY"]}
    assert "IDENTITY_HASH_KEY equal to SECRET_KEY" in refusal(load_settings, **env)


def test_a_malformed_field_encryption_key_refuses_to_start(load_settings):
    keys = PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"] + ",not-a-key"
    assert "FIELD_ENCRYPTION_KEYS: key 2 is not a Fernet key" in refusal(load_settings, FIELD_ENCRYPTION_KEYS=keys)


# Strict parsing of values


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_true_spellings(load_settings, value):
    loaded = load_settings(**PRODUCTION_ENV, DEBUG=value, EMAIL_USE_TLS=value)
    assert loaded["DEBUG"] is True and loaded["EMAIL_USE_TLS"] is True


@pytest.mark.parametrize("value", ["0", "false", "False", "NO", "off"])
def test_false_spellings(load_settings, value):
    loaded = load_settings(DEBUG=value, EMAIL_USE_TLS=value)
    assert loaded["DEBUG"] is False and loaded["EMAIL_USE_TLS"] is False


def test_an_empty_boolean_means_its_default(load_settings):
    assert load_settings(DEBUG="")["DEBUG"] is True
    assert load_settings(**PRODUCTION_ENV, DEBUG="")["DEBUG"] is False


@pytest.mark.parametrize("value", ["2", "ture", "y", "enabled", "-1", "否"])
@pytest.mark.parametrize("name", ["DEBUG", "SUNSHINE_INSECURE_HTTP", "EMAIL_USE_TLS"])
def test_anything_else_is_refused_naming_the_variable(load_settings, name, value):
    message = refusal(load_settings, **{name: value})
    assert message.startswith(f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("ROSTER_IMPORT_MAX_ROWS", "20k", "ROSTER_IMPORT_MAX_ROWS='20k' is not a whole number."),
        ("ROSTER_IMPORT_SYNC_ROWS", "3000.5", "ROSTER_IMPORT_SYNC_ROWS='3000.5' is not a whole number."),
        ("EMAIL_PORT", "-25", "EMAIL_PORT='-25' must be at least 0."),
        ("ROSTER_IMPORT_MAX_ROWS", "0", "ROSTER_IMPORT_MAX_ROWS='0' must be at least 1."),
        ("IDENTITY_HASH_KEY_ID", "one", "IDENTITY_HASH_KEY_ID='one' is not a whole number."),
        ("OPEN311_MAX_DISTANCE_KM", "5km", "OPEN311_MAX_DISTANCE_KM='5km' is not a number."),
        ("OPEN311_MAX_DISTANCE_KM", "inf", "OPEN311_MAX_DISTANCE_KM='inf' is not a number."),
        ("OPEN311_MAX_DISTANCE_KM", "nan", "OPEN311_MAX_DISTANCE_KM='nan' is not a number."),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose' is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL."),
    ],
)
def test_numbers_and_choices_that_do_not_parse_are_refused(load_settings, name, value, expected):
    assert refusal(load_settings, **{name: value}) == expected


def test_numbers_that_parse_are_used(load_settings):
    loaded = load_settings(ROSTER_IMPORT_SYNC_ROWS=" 500 ", OPEN311_MAX_DISTANCE_KM="2.5", DB_CONN_MAX_AGE="")
    assert loaded["ROSTER_IMPORT_SYNC_ROWS"] == 500
    assert loaded["OPEN311_MAX_DISTANCE_KM"] == 2.5
    assert loaded["DATABASES"]["default"]["CONN_MAX_AGE"] in (0, 60)  # SQLite always 0; the default is 60


# Every setting the code reads is declared

SETTING_READ = re.compile(r"\bsettings\.([A-Z][A-Z0-9_]*)\b|getattr\(\s*settings\s*,\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
FALLBACK_READ = re.compile(r"getattr\(\s*settings\s*,[^)]*,")


def app_sources():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "var", "node_modules"} or parts[:2] == ("sunshine", "settings.py"):
            continue
        yield path


def settings_read():
    """{setting name: [files reading it]} over the app code."""
    names = {}
    for path in app_sources():
        for match in SETTING_READ.finditer(path.read_text(encoding="utf-8")):
            names.setdefault(match.group(1) or match.group(2), []).append(str(path.relative_to(ROOT)))
    return names


def test_the_scan_sees_the_apps_and_what_they_read():
    scanned = {path.relative_to(ROOT).parts[0] for path in app_sources()}
    assert {"sunshine", "villages", "disclosures", "complaints"} <= scanned
    assert {"DISCLOSURE_GRACE_DAYS", "IDENTITY_HASH_KEY_ID", "COMPLAINTS_SMS_BACKEND", "AUTH_USER_MODEL"} <= set(
        settings_read()
    )


def test_every_setting_the_code_reads_is_declared_in_settings():
    undeclared = {
        name: files
        for name, files in settings_read().items()
        if not hasattr(project_settings, name) and not hasattr(global_settings, name)
    }
    assert undeclared == {}


def test_no_code_reads_a_setting_with_a_fallback_default():
    """getattr(settings, "X", default) would hide a missing declaration; settings.py holds the default."""
    fallbacks = [str(p.relative_to(ROOT)) for p in app_sources() if FALLBACK_READ.search(p.read_text(encoding="utf-8"))]
    assert fallbacks == []


def test_settings_the_code_reads_have_their_documented_defaults():
    assert project_settings.DISCLOSURE_GRACE_DAYS == 10
    assert project_settings.ROSTER_IMPORT_SYNC_ROWS == 3000
    assert project_settings.COMPLAINTS_TICK_PYTHON is False
    assert project_settings.COMPLAINTS_RATE_LIMITS == {}
    assert project_settings.COMPLAINTS_SMS_BACKEND == "complaints.notifications.ConsoleSmsBackend"
    assert project_settings.OPEN311_CONTACT == project_settings.DEFAULT_FROM_EMAIL
