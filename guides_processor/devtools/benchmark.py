"""The benchmark behind ``manage.py benchmark``: the engine next to the physical limit.

Every figure is measured in one run, side by side, on the same generated repository, each on a
scratch database made like the test database (SQLite, or PostgreSQL when ``DATABASE_URL`` says so)
and dropped afterwards. Nothing is compared with a stored number: only ratios of figures measured
here, now, are reported.

(a) the bare loop: ``processing.process`` on every file, one process, no Django (``bare.py``);
(b) the full path: an execution started through the service and run by a real cluster, per worker
    count; (c) the calculation alone next to a bare ``os.scandir`` walk; (d) log tail and middle
    page of a 1,000,000-line log next to a 1,000-line one; (e) the executions page and the history
    API with 100,000 executions next to 100; (f) the status API's latency while a two-worker
    execution runs; (g) the peak memory of a worker; (h) the per-asset status page, the
    broken-links page and an asset's Used in with 100,000 assets next to 100, and the peak memory
    growth of the CSV export of 100,000 broken links (``--only graph`` measures (h) alone).
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf

from .. import executions
from ..cluster import cluster_alive
from ..engine import sql
from ..executions.queue import enqueue_suppressed
from ..models import FINISHED_STATUSES, Execution, ExecutionItem, ExecutionStatus, LogLine
from .demo import generate_demo_content

TARGETS = {
    "full_vs_bare": ("<=", 1.3),
    "speedup_2_workers": (">=", 1.7),
    "calculation_vs_walk": ("<=", 2.0),
    "cli_inline_vs_bare": ("<=", 1.5),
    "rerun_unchanged_vs_walk": ("<=", 3.0),
    # The scan stats every file, which the bare walk does not: about twice a walk alone.
    "catchup_scan_vs_walk": ("<=", 5.0),
    "status_p95_ms": ("<=", 100.0),
    "worker_peak_mb": ("<=", 300.0),
}
# PostgreSQL's writers do not share one lock as SQLite's do: two workers should nearly double.
POSTGRESQL_TARGETS = {"speedup_2_workers": (">=", 1.9)}
# ``--million``: the full path over 1,000,000 files with the defaults, next to the generated tree.
MILLION_TARGETS = {
    "million_vs_generated_files_per_second": (">=", 0.8),
    "million_status_p95_ms": ("<=", 100.0),
    "million_worker_peak_mb": ("<=", 300.0),
}
# The log viewer and the executions pages, with a large history next to a small one.
HISTORY_TARGETS = {
    "log_tail_1m_vs_1k": ("<=", 2.0),
    "log_page_1m_vs_1k": ("<=", 2.0),
    "executions_100k_vs_100": ("<=", 2.0),
    "history_100k_vs_100": ("<=", 2.0),
}
API = "/bin/guides/v1/assets/process"
PASSWORD = uuid.uuid4().hex
PROJECT = Path(settings.BASE_DIR)


@dataclass
class Options:
    files: int = 100_000
    workers: list[int] = field(default_factory=lambda: [1, 2])
    root: Path | None = None
    repository: Path | None = None
    log_lines: int = 1_000_000
    executions: int = 100_000
    graph_assets: int = 100_000
    # The full path over a repository of this many files as well (``--million``); 0: not run.
    million: int = 0
    million_repository: Path | None = None
    # "graph": only the reference graph's pages and export (``_measure_graph``); "engine": only
    # the generated tree (bare loop, full path, reruns, calculation, inline command).
    only: str = ""
    say: Callable[[str], None] = print


def run(options: Options) -> dict[str, Any]:
    """Run every measurement and return the report (figures, ratios, targets)."""
    # Tasks of this run go to a queue of its own, so that no other cluster picks them up.
    queue = f"guides-benchmark-{os.getpid()}"
    Conf.PREFIX = Conf.CLUSTER_NAME = queue
    # The console and the API are timed in this process through Django's test client.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    report: dict[str, Any] = {
        "database": sql.VENDOR,
        "broker": "redis" if settings.GUIDES_BROKER_URL else "orm",
        "cpus": os.cpu_count(),
    }
    if options.only != "graph":
        with _repository(options) as content:
            report["repository"] = {
                "path": str(content),
                "files": sum(1 for _ in _files(content)),
            }
            report["generated"] = _measure_tree(content, options, queue, status_during=2)
            if options.root is not None:
                report["root"] = _measure_tree(options.root, options, queue, status_during=None)
        if options.million:
            report["million"] = _measure_million(options, queue)
    if not options.only:
        options.say(f"logs: a 1,000-line and a {options.log_lines:,}-line log")
        report["logs"] = _measure_logs(options.log_lines)
        options.say(f"executions page and history: 100 and {options.executions:,} executions")
        report["executions"] = _measure_executions(options.executions)
    if options.only != "engine":
        options.say(
            f"status, broken-links and Used-in pages: 100 and {options.graph_assets:,} assets"
        )
        report["graph"] = _measure_graph(options.graph_assets)
    report["ratios"], report["meets_targets"] = _ratios(report)
    if "generated" in report:
        report["files_per_second"] = dict(report["generated"]["files_per_second"])
        if "million" in report:
            report["files_per_second"]["million"] = report["million"]["files_per_second"]
        report["status_p95_ms"] = report["ratios"]["status_p95_ms"]
        report["worker_peak_mb"] = report["ratios"]["worker_peak_mb"]
    report["targets"] = {name: f"{op} {value}" for name, (op, value) in _targets(report).items()}
    return report


def _targets(report: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """The targets of what this run measured."""
    engine = TARGETS | (POSTGRESQL_TARGETS if report.get("database") == "postgresql" else {})
    return (
        (engine if "generated" in report else {})
        | (MILLION_TARGETS if "million" in report else {})
        | (HISTORY_TARGETS if "logs" in report else {})
        | (GRAPH_TARGETS if "graph" in report else {})
    )


def _ratios(report: dict[str, Any]) -> tuple[dict[str, float | None], bool]:
    ratios = _engine_ratios(report["generated"]) if "generated" in report else {}
    if "million" in report:
        ratios |= _million_ratios(report["million"], report["generated"])
    if "logs" in report:
        ratios |= _history_ratios(report["logs"], report["executions"])
    if "graph" in report:
        ratios |= _graph_ratios(report["graph"])
    meets = True
    for name, (op, target) in _targets(report).items():
        value = ratios.get(name)
        if value is None:
            meets = False
            continue
        ratios[name] = round(value, 3)
        meets = meets and (value <= target if op == "<=" else value >= target)
    return ratios, meets


def _engine_ratios(tree: dict[str, Any]) -> dict[str, float | None]:
    seconds = tree["full"]
    one = seconds.get("1", {}).get("seconds")
    two = seconds.get("2", {}).get("seconds")
    return {
        "full_vs_bare": one / tree["bare"]["loop_seconds"] if one else None,
        "speedup_2_workers": one / two if one and two else None,
        # Not a target: the most two workers could gain over one, were everything before the
        # finish twice as fast (the finish is one process's work either way).
        "speedup_2_workers_at_best": _best_speedup(seconds.get("1", {}), seconds.get("2", {})),
        "calculation_vs_walk": tree["calculation"]["seconds"] / tree["bare"]["walk_seconds"],
        "cli_inline_vs_bare": tree["cli_inline"]["seconds"] / tree["bare"]["loop_seconds"],
        "rerun_unchanged_vs_walk": _over_bare(tree, "rerun", "walk_seconds"),
        "catchup_scan_vs_walk": _over_bare(tree, "catchup", "walk_seconds"),
        # Not targets: the unchanged rerun and the catch-up next to the least they must do, a
        # walk that stats each file.
        "rerun_unchanged_vs_stat_walk": _over_bare(tree, "rerun", "stat_walk_seconds"),
        "catchup_scan_vs_stat_walk": _over_bare(tree, "catchup", "stat_walk_seconds"),
        "status_p95_ms": tree.get("status", {}).get("p95_ms"),
        "worker_peak_mb": max((run["worker_peak_mb"] for run in seconds.values()), default=None),
    }


def _best_speedup(one: dict[str, Any], two: dict[str, Any]) -> float | None:
    """One worker's time over two workers' at best: the one-worker run with what came before
    its finish halved, and the two-worker run's own finish (Amdahl's law). None when a run or
    its finish was not measured."""
    if one.get("finish_seconds") is None or two.get("finish_seconds") is None:
        return None
    before = one["seconds"] - one["finish_seconds"]
    return float(one["seconds"] / (before / 2 + two["finish_seconds"]))


def _over_bare(tree: dict[str, Any], part: str, baseline: str) -> float | None:
    """The seconds of ``part`` of the tree's run over a bare baseline, None when not measured."""
    return tree[part]["seconds"] / tree["bare"][baseline] if part in tree else None


