"""Whether a django-q2 cluster is running: one answers the ``tasks.ping`` task."""

import time

from django_q.tasks import async_task, result


def cluster_alive(*, seconds: float) -> bool:
    """Whether a cluster picks up and answers a ping within ``seconds`` (False at once for 0).

    The ping goes through the broker like any task, so a True also says that tasks sent now will
    be worked on.
    """
    if seconds <= 0:
        return False
    task_id = async_task("guides_processor.tasks.ping", task_name=f"ping-{time.time_ns()}")
    return result(task_id, wait=int(seconds * 1000)) == "pong"
