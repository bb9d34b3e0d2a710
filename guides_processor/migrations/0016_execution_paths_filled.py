"""Every execution lists its paths: those made before ``Execution.paths`` was (and those made for
a list of files, which did not set it) get ``[path]``, so that finding the executions of a
folder reads ``paths`` alone."""

from django.db import migrations

# Executions updated per statement.
_BATCH = 2000


def fill(apps, schema_editor):
    execution = apps.get_model("guides_processor", "Execution")
    empty = execution.objects.filter(paths=[]).only("id", "path").order_by("id")
    while batch := list(empty[:_BATCH]):
        for row in batch:
            row.paths = [row.path]
        execution.objects.bulk_update(batch, ["paths"])


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0015_path_collation"),
    ]

    # Going back leaves the lists filled: they are what the earlier code reads as [path] too.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