def _million_ratios(million: dict[str, Any], tree: dict[str, Any]) -> dict[str, float | None]:
    """The large run next to the generated tree's run with as many workers."""
    same = tree["files_per_second"].get(str(million["workers"]))
    bare = million.get("bare_files_per_second")
    return {
        "million_vs_generated_files_per_second": million["files_per_second"] / same
        if same
        else None,
        # Not a target: the same for the bare loop, which no engine can beat.
        "million_bare_vs_generated_bare_files_per_second": (
            bare / tree["files_per_second"]["bare"] if bare else None
        ),
        "million_status_p95_ms": million["status"]["p95_ms"],
        "million_worker_peak_mb": million["worker_peak_mb"],
    }


def _history_ratios(logs: dict[str, Any], executions: dict[str, Any]) -> dict[str, float]:
    return {
        "log_tail_1m_vs_1k": logs["tail"]["large_ms"] / logs["tail"]["small_ms"],
        "log_page_1m_vs_1k": logs["page"]["large_ms"] / logs["page"]["small_ms"],
        "executions_100k_vs_100": executions["page"]["large_ms"] / executions["page"]["small_ms"],
        "history_100k_vs_100": executions["history"]["large_ms"]
        / executions["history"]["small_ms"],
    }


# --- the repository ---------------------------------------------------------------------------


