"""`manage.py benchmark`: its options, and the ratios it derives from what it measured.

The measurements themselves take minutes and are not run here (speed is never asserted by a
test); these check what the command makes of figures it is given.
"""

import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from guides_processor.devtools import benchmark
from guides_processor.models import Execution, ExecutionItem


def tree(fps_two_workers: float) -> dict[str, Any]:
    """A generated tree's figures, as ``_measure_tree`` reports them."""
    return {
        "bare": {
            "files": 1000,
            "walk_seconds": 0.1,
            "stat_walk_seconds": 0.2,
            "loop_seconds": 10.0,
        },
        "full": {
            "1": {"workers": 1, "files": 1000, "seconds": 20.0, "worker_peak_mb": 120.0},
            "2": {
                "workers": 2,
                "files": 1000,
                "seconds": 1000 / fps_two_workers,
                "worker_peak_mb": 130.0,
            },
        },
        "files_per_second": {"bare": 100.0, "1": 50.0, "2": fps_two_workers},
        "calculation": {"files": 1000, "seconds": 0.15},
        "rerun": {"files": 1000, "skipped": 1000, "processed": 0, "seconds": 0.25},
        "catchup": {"files": 1000, "seconds": 0.3},
        "cli_inline": {"files": 1000, "processes": 2, "seconds": 14.0},
        "status": {"requests": 10, "p50_ms": 8.0, "p95_ms": 12.0, "max_ms": 20.0},
    }


def million(fps: float, peak_mb: float = 200.0, p95_ms: float = 40.0) -> dict[str, Any]:
    return {
        "workers": 2,
        "files": 1_000_000,
        "seconds": 1_000_000 / fps,
        "files_per_second": fps,
        "worker_peak_mb": peak_mb,
        "status": {"requests": 900, "p50_ms": 20.0, "p95_ms": p95_ms, "max_ms": 90.0},
    }


def report(
    generated: dict[str, Any], large: dict[str, Any] | None, database: str = "sqlite"
) -> dict[str, Any]:
    out: dict[str, Any] = {"database": database, "broker": "orm", "cpus": 2}
    out["generated"] = generated
    if large is not None:
        out["million"] = large
    out["ratios"], out["meets_targets"] = benchmark._ratios(out)
    return out


def test_million_files_per_second_is_compared_with_the_generated_trees_as_many_workers() -> None:
    measured = report(tree(fps_two_workers=80.0), million(fps=60.0))
    ratios = measured["ratios"]
    assert ratios["million_vs_generated_files_per_second"] == 0.75  # 60 / 80
    assert ratios["million_status_p95_ms"] == 40.0
    assert ratios["million_worker_peak_mb"] == 200.0
    assert measured["meets_targets"] is False  # 0.75 < 0.8, and the engine ratios miss too
    text = benchmark.format_report(measured)
    assert "large repository: 1,000,000 files, 2 worker(s), defaults" in text
    line = next(row for row in text.splitlines() if "million_vs_generated" in row)
    assert line.split()[1:] == ["0.750", ">=", "0.8", "MISSED"]


def test_the_rerun_and_the_catch_up_are_also_shown_next_to_a_walk_that_stats_each_file() -> None:
    measured = report(tree(fps_two_workers=80.0), None)
    ratios = measured["ratios"]
    assert ratios["rerun_unchanged_vs_walk"] == 2.5  # 0.25 / 0.1: the target's ratio
    assert ratios["rerun_unchanged_vs_stat_walk"] == pytest.approx(1.25)  # 0.25 / 0.2
    assert ratios["catchup_scan_vs_stat_walk"] == pytest.approx(1.5)  # 0.3 / 0.2
    text = benchmark.format_report(measured)
    assert "bare walk with stat         0.20 s" in text
    # Shown for reading, not judged: no target line.
    assert not any("vs_stat_walk" in row for row in text.splitlines())


def test_the_million_run_shows_the_bare_loop_over_its_own_files() -> None:
    # The bare loop took 20 s over the million files (50 files/s) where it did 100 files/s over
    # the generated tree: half the pace, with no engine at all.
    large = million(fps=60.0) | {
        "bare": {"files": 1_000_000, "walk_seconds": 9.0, "stat_walk_seconds": 3.0,
                 "loop_seconds": 20_000.0},
        "bare_files_per_second": 50.0,
        "finish_seconds": 61.5,
    }  # fmt: skip
    measured = report(tree(fps_two_workers=80.0), large)
    assert measured["ratios"]["million_bare_vs_generated_bare_files_per_second"] == 0.5
    text = benchmark.format_report(measured)
    assert "bare loop (once)        20000.00 s  (50 files/s)" in text
    assert "its finish (from the last file written) 61.50 s" in text
    # Shown, not judged.
    assert not any("million_bare" in row for row in text.splitlines())


def test_a_run_without_million_has_no_million_targets() -> None:
    measured = report(tree(fps_two_workers=80.0), None)
    assert not any(name.startswith("million") for name in measured["ratios"])
    assert "large repository" not in benchmark.format_report(measured)


def test_million_target_met_and_missed_by_memory() -> None:
    fine = report(tree(fps_two_workers=80.0), million(fps=79.0))
    line = next(
        row for row in benchmark.format_report(fine).splitlines() if "million_vs_gen" in row
    )
    assert line.endswith("ok")
    heavy = report(tree(fps_two_workers=80.0), million(fps=79.0, peak_mb=301.0))
    assert "MISSED" in next(
        row
        for row in benchmark.format_report(heavy).splitlines()
        if "million_worker_peak_mb" in row
    )


