"""The console's URLs, under the namespace ``guides_processor``."""

from django.urls import path

from .views import assets, executions, logs, pages, reports

app_name = "guides_processor"

EXECUTION = "tools/guides/asset-processor/<uuid:processing_id>/"

urlpatterns = [
    path("", pages.home, name="home"),
    path("tools/", pages.tools, name="tools"),
    path("tools/guides/asset-processor/", executions.executions, name="executions"),
    path("tools/guides/asset-processor/folders/", executions.folders, name="folders"),
    path(
        "tools/guides/asset-processor/new/",
        executions.execution_create,
        name="execution_create",
    ),
    path(
        "tools/guides/asset-processor/new/preview/",
        executions.execution_preview,
        name="execution_preview",
    ),
    path("tools/guides/assets/", assets.assets, name="assets"),
    path("tools/guides/assets/asset/", assets.asset_detail, name="asset_detail"),
    path(
        "tools/guides/assets/asset/references/",
        assets.asset_references,
        name="asset_references",
    ),
    path("tools/guides/assets/asset/reprocess/", assets.asset_reprocess, name="asset_reprocess"),
    path("tools/guides/broken-links/", reports.broken_links, name="broken_links"),
    path("tools/guides/broken-links/csv/", reports.broken_links_csv, name="broken_links_csv"),
    path(EXECUTION, pages.execution_detail, name="execution_detail"),
    path(
        EXECUTION + "cancel/",
        executions.execution_action,
        {"action": "cancel"},
        name="execution_cancel",
    ),
    path(
        EXECUTION + "resume/",
        executions.execution_action,
        {"action": "resume"},
        name="execution_resume",
    ),
    path(
        EXECUTION + "restart/",
        executions.execution_action,
        {"action": "restart"},
        name="execution_restart",
    ),
    path(
        EXECUTION + "retry/",
        executions.execution_action,
        {"action": "retry"},
        name="execution_retry",
    ),
    path(EXECUTION + "logs/", logs.execution_logs, name="execution_logs"),
    path(EXECUTION + "logs/earlier/", logs.log_earlier, name="log_earlier"),
    path(EXECUTION + "logs/follow/", logs.log_follow, name="log_follow"),
]