@contextmanager
def _repository(options: Options) -> Iterator[Path]:
    if (
        options.repository is not None
        and options.repository.exists()
        and any(options.repository.iterdir())
    ):
        options.say(f"repository: reusing {options.repository}")
        yield options.repository
        return
    target = options.repository or Path(tempfile.mkdtemp(prefix="guides-benchmark-")) / "content"
    options.say(f"repository: generating {options.files:,} files in {target}")
    generate_demo_content(target, files=options.files)
    try:
        yield target
    finally:
        if options.repository is None:
            shutil.rmtree(target.parent, ignore_errors=True)


def _measure_million(options: Options, queue: str) -> dict[str, Any]:
    """The full path over ``options.million`` files with the default settings and as many workers
    as cores, the status API polled and the workers' memory sampled all along; and the bare loop
    over the same files, once (what the machine itself does with a tree that size: one that
    does not fit its page cache is read from the disk again)."""
    large = Options(files=options.million, repository=options.million_repository, say=options.say)
    workers = settings.GUIDES_WORKERS
    with _repository(large) as content:
        files = sum(1 for _ in _files(content))
        options.say(f"{content}: the bare processing loop over {files:,} files, once")
        bare = _bare(content, repeat=1)
        options.say(f"{content}: the full path over {files:,} files with {workers} worker(s)")
        with _scratch_database() as database_url:
            run = _full_path(content, workers, database_url, queue, status=True, defaults=True)
    run["files_per_second"] = round(run["files"] / run["seconds"], 1)
    run["bare"] = bare
    run["bare_files_per_second"] = round(bare["files"] / bare["loop_seconds"], 1)
    return run


