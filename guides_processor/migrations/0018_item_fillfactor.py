"""Room on each page of the manifest's items for the claim's new row versions (PostgreSQL).

A claim writes an item's lease (owner, expiry), which no index holds: with room on its page the
new version stays there and no index is touched (a HOT update). Packed full (the default fill
factor, 100), every claimed item's new version went to another page, with an entry in each of
the table's three indexes. Claiming 100,000 items in batches of 400 took 1.8 to 2.2 s of the
server's time packed full and 0.6 to 0.9 s at a fill factor of 50 (runs alternating on one
database); the manifest's insert took as long within the noise (0.65 to 0.98 s and 0.85 to
1.08 s), and the table ended smaller (34 MB against 46 MB): the versions a full page sends
elsewhere grow the table too. SQLite writes rows in place and has no such setting.
"""

from django.db import migrations

_TABLE = "guides_processor_executionitem"


def _fill(factor: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # New pages only: the pages written so far keep their rows as they are.
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(_TABLE)} SET (fillfactor = {factor})"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0017_wide_columns_without_statistics"),
    ]

    operations = [migrations.RunPython(_fill(50), _fill(100))]
