"""compose.yaml gives the console and the workers one environment: a waiting execution is
started by whichever process frees its place, with that process's GUIDES_MAX_RUNNING and
GUIDES_PARALLEL_TASKS, and the task messages are signed with DJANGO_SECRET_KEY."""

from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
SHARED = (
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "GUIDES_BROKER_URL",
    "GUIDES_MAX_RUNNING",
    "GUIDES_PARALLEL_TASKS",
)


def test_the_console_and_the_workers_share_the_settings_that_must_agree():
    compose = yaml.safe_load((PROJECT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    apps = {name: service for name, service in services.items() if "build" in service}
    assert set(apps) == {"web", "worker"}
    shared = {
        name: {key: service["environment"].get(key) for key in SHARED}
        for name, service in apps.items()
    }
    assert shared["web"] == shared["worker"]
    assert None not in shared["web"].values()


def test_no_worker_starts_before_the_console_has_migrated_the_database():
    compose = yaml.safe_load((PROJECT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert "migrate" in " ".join((PROJECT / "Dockerfile").read_text().splitlines()[-1:])
    assert services["web"]["healthcheck"]["test"][0] == "CMD"
    assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"
