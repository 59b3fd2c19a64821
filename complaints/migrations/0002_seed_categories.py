from django.db import migrations


def seed(apps, schema_editor):
    from complaints.categories import seed_categories

    seed_categories(apps.get_model("complaints", "ComplaintCategory"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
