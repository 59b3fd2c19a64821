"""Photos: the handler sees them; an inspector only after the logged reveal. The filer's contact: nobody on the
change page, whoever they are (the handler and inspectors go through the logged reveal, issue 14).

A matrix of who looks (handler, another clerk of the village, a clerk of the next village, the
township reviewer and discipline above, the county admin, an inspector before and after the reveal,
another county's inspector) × what they get (the admin page shows photos/contact; the photo URL
answers 200, 403 or 404). Then the photo files themselves: no COM, EXIF, XMP, ICC or PNG text.
"""

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from complaints import services
from complaints.photos import clean_photo
from sunshine.audit.models import AuditEvent
from tests import factories as f
from tests.complaints.images import EXIF_MARKER, GPS_MARKER, jpeg_with_exif
from villages.models import Role

PHONE = "13912345678"
NAME = "赵小红"
COMMENT_MARKER = b"COMMENT-SECRET-MARKER-4410"
TEXT_MARKER = "PNG-TEXT-MARKER-9921"
XMP_MARKER = b"XMP-SECRET-MARKER-2231"


@pytest.fixture
def complaint_with_photo(world, cat):
    """A resident of 甲村 files with a phone and one photo; 甲村's clerk handles it."""
    complaint, _secret = services.complaint_submit(
        category=cat["environment"],
        village=world.v1,
        text="村口垃圾堆了半个月没人清理。",
        name=NAME,
        phone=PHONE,
        photos=[clean_photo(jpeg_with_exif())],
    )
    assert complaint.division == world.v1 and complaint.handler_role == Role.VILLAGE_CLERK
    return complaint


def _viewer(name, world):
    """The people in the matrix, made on demand (each fixture-like name → a user)."""
    other = {
        "handler": ("clerk_v1", Role.VILLAGE_CLERK, world.v1),
        "second_clerk_v1": ("clerk_v1b", Role.VILLAGE_CLERK, world.v1),
        "clerk_next_village": ("clerk_v2", Role.VILLAGE_CLERK, world.v2),
        "reviewer_above": ("reviewer_t1", Role.TOWNSHIP_REVIEWER, world.t1),
        "discipline_above": ("discipline_t1", Role.TOWNSHIP_DISCIPLINE, world.t1),
        "county_admin": ("county_admin", Role.COUNTY_ADMIN, world.county),
        "inspector": ("inspector", Role.COUNTY_INSPECTOR, world.county),
        "inspector_revealed": ("inspector", Role.COUNTY_INSPECTOR, world.county),
    }
    if name == "other_county_inspector":
        return f.staff("inspector_other", Role.COUNTY_INSPECTOR, f.county("别县", code="990200000000"))
    return f.staff(*other[name])


# who → (sees the complaint's text on the admin page, sees the photo there, photo URL status)
MATRIX = [
    ("handler", True, True, 200),
    # Same role at the handling division: a handler by the rule (routing.can_handle), so it sees them.
    ("second_clerk_v1", True, True, 200),
    ("clerk_next_village", False, False, 404),
    ("reviewer_above", True, False, 403),
    ("discipline_above", True, False, 403),
    ("county_admin", True, False, 403),
    ("inspector", True, False, 403),
    ("inspector_revealed", True, True, 200),
    ("other_county_inspector", False, False, 404),
]


@pytest.mark.parametrize(("who", "sees_text", "sees_private", "photo_status"), MATRIX, ids=[m[0] for m in MATRIX])
def test_photo_and_contact_by_role(client, world, complaint_with_photo, who, sees_text, sees_private, photo_status):
    c = complaint_with_photo
    client.force_login(_viewer(who, world))
    if who == "inspector_revealed":
        reveal = client.post(reverse("admin:complaints_complaint_reveal", args=[c.pk]), {"reason": "核实举报线索"})
        assert reveal.status_code == 200
        assert PHONE in reveal.content.decode() and "/complaints/photo/" in reveal.content.decode()
    photo_url = reverse("complaints:photo", args=[c.photos.get().pk])

    page = client.get(reverse("admin:complaints_complaint_change", args=[c.pk]))
    if not sees_text:
        assert page.status_code in (302, 404)
    else:
        html = page.content.decode()
        assert page.status_code == 200 and c.text in html
        assert (photo_url in html) is sees_private
        assert PHONE not in html and NAME not in html  # only the logged reveal page shows them

    response = client.get(photo_url)
    assert response.status_code == photo_status
    if photo_status == 200:
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
        assert response["Cache-Control"] == "private, no-store"


