"""The suite's own setup for several test processes (``tests/conftest.py``)."""

import os

import pytest


@pytest.mark.django_db  # the ORM broker reads its queue from the database
def test_each_test_process_has_a_broker_queue_of_its_own_which_its_clusters_take():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        pytest.skip("one test process (-n 0): there is no other queue to keep apart")
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    assert Conf.CLUSTER_NAME == Conf.PREFIX == f"guides-{worker}"
    # The ORM broker's queue is the name; Redis's is django_q:<name>:q.
    assert Conf.CLUSTER_NAME in get_broker().list_key.split(":")
    # What a cluster started by a test reads (it inherits the environment).
    assert os.environ["GUIDES_CLUSTER_NAME"] == Conf.CLUSTER_NAME
