"""Complaint photos: validated with Pillow and re-encoded, which drops EXIF/GPS and any other metadata.

Re-encoding alone is not enough: Pillow's JPEG writer copies ``info["comment"]`` (a COM segment)
from the source image unless told otherwise, and ``convert``/``thumbnail`` keep ``info``. So only the
pixels are carried over, into a new image with empty ``info``, and it is saved with no exif, icc
profile, xmp or comment.
"""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 3
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
ALLOWED = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def clean_photo(uploaded, number=1):
    """``(ContentFile, width, height)`` of a clean JPEG, or ValidationError naming the photo."""
    label = _("第 %(n)d 张照片") % {"n": number}
    if uploaded.size > MAX_BYTES:
        raise ValidationError(_("%(label)s超过 8 MB。") % {"label": label})
    data = uploaded.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.format not in ALLOWED:
            raise ValidationError(_("%(label)s不是 JPEG、PNG 或 WebP 图片。") % {"label": label})
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(_("%(label)s像素过多。") % {"label": label})
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("%(label)s无法识别为图片。") % {"label": label})
    return ContentFile(_pixels_only_jpeg(image), name="photo.jpg"), image.width, image.height


def _pixels_only_jpeg(image):
    """JPEG bytes of ``image``'s pixels alone: no COM, EXIF, XMP, ICC or any text the source carried."""
    clean = Image.frombytes("RGB", image.size, image.tobytes())  # a new image: its info is empty
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True, exif=b"", comment=b"")
    return out.getvalue()
