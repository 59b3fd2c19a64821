"""Test images carrying metadata markers that must never survive re-encoding."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

EXIF_MARKER = "EXIF-SECRET-MARKER-7731"
GPS_MARKER = "GPS-AREA-MARKER-5521"


def jpeg_with_exif(name="photo.jpg", size=(64, 48)):
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010E] = EXIF_MARKER  # ImageDescription
    exif[0x013B] = "Artist " + EXIF_MARKER  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 15.0, 0.0)
    gps[0x1C] = GPS_MARKER  # GPSAreaInformation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def not_an_image(name="evil.jpg"):
    return SimpleUploadedFile(name, b"<?php echo 1; ?>", content_type="image/jpeg")
