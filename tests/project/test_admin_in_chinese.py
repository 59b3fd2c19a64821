"""No English label anywhere in the admin (issue 14): every registered admin's list, add page and one object page,
the custom admin views and the audit pages, on the demo data, as a superuser and as the county inspector.

Read with Django's test client and the same word rule as the browser tests' ``assert_no_english``
(``english_words_in_html``); what the data itself holds in Latin letters (user names, tracking codes, category
codes typed by an admin) is allowed.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import NoReverseMatch, URLPattern, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.models import ApiKey, Complaint, ComplaintCategory
from disclosures.models import Category, ImportJob
from sunshine.audit.models import AuditEvent
from tests.conftest import LATIN_WORD, english_words_in_html

pytestmark = pytest.mark.django_db

STANDARD_VIEWS = {"changelist", "add", "change", "delete", "history", "autocomplete"}
# Names of standards and formats (the word rule reads "WGS-84" as "WGS"), and hex fragments
# of ids and checksums shown as they are.
NOT_LABELS = {"WGS", "GBK", "UTF", "xls", "ods"}
HEX = re.compile(r"^[a-f]{2,}$")


def _data_words():
    """Latin words the demo data itself holds: names people typed, codes, file names."""
    texts = [
        *get_user_model().objects.values_list("username", flat=True),
        *Complaint.objects.values_list("tracking_code", flat=True),
        *Category.objects.values_list("slug", flat=True),
        *ComplaintCategory.objects.values_list("service_code", flat=True),
        *ApiKey.objects.values_list("name", flat=True),
        *ImportJob.objects.values_list("original_name", flat=True),
        *AuditEvent.objects.values_list("object_repr", flat=True),
    ]
    return {word for text in texts for word in LATIN_WORD.findall(str(text))}


def _custom_views(model_admin):
    """The extra admin pages a ModelAdmin adds that take no argument (anomaly report, township figures, …)."""
    names = []
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None) or ""
        plain = isinstance(pattern, URLPattern) and name and "<" not in str(pattern.pattern)
        if plain and name.rsplit("_", 1)[-1] not in STANDARD_VIEWS:
            names.append(f"admin:{name}")
    return names


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # an admin without that page (the inspectors' report pages have no add page)
        return None


def _pages():
    """Every admin URL to read: the index, each app, each admin's pages and one object's pages."""
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [_url("admin:app_list", model._meta.app_label), _url(f"{prefix}_changelist"), _url(f"{prefix}_add")]
        obj = model._default_manager.order_by("-pk").first()
        if obj is not None:
            urls += [_url(f"{prefix}_change", obj.pk), _url(f"{prefix}_history", obj.pk)]
        urls += [_url(name) for name in _custom_views(model_admin)]
    return [url for url in dict.fromkeys(urls) if url]


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    # The demo enrols no authenticator: one device, so the TOTP admin's object pages are read too.
    TOTPDevice.objects.create(user=get_user_model().objects.get(username="inspector"), name="手机", confirmed=True)


@pytest.mark.parametrize("username", ["root", "inspector"])
def test_every_admin_page_is_in_chinese(client, demo, username):
    user_model = get_user_model()
    if username == "root":
        user = user_model.objects.create_superuser("root", "root@example.org", "pw")
    else:
        user = user_model.objects.get(username=username)
    client.force_login(user)
    allowed = _data_words() | NOT_LABELS
    found, opened = {}, 0
    for url in _pages():
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue  # not this user's page (403, or a redirect away from an object outside the jurisdiction)
        opened += 1
        words = {w for w in english_words_in_html(response.content.decode(), allow=allowed) if not HEX.match(w)}
        if words:
            found[url] = sorted(words)
    assert opened > 20  # the walk really read pages
    assert not found, "untranslated words on admin pages:\n" + "\n".join(f"{u}: {w}" for u, w in found.items())
