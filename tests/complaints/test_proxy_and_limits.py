"""Behind a proxy: the real client drives rate limits and audit IPs; refusals answer 429 and keep the text;
photos are decoded only after the check; tracking is limited per code; a kiosk forgets what it just showed."""

import ipaddress
import re
from unittest import mock

from django.test import Client, RequestFactory
from django.urls import reverse

from complaints.models import Complaint
from complaints.photos import clean_photo
from sunshine.audit.middleware import client_ip
from sunshine.audit.models import AuditEvent
from tests.complaints.images import jpeg_with_exif

PROXY = "10.0.0.5"


def form_data(world, cat, **kw):
    return {"village": world.v1.pk, "category": cat["environment"].pk, "text": "村口路灯坏了三个月。", **kw}


def trust(settings, *networks):
    settings.SUNSHINE_TRUSTED_PROXIES = tuple(ipaddress.ip_network(n) for n in networks)


def request_from(peer, forwarded=None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    trust(settings, "10.0.0.0/24")
    assert client_ip(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    settings.SUNSHINE_TRUSTED_PROXIES = ()
    assert client_ip(request_from(PROXY, "1.2.3.4")) == PROXY


def test_through_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(settings):
    trust(settings, "10.0.0.0/24", "192.168.1.1/32")
    # The client prepended a spoofed address; nginx appended the real one.
    assert client_ip(request_from(PROXY, "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    # Two trusted hops (CDN → nginx): skip both.
    assert client_ip(request_from(PROXY, "198.51.100.7, 192.168.1.1")) == "198.51.100.7"
    # No header, or only proxies in it: the peer.
    assert client_ip(request_from(PROXY)) == PROXY
    assert client_ip(request_from(PROXY, "192.168.1.1")) == PROXY
    # A malformed hop is never taken as an address.
    assert client_ip(request_from(PROXY, "198.51.100.7, not-an-ip")) == PROXY


def test_audit_event_ip_is_the_real_client(settings, world, cat):
    trust(settings, PROXY)
    browser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert browser.post(reverse("complaints:new"), form_data(world, cat)).status_code == 302
    assert AuditEvent.objects.get(action="complaint.submitted").ip == "198.51.100.7"


def test_address_limit_counts_real_clients_not_the_proxy(settings, world, cat):
    trust(settings, PROXY)
    settings.COMPLAINTS_RATE_LIMITS = {"address": (1, 3600)}

    def post(client_address, spoof="9.9.9.9"):
        browser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{spoof}, {client_address}")
        return browser.post(reverse("complaints:new"), form_data(world, cat)).status_code

    assert post("198.51.100.1") == 302
    assert post("198.51.100.2") == 302  # another villager behind the same proxy is not blocked
    assert post("198.51.100.1", spoof="8.8.8.8") == 429  # changing the spoofed part does not help
    # Without the setting, everyone is the proxy and shares one limit: the measured problem.
    settings.SUNSHINE_TRUSTED_PROXIES = ()
    assert post("198.51.100.3") == 302
    assert post("198.51.100.4") == 429


def test_refused_intake_is_429_with_retry_after_and_keeps_the_text(client, settings, world, cat):
    settings.COMPLAINTS_RATE_LIMITS = {"session": (1, 1800)}
    assert client.post(reverse("complaints:new"), form_data(world, cat)).status_code == 302
    text = "第二条：水渠堵了，下雨就淹田。"
    response = client.post(reverse("complaints:new"), form_data(world, cat, text=text, name="张三"))
    assert response.status_code == 429 and response["Retry-After"] == "1800"
    html = response.content.decode()
    assert "提交太频繁" in html and text in html and 'value="张三"' in html
    assert Complaint.objects.count() == 1


def test_photos_are_not_decoded_when_the_request_is_refused(client, settings, world, cat):
    settings.COMPLAINTS_RATE_LIMITS = {"session": (0, 3600)}
    with mock.patch("complaints.forms.clean_photo") as decode:
        response = client.post(reverse("complaints:new"), form_data(world, cat, photo1=jpeg_with_exif()))
    assert response.status_code == 429
    decode.assert_not_called()
    settings.COMPLAINTS_RATE_LIMITS = {}
    with mock.patch("complaints.forms.clean_photo", wraps=clean_photo) as decode:
        response = Client().post(reverse("complaints:new"), form_data(world, cat, photo1=jpeg_with_exif()))
    assert response.status_code == 302
    decode.assert_called_once()


def _file(world, cat):
    browser = Client()
    done = browser.get(browser.post(reverse("complaints:new"), form_data(world, cat))["Location"])
    code = re.search(r'id="tracking-code">(\w+)<', done.content.decode()).group(1)
    secret = re.search(r'id="tracking-secret">(\w+)<', done.content.decode()).group(1)
    return code, secret


def test_tracking_limits_wrong_secrets_per_code_across_addresses(settings, world, cat):
    settings.COMPLAINTS_RATE_LIMITS = {"track_code": (3, 3600)}
    code, secret = _file(world, cat)
    url = reverse("complaints:track")
    for number in range(3):
        response = Client(REMOTE_ADDR=f"198.51.100.{number}").post(url, {"code": code, "secret": "WRONG1"})
        assert response.status_code == 200 and "查询码或密码不对" in response.content.decode()
    # A fourth address, even with the right secret: the code is locked for the hour.
    response = Client(REMOTE_ADDR="198.51.100.99").post(url, {"code": code, "secret": secret})
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert "尝试次数太多" in response.content.decode() and code in response.content.decode()
    # Another complaint's code is unaffected.
    other_code, other_secret = _file(world, cat)
    assert Client().post(url, {"code": other_code, "secret": other_secret}).status_code == 302


def test_tracking_limits_each_client(settings, world, cat):
    settings.COMPLAINTS_RATE_LIMITS = {"track": (2, 3600)}
    code, secret = _file(world, cat)
    url = reverse("complaints:track")
    browser = Client(REMOTE_ADDR="198.51.100.1")
    assert browser.post(url, {"code": "AAAAAAAA", "secret": "X"}).status_code == 200
    assert browser.post(url, {"code": "BBBBBBBB", "secret": "X"}).status_code == 200
    assert browser.post(url, {"code": code, "secret": secret}).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.2").post(url, {"code": code, "secret": secret}).status_code == 302


def test_at_a_kiosk_the_next_person_cannot_open_the_complaint_just_filed(settings, world, cat):
    settings.RATELIMIT_KIOSK_ADDRESSES = ["127.0.0.1"]
    kiosk = Client()
    done = kiosk.get(kiosk.post(reverse("complaints:new"), form_data(world, cat))["Location"])
    html = done.content.decode()
    code = re.search(r'id="tracking-code">(\w+)<', html).group(1)
    assert re.search(r'id="tracking-secret">(\w+)<', html)
    # The next person at the same browser: the status page asks for the secret, the done page shows nothing.
    status = kiosk.get(reverse("complaints:status", args=[code]))
    assert status.status_code == 302 and reverse("complaints:track") in status["Location"]
    assert kiosk.get(reverse("complaints:done", args=[code])).status_code == 302
    # Elsewhere (not a kiosk) the resident's own browser keeps access.
    settings.RATELIMIT_KIOSK_ADDRESSES = []
    own = Client()
    done = own.get(own.post(reverse("complaints:new"), form_data(world, cat))["Location"])
    code = re.search(r'id="tracking-code">(\w+)<', done.content.decode()).group(1)
    assert own.get(reverse("complaints:status", args=[code])).status_code == 200
