# ruff: noqa: RUF012  (Django migrations: class-level lists)
"""The response visit is any response visit of the trial definition in force (issue 12): the
fixed d28/d56 choices leave the column; the services check the visit against the definition."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crf", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="responseconfirmation",
            name="visit",
            field=models.CharField(max_length=8),
        ),
    ]