def test_inspector_reveal_is_logged_with_reason_and_photo_count(client, world, complaint_with_photo, inspector):
    c = complaint_with_photo
    client.force_login(inspector)
    photo_url = reverse("complaints:photo", args=[c.photos.get().pk])
    url = reverse("admin:complaints_complaint_reveal", args=[c.pk])
    assert "1 张照片" in client.get(reverse("admin:complaints_complaint_change", args=[c.pk])).content.decode()
    # No reason: nothing revealed, nothing logged, the photo stays closed.
    assert PHONE not in client.post(url, {"reason": ""}).content.decode()
    assert client.get(photo_url).status_code == 403
    assert not AuditEvent.objects.filter(action="complaint.identity_revealed").exists()
    client.post(url, {"reason": "核实举报线索"})
    event = AuditEvent.objects.get(action="complaint.identity_revealed")
    assert event.reason == "核实举报线索" and event.actor_id == inspector.pk and event.data == {"photos": 1}
    assert PHONE not in str(event.data) + event.reason + event.object_repr


def test_reveal_holds_for_the_session_only(client, world, complaint_with_photo, inspector):
    c = complaint_with_photo
    photo_url = reverse("complaints:photo", args=[c.photos.get().pk])
    client.force_login(inspector)
    client.post(reverse("admin:complaints_complaint_reveal", args=[c.pk]), {"reason": "核实举报线索"})
    response = client.get(photo_url)
    assert response.status_code == 200
    b"".join(response.streaming_content)  # read through the test client's wrapper, which closes the file
    client.logout()
    client.force_login(inspector)  # a new session: the reveal must be made (and logged) again
    assert client.get(photo_url).status_code == 403


def test_only_inspectors_may_reveal(client, world, complaint_with_photo, reviewer_t1):
    client.force_login(reviewer_t1)
    response = client.post(
        reverse("admin:complaints_complaint_reveal", args=[complaint_with_photo.pk]), {"reason": "想看看"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="complaint.identity_revealed").exists()


def test_anonymous_visitor_is_sent_to_login(client, complaint_with_photo):
    response = client.get(reverse("complaints:photo", args=[complaint_with_photo.photos.get().pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---------------------------------------------------------------- metadata stripping


def _upload(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _jpeg_with_everything():
    """A JPEG with a COM comment, EXIF (with GPS), XMP and an ICC profile."""
    image = Image.new("RGB", (80, 60), (10, 140, 200))
    exif = Image.Exif()
    exif[0x010E] = EXIF_MARKER
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 15.0, 0.0)
    gps[0x1C] = GPS_MARKER
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(
        out,
        format="JPEG",
        exif=exif.tobytes(),
        comment=COMMENT_MARKER,
        xmp=b"<x:xmpmeta>" + XMP_MARKER + b"</x:xmpmeta>",
        icc_profile=icc,
    )
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as probe:  # the test file really carries them
        assert probe.info.get("comment") == COMMENT_MARKER and probe.info.get("icc_profile")
        assert probe.getexif().get_ifd(0x8825)
    assert XMP_MARKER in data
    return data


def _png_with_text():
    image = Image.new("RGB", (40, 30), (0, 200, 0))
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", TEXT_MARKER)
    meta.add_itxt("Description", TEXT_MARKER + "（中文）")
    meta.add_text("Location", TEXT_MARKER, zip=True)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=meta)
    return out.getvalue()


def _assert_no_metadata(stored):
    for marker in (COMMENT_MARKER, XMP_MARKER, EXIF_MARKER.encode(), GPS_MARKER.encode(), TEXT_MARKER.encode()):
        assert marker not in stored
    assert b"Exif" not in stored and b"ICC_PROFILE" not in stored and b"http://ns.adobe.com/xap" not in stored
    assert b"\xff\xfe" not in stored.split(b"\xff\xda", 1)[0]  # no COM segment before the scan data
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert "comment" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
        assert "exif" not in image.info and not image.getexif()


def test_jpeg_comment_exif_xmp_and_icc_do_not_survive(world, cat):
    content, width, height = clean_photo(_upload(_jpeg_with_everything(), "a.jpg"))
    assert (width, height) == (80, 60)
    _assert_no_metadata(content.read())


def test_png_text_chunks_do_not_survive(world, cat):
    content, _w, _h = clean_photo(_upload(_png_with_text(), "a.png"))
    _assert_no_metadata(content.read())


def test_stored_file_of_a_filed_complaint_has_no_metadata(client, world, cat):
    data = {
        "village": world.v1.pk,
        "category": cat["environment"].pk,
        "text": "村口路灯坏了三个月。",
        "photo1": _upload(_jpeg_with_everything(), "a.jpg"),
    }
    assert client.post(reverse("complaints:new"), data).status_code == 302
    from complaints.models import ComplaintPhoto

    with ComplaintPhoto.objects.get().file.open("rb") as handle:
        _assert_no_metadata(handle.read())
