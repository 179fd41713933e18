# ruff: noqa: RUF012
# API tokens expire and can be revoked (issue 10). Tokens issued before this migration never
# expired: they are given an expiry of the migration's time, so they must be issued again.
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sites", "0002_preference_site_name_zh")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoke_reason",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
