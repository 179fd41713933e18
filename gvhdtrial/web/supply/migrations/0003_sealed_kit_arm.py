# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""A kit's arm sealed at rest, bound to its tracking number (issue 10); the stock index no
longer holds the arm. Existing kits are sealed in place."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from gvhdtrial.web.blinding import seal_kit_arm
    from gvhdtrial.web.keys import is_sealed

    Kit = apps.get_model("supply", "Kit")
    for kit in Kit.objects.all().iterator():
        if not is_sealed(kit.arm):
            kit.arm = seal_kit_arm(kit.tracking_number, kit.arm)
            kit.save(update_fields=["arm"])


class Migration(migrations.Migration):
    dependencies = [("supply", "0002_custody_append_only")]
    operations = [
        migrations.RemoveIndex(model_name="kit", name="supply_kit_site_id_001f54_idx"),
        migrations.AlterField(model_name="kit", name="arm", field=models.TextField()),
        migrations.AddIndex(
            model_name="kit",
            index=models.Index(fields=["site", "status", "expiry"], name="supply_kit_stock_idx"),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
