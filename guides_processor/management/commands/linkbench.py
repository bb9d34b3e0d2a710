"""``manage.py linkbench``: the finishing pass's cost at scale, and what collecting ids, map
trees and key text templates costs processing (``guides_processor/devtools/linkbench.py``)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guides_processor.devtools import linkbench


class Command(BaseCommand):
    help = "Time the finishing pass on a generated repository, and processing against a revision."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--files", type=int, default=100_000, help="Files to generate.")
        parser.add_argument("--books", type=int, default=50, help="Root maps to generate.")
        parser.add_argument(
            "--before", help="A git revision whose processing package to compare against."
        )
        parser.add_argument(
            "--repository", type=Path, help="Keep the generated repository here (reused)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["books"] < 1 or options["files"] < options["books"] * 20:
            raise CommandError("--files must be at least 20 per book, --books at least 1.")
        report = linkbench.run(
            files=options["files"],
            books=options["books"],
            before=options["before"],
            repository=options["repository"],
            say=lambda text: self.stderr.write(text),
        )
        self.stdout.write(json.dumps(report, indent=2))
