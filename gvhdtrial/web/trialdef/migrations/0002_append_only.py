# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
from django.db import migrations

from gvhdtrial.web.append_only import install


class Migration(migrations.Migration):
    dependencies = [("trialdef", "0001_initial")]
    operations = [migrations.RunPython(*install("trialdef_definitionversion"))]
