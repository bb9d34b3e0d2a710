"""``manage.py benchmark``: the engine's speed and memory next to the bare processing code.

See ``guides_processor/devtools/benchmark.py`` for what is measured. Prints the figures and the
ratios against the targets; ``--json`` prints the report as JSON instead. Exit status 0 either
way (the report says whether the targets are met), 2 for invalid options.
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guides_processor.devtools import benchmark


def _workers(raw: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError:
        raise CommandError(
            f"--workers {raw!r}: give worker counts such as 1,2.", returncode=2
        ) from None
    if not counts or counts[0] < 1:
        raise CommandError("--workers: each count must be at least 1.", returncode=2)
    return counts


class Command(BaseCommand):
    help = "Measure the engine against the bare processing loop, and the API and console at scale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--files", type=int, default=100_000, help="Files of the generated repository."
        )
        parser.add_argument(
            "--workers", default="1,2", help="Worker counts of the full path (default 1,2)."
        )
        parser.add_argument(
            "--root", type=Path, help="Also measure this repository (for example real content)."
        )
        parser.add_argument(
            "--repository",
            type=Path,
            help="Keep the generated repository here (reused when it already holds one).",
        )
        parser.add_argument(
            "--log-lines", type=int, default=1_000_000, help="Lines of the large log."
        )
        parser.add_argument(
            "--executions", type=int, default=100_000, help="Executions of the large history."
        )
        parser.add_argument(
            "--graph-assets",
            type=int,
            default=100_000,
            help="Assets of the large reference graph (status, broken links, Used in).",
        )
        parser.add_argument(
            "--only",
            choices=["graph", "engine"],
            default="",
            help="Measure only this part: graph (status, broken-links and Used-in pages, CSV), "
            "or engine (the generated repository: bare loop, full path, reruns, calculation).",
        )
        parser.add_argument(
            "--million",
            action="store_true",
            help="Also run the full path over a generated 1,000,000-file repository with the "
            "default settings (about 5 GB of disk; a long run).",
        )
        parser.add_argument(
            "--million-files",
            type=int,
            default=1_000_000,
            help="Files of the --million repository (default 1,000,000).",
        )
        parser.add_argument(
            "--million-repository",
            type=Path,
            help="Keep the --million repository here (reused when it already holds one).",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["files"] < 20:
            raise CommandError("--files must be at least 20.", returncode=2)
        if options["million"] and options["only"] == "graph":
            raise CommandError(
                "--million measures the engine: leave out --only graph.", returncode=2
            )
        if options["root"] is not None and not options["root"].is_dir():
            raise CommandError(f"--root {options['root']} is not a folder.", returncode=2)
        report = benchmark.run(
            benchmark.Options(
                files=options["files"],
                workers=_workers(options["workers"]),
                root=options["root"].resolve() if options["root"] else None,
                repository=options["repository"].resolve() if options["repository"] else None,
                log_lines=max(1_000, options["log_lines"]),
                executions=max(100, options["executions"]),
                graph_assets=max(200, options["graph_assets"]),
                only=options["only"],
                million=max(20, options["million_files"]) if options["million"] else 0,
                million_repository=options["million_repository"].resolve()
                if options["million_repository"]
                else None,
                say=lambda text: print(f"benchmark: {text}", file=sys.stderr, flush=True),
            )
        )
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(benchmark.format_report(report))
