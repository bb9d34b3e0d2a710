from django.contrib import admin

from .models import (
    Asset,
    ExcludedFolder,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    KeyDefinition,
    LogLine,
    Reference,
)


class ExcludedFolderInline(admin.TabularInline):
    model = ExcludedFolder
    extra = 0


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
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
    readonly_fields = ["processing_id", "created_at"]
    raw_id_fields = ["restarted_from"]
    inlines = [ExcludedFolderInline]


@admin.register(ExecutionItem)
class ExecutionItemAdmin(admin.ModelAdmin):
    list_display = ["relpath", "execution", "state", "asset_type", "finished_at"]
    list_filter = ["state", "asset_type"]
    search_fields = ["relpath"]
    raw_id_fields = ["execution", "asset"]
    show_full_result_count = False


@admin.register(ExecutionSlot)
class ExecutionSlotAdmin(admin.ModelAdmin):
    list_display = ["execution", "number", "generation", "heartbeat_at"]
    raw_id_fields = ["execution"]


@admin.register(LogLine)
class LogLineAdmin(admin.ModelAdmin):
    list_display = ["execution", "line", "time", "level", "message"]
    list_filter = ["level"]
    raw_id_fields = ["execution"]
    show_full_result_count = False


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    fields = ("attribute", "value", "link_type", "scope", "target", "key", "broken")
    readonly_fields = fields


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["relpath", "asset_type", "status", "title", "size", "processed_at"]
    list_filter = ["asset_type", "status"]
    search_fields = ["relpath", "title"]
    readonly_fields = ["uuid"]
    inlines = [ReferenceInline]
    show_full_result_count = False


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["asset", "attribute", "value", "link_type", "scope", "broken"]
    list_filter = ["broken", "link_type", "scope"]
    search_fields = ["value", "target", "key"]
    raw_id_fields = ["asset"]
    show_full_result_count = False


@admin.register(KeyDefinition)
class KeyDefinitionAdmin(admin.ModelAdmin):
    list_display = ["key", "asset", "href"]
    search_fields = ["key"]
    raw_id_fields = ["asset"]
