from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0012_execution_paths"),
    ]

    operations = [
        # Nullable and no default: an ALTER TABLE ... ADD COLUMN on both databases, not a copy of
        # every item.
        migrations.AddField(
            model_name="executionitem",
            name="repeated_failure",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
    ]
