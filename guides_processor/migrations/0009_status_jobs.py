import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0008_automation"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("job_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("created_by", models.CharField(max_length=150)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("paths", models.JSONField(default=list)),
                ("excluded_paths", models.JSONField(default=list)),
            ],
            options={"ordering": ["-id"]},
        ),
    ]
