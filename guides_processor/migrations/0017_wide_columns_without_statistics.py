"""No planner statistics for the wide columns that no query filters, joins or sorts by
(PostgreSQL).

ANALYZE samples every column of a table and sorts each column's sample: for an asset's
metadata, ids, map tree and key texts, that means reading large values out of TOAST and comparing
them, and the statistics it makes are never used to plan anything. The engine analyses these
tables a handful of times during a large run and again at its finish
(``PostgreSQLBackend.refresh_statistics``). Over 100,000 assets, ANALYZE of the assets took 0.52
s with every column and 0.24 s without these, of their references 0.26 s and 0.23 s (runs
alternating on one database; 0.78 s and 0.28 s for the assets in a slower hour).

``SET STATISTICS 0`` is PostgreSQL's way to leave a column out (section "ALTER TABLE" of its
manual); the columns that queries compare (relpath, status, type, deletion, the references'
asset, target, key, reason, link type) keep theirs. SQLite's planner is not given statistics.
"""

from django.db import migrations

_COLUMNS = {
    "guides_processor_asset": ("title", "error", "metadata", "ids", "map_tree", "key_texts"),
    "guides_processor_reference": ("value", "element", "note"),
}


def _statistics(target: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for name, names in _COLUMNS.items():
            changes = ", ".join(
                f"ALTER COLUMN {quote(column)} SET STATISTICS {target}" for column in names
            )
            schema_editor.execute(f"ALTER TABLE {quote(name)} {changes}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("guides_processor", "0016_execution_paths_filled"),
    ]

    # -1: the server's default_statistics_target again.
    operations = [migrations.RunPython(_statistics(0), _statistics(-1))]
