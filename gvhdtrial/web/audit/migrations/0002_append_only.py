# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
from django.db import migrations

from gvhdtrial.web.append_only import install


def create_head(apps, schema_editor):
    apps.get_model("audit", "ChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(*install("audit_auditentry")),
    ]
