"""Photos kept across a form error, so a resident who forgot a field need not choose them again.

A browser never refills a file input, so a form shown again after an error used to drop the photos. Now each good
photo of the failed post is cleaned (re-encoded as in ``photos.clean_photo``: no GPS, no metadata) and kept in
private storage under ``held-photos/``; the form carries a signed token naming the file (``heldN``), which the next
post turns back into the photo. Tokens expire after HOLD_MINUTES and the tick deletes older files, so nothing a
resident uploaded outlives an abandoned form for long. Holding counts against a per-client limit: an error page
costs an image decode, and a flood of them must not fill the disk.
"""

import datetime
import re
import uuid

from django.core import signing
from django.core.files.base import ContentFile
from django.utils import timezone

from sunshine.storage import private_storage

HOLD_DIR = "held-photos"
HOLD_MINUTES = 60
SALT = "complaints.photo-hold"
FILE_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def hold_photo(content):
    """Store a cleaned photo (a ``ContentFile`` of JPEG bytes) and return the signed token naming it."""
    name = f"{uuid.uuid4().hex}.jpg"
    private_storage().save(f"{HOLD_DIR}/{name}", content)
    return signing.dumps(name, salt=SALT)


def _held_name(token):
    try:
        name = signing.loads(token or "", salt=SALT, max_age=HOLD_MINUTES * 60)
    except signing.BadSignature:  # forged, mangled or expired (SignatureExpired is a BadSignature)
        return None
    return name if isinstance(name, str) and FILE_NAME.match(name) else None


def is_held(token):
    """Whether ``token`` is a valid, unexpired hold token (the file itself is read only when filing)."""
    return _held_name(token) is not None


def held_photo(token):
    """The held photo as a ``ContentFile``, or None when the token is not valid or the file is gone."""
    name = _held_name(token)
    if name is None:
        return None
    try:
        with private_storage().open(f"{HOLD_DIR}/{name}", "rb") as handle:
            return ContentFile(handle.read(), name="photo.jpg")
    except FileNotFoundError:
        return None


def release_photo(token):
    """Delete a held photo (it was filed with the complaint, or the resident removed it)."""
    name = _held_name(token)
    if name is not None:
        private_storage().delete(f"{HOLD_DIR}/{name}")


def sweep_held_photos(*, now=None):
    """Delete held photos older than HOLD_MINUTES (tick step): their tokens no longer open them anyway."""
    storage = private_storage()
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=HOLD_MINUTES)
    try:
        names = storage.listdir(HOLD_DIR)[1]
    except FileNotFoundError:
        names = []
    deleted = 0
    for name in names:
        path = f"{HOLD_DIR}/{name}"
        try:
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
                deleted += 1
        except FileNotFoundError:  # another tick deleted it meanwhile
            continue
    return f"held photos: {deleted} deleted"
