"""With Redis configured the cache is the fallback wrapper with short socket timeouts; its numbers parse strictly;
the office phone residents are told to call has a default."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "sunshine" / "settings.py"
NAMES = ("CACHE_URL", "REDIS_URL", "CACHE_REDIS_TIMEOUT", "CACHE_FALLBACK_SECONDS", "OFFICE_PHONE")


@pytest.fixture
def load(monkeypatch):
    """sunshine/settings.py run afresh with exactly these of NAMES set (development otherwise)."""

    def run(**variables):
        for name in NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return run


def test_redis_url_gives_the_fallback_cache_with_short_timeouts(load):
    cache = load(REDIS_URL="redis://127.0.0.1:6379/0")["CACHES"]["default"]
    assert cache["BACKEND"] == "sunshine.cache.FallbackRedisCache"
    options = cache["OPTIONS"]
    assert (options["SOCKET_CONNECT_TIMEOUT"], options["SOCKET_TIMEOUT"], options["FALLBACK_SECONDS"]) == (0.5, 0.5, 30)
    options = load(CACHE_URL="redis://r:6379/1", CACHE_REDIS_TIMEOUT="0.2")["CACHES"]["default"]["OPTIONS"]
    assert (options["SOCKET_CONNECT_TIMEOUT"], options["SOCKET_TIMEOUT"]) == (0.2, 0.2)


def test_without_redis_the_cache_is_local_memory(load):
    assert load()["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CACHE_REDIS_TIMEOUT": "half a second"}, "CACHE_REDIS_TIMEOUT='half a second' is not a number."),
        ({"CACHE_REDIS_TIMEOUT": "0"}, "CACHE_REDIS_TIMEOUT='0' must be at least 0.05."),
        ({"CACHE_FALLBACK_SECONDS": "0"}, "CACHE_FALLBACK_SECONDS='0' must be at least 1."),
    ],
)
def test_cache_numbers_parse_strictly(load, variables, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        load(**variables)
    assert str(refused.value) == message


def test_office_phone_defaults_to_the_public_service_hotline(load):
    assert load()["OFFICE_PHONE"] == "12345"
    assert load(OFFICE_PHONE="0791-8888 1234")["OFFICE_PHONE"] == "0791-8888 1234"
