"""Attachments move from public MEDIA (where /media/attachments/… served them to anyone, under the clerk's
file name) to private storage under random names; the clerk's file name is kept as ``filename`` only.

Forward only in effect: the reverse step leaves the files where they are (private), since putting drafts
back under a public URL is exactly what this migration exists to stop.
"""

from django.core.files.storage import default_storage
from django.db import migrations, models

import disclosures.models
import sunshine.storage


def move_to_private(apps, schema_editor):
    Attachment = apps.get_model("disclosures", "Attachment")
    private = sunshine.storage.private_storage()
    for item in Attachment.objects.exclude(file="").only("pk", "file", "filename").iterator():
        old = item.file.name
        new = disclosures.models.attachment_path(item, old)
        if default_storage.exists(old):
            with default_storage.open(old, "rb") as handle:
                new = private.save(new, handle)
            default_storage.delete(old)
        elif not private.exists(old):
            new = ""  # the file was already gone: the row stays, the view answers 404
        else:
            new = old  # already private (a re-run)
        original = old.replace("\\", "/").rsplit("/", 1)[-1]
        Attachment.objects.filter(pk=item.pk).update(file=new, filename=item.filename or original[:200])


class Migration(migrations.Migration):
    dependencies = [
        ("disclosures", "0003_revision_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="filename",
            field=models.CharField(blank=True, max_length=200, verbose_name="文件名"),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="file",
            field=models.FileField(
                max_length=200,
                storage=sunshine.storage.private_storage,
                upload_to=disclosures.models.attachment_path,
                verbose_name="文件",
            ),
        ),
        migrations.RunPython(move_to_private, migrations.RunPython.noop, elidable=False),
    ]
