"""The processing package is pure Python: importing it loads no Django."""

import subprocess
import sys


def test_it_imports_without_django() -> None:
    code = (
        "import sys, guides_processor.processing as p; "
        "assert p.process and p.detect_type; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
