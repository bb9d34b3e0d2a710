"""Start an execution from the command line, exactly as the API does, and optionally wait for it.

Exit status: 0 when queued (without ``--wait``) or finished with SUCCESS, 1 when it finished
otherwise, 2 for invalid input or a conflict (one line on stderr), 130 when interrupted (Ctrl-C)
while waiting.
"""

import json
import os
import signal
import sys
import time
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from guides_processor import executions, selectors
from guides_processor.cluster import cluster_alive
from guides_processor.engine.slot import raised_by_interrupt
from guides_processor.executions.queue import enqueue_suppressed
from guides_processor.executions.validation import validate
from guides_processor.management.database import database_ready
from guides_processor.models import (
    FINISHED_STATUSES,
    PROCESSING_TYPE,
    CalculationStatus,
    Execution,
    ExecutionStatus,
)


class Command(BaseCommand):
    help = (
        "Process the assets of folders (or files) of /content/dam in one execution (as POST "
        "/bin/guides/v1/assets/process)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            metavar="PATH",
            help="Folder or file to process, such as /content/dam/product; several may be given "
            "(none inside another).",
        )
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="PATH",
            help="Sub-folder to leave out (repeatable).",
        )
        parser.add_argument(
            "--file-types",
            default=None,
            metavar="T,T",
            help="Only these asset types, such as DITATOPIC,DITAMAP.",
        )
        parser.add_argument(
            "--skip-processed",
            action="store_true",
            help="Skip assets unchanged since their last successful processing.",
        )
        parser.add_argument("--user", default="cli", help="Recorded as the creator (default: cli).")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Wait for the execution to finish, with a progress bar.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the status object as JSON on stdout."
        )
        parser.add_argument(
            "--cluster-wait",
            type=float,
            default=None,
            metavar="SECONDS",
            help="How long to wait for a cluster's heartbeat (default: look once, at once; 0: do "
            "not look). With --wait, processes here when none runs; without, warns.",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            metavar="N",
            help="With --wait and no cluster: worker processes here (default "
            "GUIDES_INLINE_PROCESSES, one per core).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        file_types, processes = _options_checked(options)
        request = {
            "paths": options["paths"],
            "excluded_paths": options["exclude"],
            "file_types": file_types,
            "filter_processed_assets": options["skip_processed"],
        }
        try:
            # Bad input is refused before anything else is asked of the database.
            validate(**request, start_time=None, end_time=None, processing_type=PROCESSING_TYPE)
        except executions.ServiceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        database_ready()
        cluster_wait = options["cluster_wait"]
        # Decided before the execution is created: when it is processed here, no task is sent
        # to the broker for it, where nothing would take it.
        alive = cluster_wait != 0 and cluster_alive(seconds=cluster_wait or 0.0)
        inline = options["wait"] and not alive
        try:
            with enqueue_suppressed() if inline else nullcontext():
                execution = executions.execution_create(**request, created_by=options["user"])
        except executions.Conflict as exc:
            # Not the input's fault: the same command succeeds once the other execution ends.
            raise CommandError(exc.message, returncode=3) from None
        except executions.ServiceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        if not options["json"]:
            self.stderr.write(
                f"Execution {execution.processing_id} queued for {', '.join(execution.all_paths)}."
            )
        if options["wait"]:
            execution = self._wait(
                execution, inline=inline, processes=processes, as_json=options["json"]
            )
        elif cluster_wait != 0 and not alive:
            # The execution is queued in the broker and starts as soon as a cluster runs; until
            # then it shows IN_PROGRESS with nothing done, which deserves a word.
            self.stderr.write(
                f"Warning: no worker cluster is running, so execution {execution.processing_id} "
                "will not progress until one runs: start one with `.venv/bin/python manage.py "
                "qcluster` (or `manage.py serve`), or run this command with --wait to process "
                "in this process."
            )
        self._report(execution, as_json=options["json"], waited=options["wait"])

    def _report(self, execution: Execution, *, as_json: bool, waited: bool) -> None:
        """Print the execution (its id, or its status as JSON); after waiting, exit 1 unless it
        succeeded."""
        if as_json:
            self.stdout.write(json.dumps(selectors.execution_status(execution), indent=2))
        else:
            self.stdout.write(str(execution.processing_id))
        if waited:
            if execution.comments:
                self.stderr.write(f"{execution.get_status_display()}: {execution.comments}")
            if execution.status != ExecutionStatus.SUCCESS:
                sys.exit(1)

    def _wait(
        self, execution: Execution, *, inline: bool, processes: int, as_json: bool
    ) -> Execution:
        # Ctrl-C is this command's, explicitly: started in the background by a shell (a CI
        # script, say) it inherits SIGINT ignored, and a later SIGINT would be lost.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            if inline:
                many = "process" if processes == 1 else "processes"
                self.stderr.write(
                    f"No task cluster is running; processing here in {processes} {many}."
                )
            return self._follow(execution, inline=inline, processes=processes)
        except (KeyboardInterrupt, Exception) as error:
            # Also an error in the interrupt's place (see ``raised_by_interrupt``).
            if not raised_by_interrupt(error):
                raise
            self._interrupted(execution, inline=inline)
            if as_json:
                # A script reading stdout gets the status as it stands, as after an end.
                execution = Execution.objects.get(pk=execution.pk)
                self.stdout.write(json.dumps(selectors.execution_status(execution), indent=2))
            sys.exit(130)

    def _interrupted(self, execution: Execution, *, inline: bool) -> None:
        """Say on stderr what becomes of the execution when Ctrl-C stops the waiting."""
        pid = execution.processing_id
        body = json.dumps({"processingId": str(pid)})
        api = f"{_console_url()}/bin/guides/v1/assets/process"
        if not inline:
            self.stderr.write(
                f"Interrupted: only the waiting stopped; execution {pid} goes on in the worker "
                "cluster.\n"
                f"  Follow it:  curl -u USER '{api}/status?processingId={pid}'\n"
                f"  Cancel it:  curl -u USER -H 'Content-Type: application/json' -d '{body}' "
                f"{api}/cancel\n"
                "  (or Cancel on its row in the console)"
            )
            return
        # This process was the execution's only worker: cancel it now, so that it is not left
        # running with nobody on it, and can be resumed. On a new connection: Ctrl-C may have
        # struck while a query was on its way, and PostgreSQL's connection then still waits for
        # its answer ("another command is already in progress"), which made this exit with 1.
        connection.close()
        try:
            stopped = executions.execution_cancel_abandoned(processing_id=pid, by="cli (Ctrl-C)")
        except executions.Conflict:
            stopped = Execution.objects.get(pk=execution.pk)
        if stopped.status in FINISHED_STATUSES and stopped.status != ExecutionStatus.CANCELLED:
            self.stderr.write(
                f"Interrupted: execution {pid} had already ended "
                f"({stopped.get_status_display()}): {stopped.comments}"
            )
            return
        self.stderr.write(
            f"Interrupted: execution {pid} was processed in this process and is now cancelled "
            f"({stopped.comments or 'before it started'}). It stays resumable:\n"
            f"  curl -u USER -H 'Content-Type: application/json' -d '{body}' {api}/resume\n"
            "  (or Resume on its row in the console)"
        )

    def _follow(self, execution: Execution, *, inline: bool, processes: int) -> Execution:
        bar = tqdm(total=0, unit="asset", file=sys.stderr, dynamic_ncols=True, desc="Waiting")

        def show(current: Execution) -> None:
            listing = current.calculation_status != CalculationStatus.SUCCESS
            running = current.status in (ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING)
            bar.total = current.total_files or None
            bar.n = current.triggered_count
            description = "Listing files" if listing and running else current.get_status_display()
            bar.set_description(description, refresh=False)
            bar.set_postfix(failed=current.failed_count, refresh=False)
            bar.refresh()

        try:
            if inline:
                return executions.execution_run_inline(
                    processing_id=execution.processing_id, on_progress=show, processes=processes
                )
            while True:
                execution.refresh_from_db()
                show(execution)
                if execution.status in FINISHED_STATUSES:
                    return execution
                time.sleep(0.5)
        finally:
            bar.close()


# Where the hints of an interrupted wait send the reader when GUIDES_URL does not say.
_LOCAL_CONSOLE = "http://127.0.0.1:8000"


def _console_url() -> str:
    """The console's address for the curl commands an interrupted wait prints: ``GUIDES_URL``
    (as the README's CI script names it) when it holds an http(s) address, else ``serve``'s
    default one."""
    url = os.environ.get("GUIDES_URL", "").strip().rstrip("/")
    return url if url.startswith(("http://", "https://")) else _LOCAL_CONSOLE


def _options_checked(options: dict[str, Any]) -> tuple[list[str], int]:
    """The asset types and the process count the options ask for; CommandError (status 2) for
    options that name nothing (``--file-types ""``) or no sensible number."""
    file_types = [name for name in (options["file_types"] or "").split(",") if name.strip()]
    if options["file_types"] is not None and not file_types:
        raise CommandError(
            "--file-types names no type: give types such as DITATOPIC,DITAMAP, or leave it out "
            "for every type.",
            returncode=2,
        )
    if options["cluster_wait"] is not None and not options["cluster_wait"] >= 0:
        raise CommandError("--cluster-wait must be a number of seconds, 0 or more.", returncode=2)
    processes: int = options["processes"]
    if processes is None:
        processes = settings.GUIDES_INLINE_PROCESSES
    if processes < 1:
        raise CommandError("--processes must be at least 1.", returncode=2)
    return file_types, processes
