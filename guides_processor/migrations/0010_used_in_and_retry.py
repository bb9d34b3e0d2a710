import django.db.models.deletion
from django.db import migrations, models

# Existing references are indexed here once, in target order; from then on each finishing
# execution adds the references written since (engine/sql/keys.py).
FILL = (
    "INSERT INTO guides_processor_usedin (reference_id, target, asset_id) "
    "SELECT id, target, asset_id FROM guides_processor_reference WHERE target <> '' "
    "ORDER BY target, id"
)


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0009_status_jobs"),
    ]

    operations = [
        migrations.CreateModel(
            name="UsedIn",
            fields=[
                (
                    "reference",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="used_in_row",
                        serialize=False,
                        to="guides_processor.reference",
                    ),
                ),
                ("target", models.TextField()),
                ("asset_id", models.BigIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["target", "reference"], name="usedin_target_idx"),
                    models.Index(fields=["asset_id"], name="usedin_asset_idx"),
                ],
            },
        ),
        migrations.AddField(
            model_name="execution",
            name="retry_failed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="executionitem",
            index=models.Index(fields=["relpath", "execution"], name="item_relpath_idx"),
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]
