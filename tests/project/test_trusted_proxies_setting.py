"""SUNSHINE_TRUSTED_PROXIES: empty by default (no header believed), parsed strictly."""

import ipaddress

from tests.project.test_settings import load_settings, refusal  # noqa: F401 (fixture)


def test_no_proxy_is_trusted_by_default(load_settings):  # noqa: F811
    assert load_settings()["SUNSHINE_TRUSTED_PROXIES"] == ()


def test_addresses_and_networks_are_parsed(load_settings):  # noqa: F811
    loaded = load_settings(SUNSHINE_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8,::1")
    assert loaded["SUNSHINE_TRUSTED_PROXIES"] == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


def test_a_malformed_entry_refuses_to_start(load_settings):  # noqa: F811
    message = refusal(load_settings, SUNSHINE_TRUSTED_PROXIES="127.0.0.1,nginx")
    assert "SUNSHINE_TRUSTED_PROXIES" in message and "'nginx'" in message
