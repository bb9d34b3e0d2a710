"""The backends' SQL where a behaviour is the backend's own."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from guides_processor import executions
from guides_processor.engine.sql import BACKEND, columns, table
from guides_processor.engine.sql.unchanged import live_count
from guides_processor.models import Asset, ExecutionItem, LogLine, Reference, below

from .steps import one_step, run
from .trees import many, topic


@pytest.mark.django_db(transaction=True)
def test_a_stage_refilled_in_one_transaction_is_counted_for_the_planner() -> None:
    """The link pass refills a stage page after page in one transaction: the planner must see
    the rows of the current page, not the dead rows of the earlier ones."""
    if connection.vendor != "postgresql":
        pytest.skip("the planner's statistics of a temporary table: PostgreSQL only")
    shape = f"SELECT {columns('id')} FROM {table(Reference)}"
    with transaction.atomic(), connection.cursor() as cursor:
        BACKEND.stage(cursor, "guides_test_stage", shape, [(n,) for n in range(5000)])
        BACKEND.stage(cursor, "guides_test_stage", shape, [(n,) for n in range(3)])
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'guides_test_stage'")
        assert cursor.fetchone()[0] == 3


@pytest.mark.django_db(transaction=True)
def test_the_link_pass_plans_without_jit_for_its_transaction_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation of plans: PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
        with transaction.atomic():
            BACKEND.plan_without_jit()
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


def test_new_uuids_are_distinct_random_version_4_uuids() -> None:
    values = [uuid.UUID(str(value)) for value in BACKEND.new_uuids(1000)]
    assert len(set(values)) == 1000
    assert {value.version for value in values} == {4}
    assert {value.variant for value in values} == {uuid.RFC_4122}
    # Not the same bits set everywhere but the version's and the variant's.
    assert len({value.int >> 96 for value in values}) > 990
    assert BACKEND.new_uuids(0) == []


@pytest.mark.django_db
def test_insert_many_writes_every_row_as_given(write_tree) -> None:
    """250 rows: statements of whole chunks and a last shorter one (SQLite), or COPY."""
    write_tree(many(1))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    when = timezone.now()
    rows = [
        (execution.pk, 1000 + n, when, "INFO", f"line {n}: 100% %s ? ' \" done") for n in range(250)
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        BACKEND.insert_many(
            cursor, LogLine, ("execution_id", "line", "time", "level", "message"), rows
        )
        BACKEND.insert_many(cursor, LogLine, ("execution_id", "line"), [])
    stored = list(
        LogLine.objects.filter(execution=execution, line__gte=1000)
        .order_by("line")
        .values_list("line", "time", "message")
    )
    assert stored == [(line, when, message) for _, line, _, _, message in rows]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "line", "found"),
    [
        ("t\nt/e1\nt/e2", "t", True),  # the first line
        ("t\nt/e1\nt/e2", "t/e1", True),  # one between
        ("t\nt/e1\nt/e2", "t/e2", True),  # the last
        ("t\nt/e1\nt/e2", "t/e", False),  # the start of a line is not the line
        ("t\nt/e1\nt/e2", "e1", False),  # nor its end
        ("", "t", False),
    ],
)
def test_a_line_is_one_of_the_lines_of_a_text_only_whole(text: str, line: str, found: bool) -> None:
    """What the link pass asks of a topic's ids (one id a line) before it judges a fragment."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN {BACKEND.has_line('%s', '%s')} THEN 1 ELSE 0 END", [text, line]
        )
        assert cursor.fetchone()[0] == int(found)


@pytest.mark.django_db(transaction=True)
def test_the_statistics_leave_out_the_wide_columns_no_query_compares(write_tree) -> None:
    """The engine analyses the tables it fills (``refresh_statistics``): the columns queries
    compare get statistics, the wide ones read only as values (metadata, ids, an asset's map
    tree, a reference's value) get none, which is most of what ANALYZE took."""
    if connection.vendor != "postgresql":
        pytest.skip("per-column statistics targets: PostgreSQL only")
    write_tree(
        {
            **many(30),
            "maps/m.ditamap": '<map><topicref href="../bulk/t00001.dita"/></map>',
            "maps/t.dita": topic("t", "T", '<xref href="../bulk/t00002.dita"/>'),
        }
    )
    execution = run(executions.execution_create(path="/content/dam", created_by="admin"))
    assert execution.status == "SUCCESS"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE guides_processor_asset, guides_processor_reference")
        cursor.execute(
            "SELECT tablename, attname FROM pg_stats WHERE tablename IN "
            "('guides_processor_asset', 'guides_processor_reference')"
        )
        analysed = set(cursor.fetchall())
    asset, reference = "guides_processor_asset", "guides_processor_reference"
    assert {(asset, "relpath"), (asset, "status"), (asset, "asset_type")} <= analysed
    assert {(reference, "asset_id"), (reference, "target"), (reference, "key")} <= analysed
    wide = {(asset, name) for name in ("title", "error", "metadata", "ids", "map_tree")}
    wide |= {(asset, "key_texts"), (reference, "value"), (reference, "element")}
    wide |= {(reference, "note")}
    assert not wide & analysed


@pytest.mark.django_db
def test_a_claim_writes_its_leases_without_touching_an_index(write_tree) -> None:
    """The items' pages keep room for the claim's new row versions (a fill factor of 50): a
    claimed item is a HOT update, with no new index entry. Most, not all: a new version is a
    little larger than the row inserted (the owner and expiry set), so a page's last few may go
    elsewhere. Packed full, 2 in 100 were (here, and over 100,000 claimed items)."""
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates and the fill factor: PostgreSQL only")
    write_tree(many(120))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    while not execution.items.exists():
        one_step(execution)
    hot = "SELECT pg_stat_get_xact_tuples_hot_updated(%s::regclass)"
    items = [ExecutionItem._meta.db_table]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(hot, items)
        before = cursor.fetchone()[0]
        claimed = BACKEND.claim_batch(
            execution_id=execution.pk,
            owner="test",
            now=now,
            expires=now + timedelta(minutes=2),
            limit=100,
        )
        cursor.execute(hot, items)
        assert len(claimed) == 100
        assert cursor.fetchone()[0] - before >= 75


@pytest.mark.django_db
def test_the_live_assets_below_a_folder_are_all_of_them_less_the_deleted_ones() -> None:
    """docs holds three assets, one deleted; docs-old (beside it: '-' sorts before '/') and
    another folder hold one each, the first deleted."""
    now = timezone.now()
    for relpath, deleted in [
        ("docs/a.dita", False),
        ("docs/b/c.dita", True),
        ("docs/d.dita", False),
        ("docs-old/e.dita", True),
        ("other/f.dita", False),
    ]:
        Asset.objects.create(
            relpath=relpath, asset_type="DITATOPIC", status="SUCCESS", processed_at=now,
            deleted_at=now if deleted else None,
        )  # fmt: skip
    assert (live_count("docs"), live_count("docs/b"), live_count("other"), live_count()) == (
        2,
        0,
        1,
        3,
    )
    if connection.vendor == "sqlite":
        # The deleted ones are counted in their own index, not by reading each asset's row.
        gone = Asset.objects.filter(below("docs"), deleted_at__isnull=False)
        sql, params = gone.values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            assert "USING INDEX asset_deleted_idx" in str(cursor.fetchall())