def _bare(root: Path, *, repeat: int = 2) -> dict[str, Any]:
    """The baselines of ``bare.measure`` over ``root``, in a process of their own (no Django)."""
    done = subprocess.run(
        [sys.executable, "-m", "guides_processor.devtools.bare", str(root), str(repeat)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def _files(root: Path) -> Iterator[str]:
    from .bare import walk

    yield from walk(str(root))


# --- one tree: bare loop, full path, calculation ----------------------------------------------


def _measure_tree(
    root: Path, options: Options, queue: str, *, status_during: int | None
) -> dict[str, Any]:
    options.say(f"{root}: the bare walk and the bare processing loop (no Django)")
    bare = _bare(root)
    tree: dict[str, Any] = {"bare": bare, "full": {}, "files_per_second": {}}
    tree["files_per_second"]["bare"] = round(bare["files"] / bare["loop_seconds"], 1)
    for workers in options.workers:
        options.say(f"{root}: the full path with {workers} worker(s)")
        with _scratch_database() as database_url:
            run = _full_path(root, workers, database_url, queue, status=workers == status_during)
            if "rerun" not in tree:
                options.say(f"{root}: an unchanged rerun (filterProcessedAssets)")
                tree["rerun"] = min((_rerun(root) for _ in range(2)), key=lambda r: r["seconds"])
                options.say(f"{root}: the catch-up's scan of the unchanged tree")
                tree["catchup"] = min(
                    (_catchup_scan(root) for _ in range(2)), key=lambda r: r["seconds"]
                )
        status = run.pop("status", None)
        if status is not None:
            tree["status"] = status
        tree["full"][str(workers)] = run
        tree["files_per_second"][str(workers)] = round(run["files"] / run["seconds"], 1)
    options.say(f"{root}: process_assets --wait with no cluster")
    with _scratch_database() as database_url:
        tree["cli_inline"] = _cli_inline(root, database_url, queue)
    options.say(f"{root}: the calculation alone")
    runs = []
    for _ in range(2):  # the best of two, as for the bare walk
        with _scratch_database():
            runs.append(_calculation(root))
    tree["calculation"] = min(runs, key=lambda run: run["seconds"])
    return tree


def _full_path(
    root: Path,
    workers: int,
    database_url: str,
    queue: str,
    *,
    status: bool,
    defaults: bool = False,
) -> dict[str, Any]:
    """An execution over ``root`` run by a cluster of ``workers`` workers (with ``defaults``, the
    cluster's own settings: the workers and parallel tasks it would take by itself)."""
    user = get_user_model().objects.create_superuser("benchmark", "", PASSWORD)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "GUIDES_CONTENT_ROOT": str(root),
        "GUIDES_CLUSTER_NAME": queue,
        "GUIDES_LOG_LEVEL": "WARNING",
    }
    if not defaults:
        env |= {"GUIDES_WORKERS": str(workers), "GUIDES_PARALLEL_TASKS": str(workers)}
    cluster = subprocess.Popen(
        [sys.executable, str(PROJECT / "manage.py"), "qcluster"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if not cluster_alive(seconds=60):
            raise RuntimeError("the benchmark's cluster did not start")
        previous_root = settings.GUIDES_CONTENT_ROOT
        settings.GUIDES_CONTENT_ROOT = root
        try:
            execution = executions.execution_create(path="/content/dam", created_by=user.username)
        finally:
            settings.GUIDES_CONTENT_ROOT = previous_root
        watch = _ProcessWatch(cluster.pid, server=_local_server())
        poller = _StatusPoller(execution) if status else None
        watch.start()
        if poller:
            poller.start()
        while execution.status not in FINISHED_STATUSES:
            time.sleep(0.2)
            execution.refresh_from_db()
        watch.stop()
        if poller:
            poller.stop()
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
    if execution.status != ExecutionStatus.SUCCESS:
        raise RuntimeError(
            f"the benchmark's execution ended {execution.status}: {execution.comments}"
        )
    assert execution.started_at and execution.completed_at
    seconds = (execution.completed_at - execution.created_at).total_seconds()
    run: dict[str, Any] = {
        "workers": workers,
        "files": execution.total_files,
        "seconds": round(seconds, 3),
        "finish_seconds": _finish_seconds(execution),
        "processed": execution.processed_count,
        "failed": execution.failed_count,
        "worker_peak_mb": round(watch.peak_kb / 1024, 1),
        "cpu_seconds": watch.cpu_seconds(),
    }
    if poller:
        run["status"] = poller.summary()
    return run


def _finish_seconds(execution: Execution) -> float | None:
    """The seconds from the last file written to the execution's end: its finish (the link pass
    and the summary), which one process does however many workers ran the batches."""
    last = ExecutionItem.objects.filter(execution=execution).aggregate(last=Max("finished_at"))
    written: datetime | None = last["last"]
    if written is None or execution.completed_at is None:
        return None
    return round((execution.completed_at - written).total_seconds(), 3)


_CLI_ARGS = ("/content/dam", "--wait", "--json")


def _cli_inline(root: Path, database_url: str, queue: str) -> dict[str, Any]:
    """``process_assets --wait --json`` with no cluster: from the command's start to its end,
    interpreter and Django start-up included, as a user waits for it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "GUIDES_CONTENT_ROOT": str(root),
        "GUIDES_CLUSTER_NAME": queue,
        "GUIDES_LOG_LEVEL": "WARNING",
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), "process_assets", *_CLI_ARGS],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"process_assets --wait failed: {done.stderr[-2000:]}")
    status = json.loads(done.stdout)
    return {
        "files": status["migrationSet"]["totalFiles"],
        "processes": settings.GUIDES_INLINE_PROCESSES,
        "seconds": round(seconds, 3),
    }


def _rerun(root: Path) -> dict[str, Any]:
    """An execution with filterProcessedAssets on the tree processed a moment before, from its
    creation to its end, in this process (no cluster: what is timed is the work, not a task's
    pick-up)."""
    from .bare import walk

    previous_root = settings.GUIDES_CONTENT_ROOT
    settings.GUIDES_CONTENT_ROOT = root
    try:
        walk(str(root))  # the same warm page cache as the bare walk had
        start = time.perf_counter()
        with enqueue_suppressed():
            execution = executions.execution_create(
                path="/content/dam", created_by="benchmark", filter_processed_assets=True
            )
            execution = executions.execution_run_inline(processing_id=execution.processing_id)
        seconds = time.perf_counter() - start
    finally:
        settings.GUIDES_CONTENT_ROOT = previous_root
    if execution.status != ExecutionStatus.SUCCESS:
        raise RuntimeError(f"the unchanged rerun ended {execution.status}: {execution.comments}")
    return {
        "files": execution.total_files,
        "skipped": execution.skipped_count,
        "processed": execution.processed_count,
        "seconds": round(seconds, 3),
    }


def _catchup_scan(root: Path) -> dict[str, Any]:
    """The catch-up's look at the tree processed a moment before: a stat of every file compared
    with its asset, in this process (what every GUIDES_CATCHUP_SECONDS costs when nothing
    changed)."""
    from ..executions.catchup import catchup_scan
    from .bare import walk

    previous_root = settings.GUIDES_CONTENT_ROOT
    settings.GUIDES_CONTENT_ROOT = root
    try:
        walk(str(root))  # the same warm page cache as the bare walk had
        start = time.perf_counter()
        changes = catchup_scan(paths=["/content/dam"])
        seconds = time.perf_counter() - start
    finally:
        settings.GUIDES_CONTENT_ROOT = previous_root
    if changes.anything:
        raise RuntimeError(f"the catch-up found changes in an unchanged tree: {changes}")
    return {"files": changes.scanned, "seconds": round(seconds, 3)}


def _calculation(root: Path) -> dict[str, Any]:
    from .bare import walk

    previous_root = settings.GUIDES_CONTENT_ROOT
    settings.GUIDES_CONTENT_ROOT = root
    try:
        walk(str(root))  # the same warm page cache as the bare walk had
        execution = executions.execution_create(path="/content/dam", created_by="benchmark")
        start = time.perf_counter()
        execution = executions.execution_calculate(processing_id=execution.processing_id)
        seconds = time.perf_counter() - start
    finally:
        settings.GUIDES_CONTENT_ROOT = previous_root
    return {"files": execution.total_files, "seconds": round(seconds, 3)}


class _ProcessWatch(threading.Thread):
    """The processes of a run, sampled while it goes: the largest resident set of any process of
    the cluster (workers included), and the CPU time of the cluster's processes and of the
    database server's (``server``: the name of its processes on this machine, None when it has
    none here), next to the CPU time the machine's cores were busy for.

    The CPU times say where a run's time went: a one-worker run over 100,000 files on
    PostgreSQL kept the machine's cores busy for 59 CPU-seconds, of which the server's were 23.
    A process that ends during the run (the link pass's helper) may have used up to a sampling
    interval (0.25 s) more than was seen."""

    def __init__(self, pid: int, *, server: str | None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.server = server
        self.peak_kb = 0
        self._done = threading.Event()
        # The CPU seconds of each process seen (its group, the seconds it had used by then), and
        # of those already there (the cluster's start, the server's earlier work are not the
        # run's).
        self._seen: dict[int, tuple[str, float]] = {}
        processes = _processes()
        ours = set(_descendants(pid, processes))
        self._before = {
            known: cpu
            for known, (_, name, cpu) in processes.items()
            if known in ours or name == server
        }
        self._busy = (_busy_seconds(), 0.0)
        self._elapsed = (time.monotonic(), 0.0)

    def run(self) -> None:
        while not self._done.wait(0.25):
            self._sample()

    def stop(self) -> None:
        self._sample()
        self._busy = (self._busy[0], _busy_seconds())
        self._elapsed = (self._elapsed[0], time.monotonic())
        self._done.set()
        self.join()

    def cpu_seconds(self) -> dict[str, float | None]:
        """The CPU seconds, once stopped, of the cluster and of the database server (None when
        not measured here), those the machine's cores were busy for, and those they had."""
        used = {"cluster": 0.0, "server": 0.0}
        for pid, (group, cpu) in self._seen.items():
            used[group] += cpu - self._before.get(pid, 0.0)
        (busy_from, busy_to), (start, end) = self._busy, self._elapsed
        return {
            "cluster": round(used["cluster"], 1),
            "database_server": round(used["server"], 1) if self.server else None,
            "machine_busy": round(busy_to - busy_from, 1),
            "machine_available": round((end - start) * (os.cpu_count() or 1), 1),
        }

    def _sample(self) -> None:
        processes = _processes()
        for pid in _descendants(self.pid, processes):
            if pid in processes:
                self._seen[pid] = ("cluster", processes[pid][2])
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(("VmHWM:", "VmRSS:")):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))
        for pid, (_, name, cpu) in processes.items():
            if name == self.server:
                self._seen[pid] = ("server", cpu)


_TICKS = os.sysconf("SC_CLK_TCK")


def _local_server() -> str | None:
    """The name of the database server's processes when it runs on this machine (PostgreSQL's,
    reached through a local address or socket), else None."""
    host = str(connection.settings_dict.get("HOST") or "")
    local = host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")
    return "postgres" if sql.VENDOR == "postgresql" and local else None


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process of the machine: (its parent, its name, the CPU seconds it has used)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        head, _, rest = text.rpartition(")")
        fields = rest.split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
        found[int(entry.name)] = (int(fields[1]), head.partition("(")[2], cpu)
    return found


def _busy_seconds() -> float:
    """The CPU seconds the machine's cores have been busy for (not idle, not waiting for I/O)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS


def _descendants(pid: int, processes: dict[int, tuple[int, str, float]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(child)
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


class _StatusPoller(threading.Thread):
    """Asks the status API every 50 ms, as a pipeline polling for completion would."""

    def __init__(self, execution: Execution) -> None:
        super().__init__(daemon=True)
        self.url = f"{API}/status?processingId={execution.processing_id}"
        self.samples: list[float] = []
        self.errors = 0
        self._done = threading.Event()

    def run(self) -> None:
        client = _basic_client()
        client.get(self.url)  # verifies the password once, as a polling script's first request does
        try:
            while not self._done.wait(0.05):
                start = time.perf_counter()
                response = client.get(self.url)
                self.samples.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    self.errors += 1
        finally:
            connection.close()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples)
        if not ordered:
            return {"requests": 0}
        return {
            "requests": len(ordered),
            "errors": self.errors,
            "p50_ms": round(ordered[len(ordered) // 2], 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            "max_ms": round(ordered[-1], 2),
        }


def _basic_client() -> Client:
    import base64

    token = base64.b64encode(f"benchmark:{PASSWORD}".encode()).decode()
    return Client(headers={"Authorization": f"Basic {token}"})


# --- scratch databases ------------------------------------------------------------------------


@contextmanager
def _scratch_database() -> Iterator[str]:
    """A fresh, migrated database for one measurement; yields a DATABASE_URL for clusters."""
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    scratch = str(connection.settings_dict["NAME"])
    try:
        yield _database_url()
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
        if sql.VENDOR == "sqlite":
            # The writers' lock file beside it (guides_processor/sqlite) goes with it.
            with suppress(OSError):
                os.remove(f"{scratch}-writer.lock")


def _database_url() -> str:
    db = connection.settings_dict
    if sql.VENDOR == "sqlite":
        return f"sqlite:///{db['NAME']}"
    from urllib.parse import quote

    user = quote(db.get("USER") or "", safe="")
    password = (":" + quote(db["PASSWORD"], safe="")) if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or ''}:{db.get('PORT') or 5432}/{db['NAME']}"


# --- logs and executions ----------------------------------------------------------------------


def _timed(client: Client, url: str, *, repeat: int = 30) -> float:
    """The median milliseconds of ``repeat`` GETs (after one unmeasured warm-up)."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _log_execution(lines: int) -> Execution:
    execution = Execution.objects.create(
        path="/content/dam", created_by="benchmark", status=ExecutionStatus.SUCCESS
    )
    now = sql.stamp(timezone.now())
    chunk = 50_000
    with connection.cursor() as cursor:
        for start in range(0, lines, chunk):
            cursor.executemany(
                f"INSERT INTO {sql.table(LogLine)} "
                f"({sql.columns('execution_id', 'line', 'time', 'level', 'message')}) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    (
                        execution.pk,
                        line,
                        now,
                        "INFO",
                        f"Processed /content/dam/products/topic-{line:07d}.dita (DITATOPIC): "
                        "6 references.",
                    )
                    for line in range(start, min(start + chunk, lines))
                ],
            )
    Execution.objects.filter(pk=execution.pk).update(log_line_count=lines)
    execution.refresh_from_db()
    return execution


