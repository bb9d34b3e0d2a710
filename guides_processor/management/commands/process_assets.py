"""Start an execution from the command line, exactly as the API does, and optionally wait for it.

Exit status: 0 when queued (without ``--wait``) or finished with SUCCESS, 1 when it finished
otherwise, 2 for invalid input or a conflict (one line on stderr).
"""

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from guides_processor import executions, selectors
from guides_processor.cluster import cluster_alive
from guides_processor.models import (
    FINISHED_STATUSES,
    CalculationStatus,
    Execution,
    ExecutionStatus,
)


class Command(BaseCommand):
    help = "Process the assets of a folder of /content/dam (as POST /bin/guides/v1/assets/process)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Folder to process, such as /content/dam/product.")
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="PATH",
            help="Sub-folder to leave out (repeatable).",
        )
        parser.add_argument(
            "--file-types",
            default="",
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
            default=5.0,
            metavar="SECONDS",
            help="With --wait: how long to look for a running cluster before processing here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        file_types = [name for name in options["file_types"].split(",") if name.strip()]
        try:
            execution = executions.execution_create(
                path=options["path"],
                excluded_paths=options["exclude"],
                file_types=file_types,
                filter_processed_assets=options["skip_processed"],
                created_by=options["user"],
            )
        except executions.ServiceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        if not options["json"]:
            self.stderr.write(f"Execution {execution.processing_id} queued for {execution.path}.")
        if options["wait"]:
            execution = self._wait(execution, options["cluster_wait"])
        if options["json"]:
            self.stdout.write(json.dumps(selectors.execution_status(execution), indent=2))
        else:
            self.stdout.write(str(execution.processing_id))
        if options["wait"]:
            if execution.comments:
                self.stderr.write(f"{execution.get_status_display()}: {execution.comments}")
            if execution.status != ExecutionStatus.SUCCESS:
                sys.exit(1)

    def _wait(self, execution: Execution, cluster_wait: float) -> Execution:
        inline = not cluster_alive(seconds=cluster_wait)
        if inline:
            self.stderr.write("No task cluster answered; processing in this process.")
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
                    processing_id=execution.processing_id, on_progress=show
                )
            while True:
                execution.refresh_from_db()
                show(execution)
                if execution.status in FINISHED_STATUSES:
                    return execution
                time.sleep(0.5)
        finally:
            bar.close()
