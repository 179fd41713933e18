# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
from django.db import migrations


def create_lock(apps, schema_editor):
    apps.get_model("lock", "DatabaseLock").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("lock", "0001_initial")]
    operations = [migrations.RunPython(create_lock, migrations.RunPython.noop)]