def _measure_logs(large: int) -> dict[str, Any]:
    with _scratch_database():
        get_user_model().objects.create_superuser("benchmark", "", PASSWORD)
        small_execution, large_execution = _log_execution(1_000), _log_execution(large)
        client = _basic_client()
        figures: dict[str, Any] = {"lines": {"small": 1_000, "large": large}}
        queries: tuple[tuple[str, Callable[[Execution], str]], ...] = (
            ("tail", lambda e: "tail=500"),
            ("page", lambda e: f"offset={e.log_line_count // 2}&limit=500"),
        )
        for name, query in queries:
            figures[name] = {
                "small_ms": round(
                    _timed(
                        client,
                        f"{API}/logs?processingId={small_execution.processing_id}&{query(small_execution)}",
                    ),
                    3,
                ),
                "large_ms": round(
                    _timed(
                        client,
                        f"{API}/logs?processingId={large_execution.processing_id}&{query(large_execution)}",
                    ),
                    3,
                ),
            }
        return figures


def _add_executions(count: int) -> None:
    now = timezone.now()
    batch = 5_000
    for start in range(0, count, batch):
        Execution.objects.bulk_create(
            [
                Execution(
                    path=f"/content/dam/products/p{index % 40}",
                    paths=[f"/content/dam/products/p{index % 40}"],
                    created_by="benchmark",
                    status=ExecutionStatus.SUCCESS,
                    started_at=now,
                    completed_at=now,
                    total_files=100,
                    processed_count=100,
                    calculation_status="SUCCESS",
                )
                for index in range(start, min(start + batch, count))
            ]
        )


