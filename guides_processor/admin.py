"""The Django admin: users and groups are managed here; the engine's tables are only shown.

Executions, their manifests, slots, log lines, assets and references are written
by the engine alone (``services``), under leases and compare-and-swap transitions; a hand edit of
a status, a counter, a heartbeat or a lease would break its guarantees. So every engine table is
view-only here.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Asset,
    ExcludedFolder,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    LogLine,
    Reference,
)


class ViewOnlyMixin:
    """Nothing added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ExcludedFolderInline(ViewOnlyMixin, admin.TabularInline[ExcludedFolder, Execution]):
    model = ExcludedFolder
    extra = 0


@admin.register(Execution)
class ExecutionAdmin(ViewOnlyMixin, admin.ModelAdmin[Execution]):
    list_display = [
        "processing_id",
        "path",
        "status",
        "created_by",
        "created_at",
        "total_files",
        "processed_count",
        "failed_count",
    ]
    list_filter = ["status", "calculation_status"]
    search_fields = ["processing_id", "path", "created_by"]
    inlines = [ExcludedFolderInline]


@admin.register(ExecutionItem)
class ExecutionItemAdmin(ViewOnlyMixin, admin.ModelAdmin[ExecutionItem]):
    list_display = ["relpath", "execution", "state", "asset_type", "finished_at"]
    list_filter = ["state", "asset_type"]
    search_fields = ["relpath"]
    show_full_result_count = False


@admin.register(ExecutionSlot)
class ExecutionSlotAdmin(ViewOnlyMixin, admin.ModelAdmin[ExecutionSlot]):
    list_display = ["execution", "number", "generation", "heartbeat_at"]


@admin.register(LogLine)
class LogLineAdmin(ViewOnlyMixin, admin.ModelAdmin[LogLine]):
    list_display = ["execution", "line", "time", "level", "message"]
    list_filter = ["level"]
    show_full_result_count = False


class ReferenceInline(ViewOnlyMixin, admin.TabularInline[Reference, Asset]):
    model = Reference
    extra = 0
    fields = ("attribute", "value", "link_type", "scope", "target", "key", "broken")


@admin.register(Asset)
class AssetAdmin(ViewOnlyMixin, admin.ModelAdmin[Asset]):
    list_display = ["relpath", "asset_type", "status", "title", "size", "processed_at"]
    list_filter = ["asset_type", "status"]
    search_fields = ["relpath", "title"]
    inlines = [ReferenceInline]
    show_full_result_count = False


@admin.register(Reference)
class ReferenceAdmin(ViewOnlyMixin, admin.ModelAdmin[Reference]):
    list_display = ["asset", "attribute", "value", "link_type", "scope", "broken"]
    list_filter = ["broken", "link_type", "scope"]
    search_fields = ["value", "target", "key"]
    show_full_result_count = False
