"""The backends' SQL where a behaviour is the backend's own."""

import uuid

import pytest
from django.db import connection, transaction

from guides_processor.engine.sql import BACKEND, columns, table
from guides_processor.models import Reference


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
