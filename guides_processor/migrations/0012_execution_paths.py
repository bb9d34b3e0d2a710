from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0011_broken_by_reason"),
    ]

    operations = [
        # Existing executions keep an empty list: Execution.all_paths reads it as [path].
        migrations.AddField(
            model_name="execution",
            name="paths",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
