"""The Content-Security-Policy: strict on the console, styles relaxed only where libraries need."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_console_pages_allow_only_their_own_scripts_and_styles(runner_client, finished):
    for url in (
        reverse("guides_processor:tools"),
        reverse("guides_processor:executions"),
        reverse("guides_processor:execution_detail", args=[finished.processing_id]),
        reverse("guides_processor:execution_logs", args=[finished.processing_id]),
    ):
        policy = directives(runner_client.get(url)["Content-Security-Policy"])
        assert policy["default-src"] == "default-src 'self'"
        assert policy["script-src"] == "script-src 'self'"
        assert policy["style-src"] == "style-src 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["object-src"] == "object-src 'none'"
        assert policy["base-uri"] == "base-uri 'self'"
        assert policy["form-action"] == "form-action 'self'"


def test_the_admin_keeps_scripts_strict_and_allows_inline_styles(admin_client):
    policy = directives(admin_client.get("/admin/")["Content-Security-Policy"])

    assert policy["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" in policy["style-src"]


def test_no_template_has_inline_script_handlers_or_eval_filters():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "hx-on" not in text and "js:" not in text, template
        assert " style=" not in text, template
        # A trigger filter in brackets is JavaScript that htmx would eval.
        assert not re.search(r"hx-trigger=\"[^\"]*\[", text), template