def _measure_executions(large: int) -> dict[str, Any]:
    with _scratch_database():
        user = get_user_model().objects.create_superuser("benchmark", "", PASSWORD)
        session = Client()
        session.force_login(user)
        basic = _basic_client()
        page = reverse("guides_processor:executions")
        history = f"{API}/history?limit=20"
        _add_executions(100)
        small = {"page": _timed(session, page), "history": _timed(basic, history)}
        _add_executions(large - 100)
        big = {"page": _timed(session, page), "history": _timed(basic, history)}
        return {
            "counts": {"small": 100, "large": large},
            "page": {"small_ms": round(small["page"], 3), "large_ms": round(big["page"], 3)},
            "history": {
                "small_ms": round(small["history"], 3),
                "large_ms": round(big["history"], 3),
            },
        }


def format_report(report: dict[str, Any]) -> str:
    """The figures and ratios for a person to read."""
    out = [f"database {report['database']}, broker {report['broker']}, {report['cpus']} CPUs"]
    for key in ("generated", "root"):
        if report.get(key):
            out += _format_tree(key, report[key])
    if "million" in report:
        out += _format_million(report["million"])
    if "logs" in report:
        out += _format_history(report["logs"], report["executions"])
    if "graph" in report:
        out += _format_graph(report["graph"])
    out.append("\nratio                               value     target")
    for name, (op, target) in _targets(report).items():
        value = report["ratios"].get(name)
        if value is None:
            shown, mark = "-", "missing"
        else:
            met = value <= target if op == "<=" else value >= target
            shown, mark = f"{value:.3f}", "ok" if met else "MISSED"
        out.append(f"  {name:38} {shown:>8}   {op} {target:<6} {mark}")
    out.append(f"\nmeets targets: {report['meets_targets']}")
    return "\n".join(out)


def _format_tree(key: str, tree: dict[str, Any]) -> list[str]:
    bare, speed = tree["bare"], tree["files_per_second"]
    out = [
        f"\n{key} repository: {bare['files']:,} files",
        f"  bare walk               {bare['walk_seconds']:8.2f} s",
        f"  bare walk with stat     {bare['stat_walk_seconds']:8.2f} s  "
        "(the least an unchanged rerun or a catch-up does)",
        f"  bare processing loop    {bare['loop_seconds']:8.2f} s  ({speed['bare']:,.0f} files/s)",
        f"  calculation             {tree['calculation']['seconds']:8.2f} s",
        f"  unchanged rerun         {tree['rerun']['seconds']:8.2f} s  "
        f"({tree['rerun']['skipped']:,} skipped unread)",
        f"  catch-up scan           {tree['catchup']['seconds']:8.2f} s  "
        "(unchanged, nothing queued)",
        f"  process_assets --wait   {tree['cli_inline']['seconds']:8.2f} s  "
        f"(no cluster, {tree['cli_inline']['processes']} processes)",
    ]
    for workers, run in tree["full"].items():
        out.append(
            f"  full path, {workers} worker(s)  {run['seconds']:8.2f} s  "
            f"({speed[workers]:,.0f} files/s, worker peak {run['worker_peak_mb']:.0f} MB)"
        )
        out += _format_finish(run)
        if "cpu_seconds" in run:
            out.append(f"    {_format_cpu(run['cpu_seconds'])}")
    best = _best_speedup(tree["full"].get("1", {}), tree["full"].get("2", {}))
    if best is not None:
        out.append(
            f"  two workers over one at best: {best:.2f} "
            "(all before the finish twice as fast, the finish as it was)"
        )
    if "status" in tree:
        out.append(f"  status API during the 2-worker run: {_format_status(tree['status'])}")
    return out