def test_million_with_only_graph_is_refused() -> None:
    with pytest.raises(CommandError, match="--million measures the engine") as raised:
        call_command("benchmark", "--only", "graph", "--million")
    assert raised.value.returncode == 2


def test_two_workers_must_nearly_double_on_postgresql_where_sqlite_shares_a_write_lock() -> None:
    # 1 worker: 50 files/s; 2 workers: 90 files/s, a speed-up of 1.8.
    sqlite = report(tree(fps_two_workers=90.0), None)
    postgresql = report(tree(fps_two_workers=90.0), None, database="postgresql")
    assert sqlite["ratios"]["speedup_2_workers"] == postgresql["ratios"]["speedup_2_workers"] == 1.8
    assert benchmark._targets(sqlite)["speedup_2_workers"] == (">=", 1.7)
    assert benchmark._targets(postgresql)["speedup_2_workers"] == (">=", 1.9)
    rows = [
        next(row for row in benchmark.format_report(measured).splitlines() if "speedup_2" in row)
        for measured in (sqlite, postgresql)
    ]
    assert rows[0].split()[1:] == ["1.800", ">=", "1.7", "ok"]
    assert rows[1].split()[1:] == ["1.800", ">=", "1.9", "MISSED"]


def test_a_runs_cpu_seconds_are_counted_for_the_process_and_its_children() -> None:
    """The cluster's CPU time is its processes' (a child's too), sampled while they live (the
    child here lives on a moment after its work, for a sample to see all of it)."""
    burn = (
        "import time\nend = time.process_time() + 0.4\n"
        "while time.process_time() < end: pass\ntime.sleep(0.6)"
    )
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}])",
        ]
    )
    watch = benchmark._ProcessWatch(parent.pid, server=None)
    watch.start()
    parent.wait()
    watch.stop()
    cpu = watch.cpu_seconds()
    assert cpu["cluster"] is not None and cpu["cluster"] >= 0.35
    assert cpu["database_server"] is None
    assert cpu["machine_busy"] is not None and cpu["machine_busy"] >= 0.3
    assert cpu["machine_available"] is not None and cpu["machine_available"] > 0
    assert watch.peak_kb > 0


def test_what_a_process_used_before_the_watch_began_is_not_counted() -> None:
    """The cluster starts before the run: its start-up is not the run's."""
    burn = (
        "import sys, time\nend = time.process_time() + 0.4\n"
        "while time.process_time() < end: pass\nprint(flush=True)\nsys.stdin.read()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdin is not None
    process.stdout.readline()  # its work is done
    watch = benchmark._ProcessWatch(process.pid, server=None)
    watch.start()
    time.sleep(0.6)  # sampled while it lives
    process.stdin.close()
    process.wait()
    watch.stop()
    assert watch.cpu_seconds()["cluster"] == pytest.approx(0.0, abs=0.1)


def test_the_cpu_seconds_are_shown_under_each_full_run() -> None:
    figures = tree(100.0)
    figures["full"]["1"]["cpu_seconds"] = {
        "cluster": 33.6,
        "database_server": 23.2,
        "machine_busy": 59.4,
        "machine_available": 97.3,
    }
    text = benchmark.format_report(report(figures, None, "postgresql"))
    assert "CPU seconds: cluster 33.6, database server 23.2; the machine busy 59.4 of 97.3" in text


def test_two_workers_over_one_at_best_halves_what_came_before_the_finish() -> None:
    # One worker: 20 s, of which the finish 4 s; two workers' finish 5 s. At best the 16 s before
    # the finish take 8 s on two cores: 20 / (8 + 5) = 1.538, whatever two workers took.
    figures = tree(fps_two_workers=80.0)
    figures["full"]["1"]["finish_seconds"] = 4.0
    figures["full"]["2"]["finish_seconds"] = 5.0
    measured = report(figures, None)
    assert measured["ratios"]["speedup_2_workers_at_best"] == pytest.approx(20 / 13)
    text = benchmark.format_report(measured)
    assert "its finish (from the last file written) 4.00 s" in text
    assert "two workers over one at best: 1.54" in text
    # Shown, not judged.
    assert not any("at_best" in row for row in text.splitlines())


def test_without_a_finish_measured_there_is_no_best() -> None:
    measured = report(tree(fps_two_workers=80.0), None)
    assert measured["ratios"]["speedup_2_workers_at_best"] is None
    assert "at best" not in benchmark.format_report(measured)


@pytest.mark.django_db
def test_a_finish_is_timed_from_the_last_file_written_to_the_end() -> None:
    start = timezone.now()
    execution = Execution.objects.create(path="/content/dam", status="SUCCESS", created_by="t")
    assert benchmark._finish_seconds(execution) is None  # no end yet
    for seconds, relpath in ((1.0, "a.dita"), (3.5, "b.dita"), (2.0, "c.dita")):
        ExecutionItem.objects.create(
            execution=execution, relpath=relpath, finished_at=start + timedelta(seconds=seconds)
        )
    ExecutionItem.objects.create(execution=execution, relpath="d.dita")  # never finished
    execution.completed_at = start + timedelta(seconds=5.75)
    assert benchmark._finish_seconds(execution) == 2.25  # from b.dita's 3.5 s
