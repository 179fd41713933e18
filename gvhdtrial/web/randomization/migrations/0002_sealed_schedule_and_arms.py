# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Arms at rest sealed (issue 10): a slot's arm is sealed to its randomization number; the
schedule's parameters (with the seed), digest and CSV become one sealed value; block and block
size leave the slot table (they are in the sealed CSV). Existing rows are sealed in place."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from gvhdtrial.web.blinding import seal_schedule_record, seal_slot_arm
    from gvhdtrial.web.keys import is_sealed

    Schedule = apps.get_model("randomization", "Schedule")
    Slot = apps.get_model("randomization", "Slot")
    for s in Schedule.objects.all():
        record = {**dict(s.params), "sha256": s.sha256}
        s.sealed = seal_schedule_record(s.pk, record, bytes(s.csv))
        s.save(update_fields=["sealed"])
    for slot in Slot.objects.all().iterator():
        if not is_sealed(slot.arm):
            slot.arm = seal_slot_arm(slot.schedule_id, slot.stratum, slot.sequence, slot.arm)
            slot.save(update_fields=["arm"])


class Migration(migrations.Migration):
    dependencies = [("randomization", "0001_initial")]
    operations = [
        migrations.AlterField(model_name="slot", name="arm", field=models.TextField()),
        migrations.AddField(
            model_name="schedule",
            name="sealed",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="schedule", name="params"),
        migrations.RemoveField(model_name="schedule", name="sha256"),
        migrations.RemoveField(model_name="schedule", name="csv"),
        migrations.RemoveField(model_name="slot", name="block"),
        migrations.RemoveField(model_name="slot", name="block_size"),
    ]