def _format_cpu(cpu: dict[str, float | None]) -> str:
    server = cpu["database_server"]
    return (
        f"CPU seconds: cluster {cpu['cluster']:.1f}"
        + (f", database server {server:.1f}" if server is not None else "")
        + f"; the machine busy {cpu['machine_busy']:.1f} of {cpu['machine_available']:.1f}"
    )


def _format_finish(run: dict[str, Any]) -> list[str]:
    """The line of a full run's finish, when it was timed."""
    if run.get("finish_seconds") is None:
        return []
    return [f"    its finish (from the last file written) {run['finish_seconds']:.2f} s"]


def _format_status(status: dict[str, Any]) -> str:
    return (
        f"{status['requests']} requests, p50 {status['p50_ms']} ms, "
        f"p95 {status['p95_ms']} ms, max {status['max_ms']} ms"
    )


def _format_million(run: dict[str, Any]) -> list[str]:
    return [
        f"\nlarge repository: {run['files']:,} files, {run['workers']} worker(s), defaults",
        f"  full path               {run['seconds']:8.2f} s  "
        f"({run['files_per_second']:,.0f} files/s, worker peak {run['worker_peak_mb']:.0f} MB)",
        f"  status API during the run: {_format_status(run['status'])}",
        *_format_finish(run),
        *([f"    {_format_cpu(run['cpu_seconds'])}"] if "cpu_seconds" in run else []),
        *(
            [
                f"  bare loop (once)        {run['bare']['loop_seconds']:8.2f} s  "
                f"({run['bare_files_per_second']:,.0f} files/s)"
            ]
            if "bare" in run
            else []
        ),
    ]


def _pair(name: str, figures: dict[str, float]) -> str:
    return f"  {name:14} {figures['small_ms']:8.2f} {figures['large_ms']:8.2f}"


def _format_history(logs: dict[str, Any], executions: dict[str, Any]) -> list[str]:
    return [
        f"\nlogs, {logs['lines']['small']:,} and {logs['lines']['large']:,} lines (median ms):",
        _pair("tail 500", logs["tail"]),
        _pair("middle page", logs["page"]),
        f"executions, {executions['counts']['small']:,} and "
        f"{executions['counts']['large']:,} (median ms):",
        _pair("console page", executions["page"]),
        _pair("history API", executions["history"]),
    ]


def _format_graph(graph: dict[str, Any]) -> list[str]:
    assets = graph["assets"]
    return [
        f"\nreference graph, {assets['small']:,} and {assets['large']:,} assets "
        "(median ms, each page read after a cursor in the middle):",
        _pair("status page", graph["status"]),
        _pair("broken links", graph["broken_links"]),
        _pair("Used in", graph["used_in"]),
        f"  CSV of {graph['csv']['rows']:,} broken links: peak RSS growth "
        f"{graph['csv']['rss_growth_mb']} MB",
    ]


# --- the reference graph: status, broken links, Used in ---------------------------------------

GRAPH_TARGETS = {
    "status_page_100k_vs_100": ("<=", 2.0),
    "broken_links_page_100k_vs_100": ("<=", 2.0),
    "used_in_page_100k_vs_100": ("<=", 2.0),
    # Streaming keeps one chunk of rows (EXPORT_CHUNK) in memory, whatever the report holds.
    "broken_links_csv_rss_growth_mb": ("<=", 64.0),
}
REPORT_API = "/bin/guides/v1/reports/broken-links"
STATUS_API = "/bin/guides/v1/assets/status"
_GRAPH_FOLDER = "graph"
# Every asset's uses name this one: its Used in holds a row per asset.
_GRAPH_TARGET = f"{_GRAPH_FOLDER}/t0000000.dita"


