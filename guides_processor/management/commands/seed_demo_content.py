"""``manage.py seed_demo_content``: fill an empty content root with a demo DITA repository."""

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from guides_processor.devtools.demo import MIN_FILES, generate_demo_content

# Below this many files the run takes well under a second: a progress bar would only flicker.
PROGRESS_BAR_FROM = 5000


class Command(BaseCommand):
    help = (
        "Write a synthetic DITA repository (maps, topics, images, a few deliberately broken files)"
        " into an empty folder, by default GUIDES_CONTENT_ROOT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--files",
            type=int,
            default=300,
            help=f"How many files to write (default 300; at least {MIN_FILES} are written).",
        )
        parser.add_argument(
            "--dest",
            type=Path,
            default=None,
            help="An empty or missing folder (default: GUIDES_CONTENT_ROOT).",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Same seed, same bytes (default 0)."
        )

    def handle(self, *args: Any, files: int, dest: Path | None, seed: int, **options: Any) -> None:
        if files < 1:
            raise CommandError("--files must be at least 1.")
        dest = Path(dest or settings.GUIDES_CONTENT_ROOT)
        # tqdm writes to the real stderr: Django's OutputWrapper appends a newline to every
        # write, which would break the bar's carriage-return redraws.
        with tqdm(
            total=max(files, MIN_FILES),
            unit="file",
            file=sys.stderr,
            disable=files < PROGRESS_BAR_FROM or options["verbosity"] == 0,
        ) as bar:
            try:
                summary = generate_demo_content(dest, files=files, seed=seed, progress=bar.update)
            except FileExistsError as exc:
                raise CommandError(str(exc)) from None

        types = summary.by_asset_type
        self.stdout.write(
            f"Wrote {summary.files} files in {summary.folders} folders to {dest} (seed {seed}):"
            f" {types['DITATOPIC']} topics, {types['DITAMAP']} maps, {types['DITAVAL']} DITAVAL,"
            f" {types['MARKDOWN']} Markdown, {types['HTML/CSS']} HTML/CSS and"
            f" {types['OTHERS']} other files. Broken by design: malformed topics"
            f" {len(summary.malformed)}, references to missing files {summary.broken_file_refs},"
            f" undefined keys {len(summary.undefined_keys)}"
            f" ({', '.join(summary.undefined_keys[:3])}"
            f"{', ...' if len(summary.undefined_keys) > 3 else ''})."
        )
