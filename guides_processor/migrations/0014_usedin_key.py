from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_keys(apps, schema_editor):
    """The key of each row's reference, for the key references already in Used in."""
    UsedIn = apps.get_model("guides_processor", "UsedIn")
    Reference = apps.get_model("guides_processor", "Reference")
    UsedIn.objects.filter(reference__key__gt="").update(
        key=Subquery(Reference.objects.filter(pk=OuterRef("reference_id")).values("key")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0013_item_repeated_failure"),
    ]

    operations = [
        migrations.AddField(
            model_name="usedin",
            name="key",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="usedin",
            index=models.Index(
                condition=models.Q(("key", ""), _negated=True),
                fields=["target", "key"],
                name="usedin_key_idx",
            ),
        ),
    ]