def _add_graph_assets(content: Path, start: int, stop: int) -> None:
    """Files ``start`` to ``stop`` of the folder on disk, and their rows written directly (bulk
    inserts, as a finished execution would leave them, instead of processing each file): a
    processed topic, one broken reference and one to the common target with its UsedIn row."""
    from ..models import Asset, Reference, UsedIn
    from ..processing import DITATOPIC, FILE_MISSING, LINK_TOPIC, SUCCESS

    folder = content / _GRAPH_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    batch = 5_000
    for first in range(start, stop, batch):
        names = [f"t{index:07d}.dita" for index in range(first, min(first + batch, stop))]
        for name in names:
            (folder / name).write_bytes(b"<topic/>\n")
        Asset.objects.bulk_create(
            Asset(
                relpath=f"{_GRAPH_FOLDER}/{name}",
                asset_type=DITATOPIC,
                status=SUCCESS,
                size=9,
                mtime=(folder / name).stat().st_mtime,
                processed_at=now,
            )
            for name in names
        )
        ids = list(
            Asset.objects.filter(
                relpath__in=[f"{_GRAPH_FOLDER}/{name}" for name in names]
            ).values_list("id", flat=True)
        )
        references: list[Reference] = []
        for asset_id in ids:
            common = {"asset_id": asset_id, "attribute": "href", "link_type": LINK_TOPIC}
            references.append(
                Reference(
                    value="gone.dita",
                    scope="local",
                    target=f"{_GRAPH_FOLDER}/gone.dita",
                    broken=True,
                    reason=FILE_MISSING,
                    line=3,
                    **common,
                )
            )
            references.append(
                Reference(value="t0000000.dita", scope="local", target=_GRAPH_TARGET, **common)
            )
        Reference.objects.bulk_create(references, batch_size=batch)
        UsedIn.objects.bulk_create(
            (
                UsedIn(reference_id=pk, target=_GRAPH_TARGET, asset_id=asset_id)
                for pk, asset_id in Reference.objects.filter(
                    asset_id__in=ids, broken=False
                ).values_list("id", "asset_id")
            ),
            batch_size=batch,
        )
    # The planner's statistics as a finish leaves them (PostgreSQL: ANALYZE where stale).
    sql.refresh_statistics()
    # Settled, as a repository folder is between two changes: its sorted listing may be kept.
    os.utime(folder, (time.time() - 60, time.time() - 60))


def _graph_pages(count: int, basic: Client, session: Client) -> dict[str, float]:
    """The median ms of a status page, a broken-links page and the target's asset page (its
    Used in), each in the middle of ``count`` assets (read after a cursor there)."""
    from ..models import Reference

    middle = f"{_GRAPH_FOLDER}/t{count // 2:07d}.dita"
    response = basic.post(
        STATUS_API, {"paths": [f"/content/dam/{_GRAPH_FOLDER}"]}, content_type="application/json"
    )
    job = response.json()["jobId"]
    # Pages of 50, as the report's: the 100-asset folder holds 50 after its middle, so both
    # sides compare pages of as many rows (with 100, the larger side's held twice as many).
    status = f"{STATUS_API}?jobId={job}&counts=false&limit=50&after=/content/dam/{middle}"
    reference = (
        Reference.objects.filter(asset__relpath=middle, broken=True).values_list("id", flat=True)
    )[0]
    report = (
        f"{REPORT_API}?path=/content/dam/{_GRAPH_FOLDER}&limit=50"
        f"&after={reference}:/content/dam/{middle}"
    )
    used_in = reverse("guides_processor:asset_detail") + f"?path=/content/dam/{_GRAPH_TARGET}"
    return {
        "status": _timed(basic, status),
        "broken_links": _timed(basic, report),
        "used_in": _timed(session, used_in),
    }


class _OwnMemory(threading.Thread):
    """The largest resident set of this process while it runs, sampled every 5 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_kb = self.peak_kb = self._rss_kb()
        self._done = threading.Event()

    @staticmethod
    def _rss_kb() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def run(self) -> None:
        while not self._done.wait(0.005):
            self.peak_kb = max(self.peak_kb, self._rss_kb())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return (max(self.peak_kb, self._rss_kb()) - self.start_kb) / 1024


def _measure_graph(large: int) -> dict[str, Any]:
    from django.test import override_settings

    with _scratch_database(), tempfile.TemporaryDirectory(prefix="guides-graph-") as scratch:
        content = Path(scratch)
        user = get_user_model().objects.create_superuser("benchmark", "", PASSWORD)
        session = Client()
        session.force_login(user)
        basic = _basic_client()
        with override_settings(GUIDES_CONTENT_ROOT=str(content)):
            _add_graph_assets(content, 0, 100)
            small = _graph_pages(100, basic, session)
            _add_graph_assets(content, 100, large)
            big = _graph_pages(large, basic, session)
            memory = _OwnMemory()
            memory.start()
            response = basic.get(f"{REPORT_API}?path=/content/dam/{_GRAPH_FOLDER}&format=csv")
            streamed = cast(Iterator[bytes], getattr(response, "streaming_content", iter(())))
            rows = sum(chunk.count(b"\n") for chunk in streamed) - 1
            growth = memory.stop()
        return {
            "assets": {"small": 100, "large": large},
            **{
                name: {"small_ms": round(small[name], 3), "large_ms": round(big[name], 3)}
                for name in small
            },
            "csv": {"rows": rows, "rss_growth_mb": round(growth, 1)},
        }


def _graph_ratios(graph: dict[str, Any]) -> dict[str, float | None]:
    return {
        f"{name}_page_100k_vs_100": graph[name]["large_ms"] / graph[name]["small_ms"]
        for name in ("status", "broken_links", "used_in")
    } | {"broken_links_csv_rss_growth_mb": graph["csv"]["rss_growth_mb"]}
