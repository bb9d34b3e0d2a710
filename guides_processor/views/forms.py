"""The console's query parameters, validated by forms: a bad value is a 400 that says why."""

from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone

from .. import content
from ..models import AssetType, ExecutionStatus
from ..selectors import assets as asset_selectors
from ..selectors import broken_links

# Cursors are row ids and line numbers: beyond this they are not ours, whatever the database.
CURSOR_MAX = 2**53 - 1
# Far above any folder's sub-folder count, low enough that arithmetic on it stays sensible.
OFFSET_MAX = 10_000_000


def first_error(errors: ErrorDict, labels: dict[str, str]) -> str:
    """The first error as one sentence naming the parameter."""
    for field, messages in errors.items():
        if field == "__all__":
            return str(messages[0])
        label = labels.get(field, field)
        return f"{label}: {messages[0]}"
    return "The request is not valid."


class QueryForm(forms.Form):
    """A form over ``request.GET``; ``labels`` name the parameters in messages."""

    labels: dict[str, str] = {}

    def error_message(self) -> str:
        return first_error(self.errors, self.labels)


def _cursor(*, minimum: int = 1) -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=minimum, max_value=CURSOR_MAX)


class ExecutionsQuery(QueryForm):
    """Filters and cursors of the executions table."""

    labels = {"status": "Status", "folder": "Folder", "before": "Page", "after": "Page"}

    status = forms.ChoiceField(required=False, choices=[("", "All"), *ExecutionStatus.choices])
    folder = forms.CharField(required=False, max_length=4096, strip=True)
    before = _cursor()
    after = _cursor(minimum=0)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("before") is not None and data.get("after") is not None:
            raise forms.ValidationError("Give either before or after, not both.")
        return data


class FoldersQuery(QueryForm):
    """The folder picker's folder and page."""

    labels = {"path": "Folder", "offset": "Offset"}

    path = forms.CharField(required=False, max_length=4096)
    offset = forms.IntegerField(required=False, min_value=0, max_value=OFFSET_MAX)


class LogEarlierQuery(QueryForm):
    """Lines before ``before``, not below ``since`` (a gap left by following)."""

    labels = {"before": "Before", "since": "Since"}

    before = forms.IntegerField(min_value=0, max_value=CURSOR_MAX)
    since = forms.IntegerField(required=False, min_value=0, max_value=CURSOR_MAX)


class LogFollowQuery(QueryForm):
    """The follower's cursor: the last line the page holds (-1 for none)."""

    labels = {"after": "After"}

    after = forms.IntegerField(min_value=-1, max_value=CURSOR_MAX)


class VirtualPathField(forms.CharField):
    """A path of the repository, as ``/content/dam/...`` or relative to it (``guide/topics``);
    normalised. One that starts with ``/`` is taken as written: ``/etc`` is outside the
    repository, and said to be, rather than read as ``/content/dam/etc``."""

    def __init__(self, *, required: bool = True, default: str = "") -> None:
        super().__init__(required=required, max_length=4096, strip=True)
        self.default = default

    def clean(self, value: object) -> str:
        text = str(super().clean(value) or "") or self.default
        if not text:
            return ""
        if not text.startswith(("/", "content/")) and text != "content":
            text = f"{content.VIRTUAL_ROOT}/{text}"
        try:
            return content.normalize_path(text)
        except content.ContentPathError as exc:
            raise forms.ValidationError(exc.message) from None


class AssetsQuery(QueryForm):
    """The Assets table: its folder, filters and cursor."""

    labels = {"folder": "Folder", "status": "Status", "type": "Type", "after": "Page"}

    folder = VirtualPathField(required=False, default=content.VIRTUAL_ROOT)
    status = forms.ChoiceField(
        required=False, choices=[("", "All"), *asset_selectors.STATUS_LABELS.items()]
    )
    type = forms.ChoiceField(required=False, choices=[("", "All"), *AssetType.choices])
    broken = forms.BooleanField(required=False)
    after = forms.CharField(required=False, max_length=4096, strip=False)


class AssetQuery(QueryForm):
    """One asset, and the cursor of one of its reference lists."""

    labels = {"path": "Asset", "after": "Page"}

    path = VirtualPathField()
    after = _cursor(minimum=0)

    def clean_path(self) -> str:
        path: str = self.cleaned_data["path"]
        if path == content.VIRTUAL_ROOT:
            raise forms.ValidationError("name a file below /content/dam.")
        return path


class BrokenLinksQuery(QueryForm):
    """The broken-links report: folder, filters, and the cursor (source path and reference id)."""

    labels = {
        "folder": "Folder",
        "link_type": "Link type",
        "file_type": "File type",
        "reason": "Reason",
        "after_path": "Page",
        "after": "Page",
    }

    folder = VirtualPathField(required=False, default=content.VIRTUAL_ROOT)
    link_type = forms.MultipleChoiceField(
        required=False, choices=list(broken_links.LINK_TYPES.items())
    )
    file_type = forms.MultipleChoiceField(
        required=False, choices=list(broken_links.FILE_TYPES.items())
    )
    reason = forms.MultipleChoiceField(required=False, choices=list(broken_links.REASONS.items()))
    after_path = forms.CharField(required=False, max_length=4096, strip=False)
    after = _cursor(minimum=0)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("after_path")) != (data.get("after") is not None):
            raise forms.ValidationError("Give both after_path and after, or neither.")
        return data


# What a datetime-local input sends, with or without seconds.
LOCAL_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


class NewProcessForm(forms.Form):
    """The New Process dialog, for Create and Preview alike.

    Paths, exclusions and types are checked by the service (the API's own words); this form
    checks what only the dialog sends: the modification window, typed as local times in
    ``time_zone`` (the browser's zone, which the page fills in; the server's ``TIME_ZONE`` when it
    is not sent), because the table and the detail page show times in the browser's zone too.
    """

    labels = {
        "modified_after": "Modified after",
        "modified_before": "Modified before",
        "time_zone": "Time zone",
    }

    path = forms.CharField(required=False, max_length=4096, strip=True)
    # More folders, beside ``path``, when several were chosen.
    paths = forms.MultipleChoiceField(required=False)
    excluded_paths = forms.MultipleChoiceField(required=False)
    file_types = forms.MultipleChoiceField(required=False)
    filter_processed_assets = forms.BooleanField(required=False)
    modified_after = forms.DateTimeField(required=False, input_formats=LOCAL_INPUT_FORMATS)
    modified_before = forms.DateTimeField(required=False, input_formats=LOCAL_INPUT_FORMATS)
    time_zone = forms.CharField(required=False, max_length=100, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any text: the service says what is wrong with a path or a type, as the API does.
        for name in ("paths", "excluded_paths", "file_types"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.valid_value = lambda value: True  # type: ignore[method-assign]

    def zone(self) -> tzinfo:
        """The zone the dates are typed in: the one sent when it is a zone, else the server's."""
        name = str(self.data.get("time_zone", "") or "").strip()
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return timezone.get_default_timezone()

    def full_clean(self) -> None:
        # The date fields make naive input aware in the current zone (and refuse a local time
        # that a clock change skips): that zone is the typist's.
        with timezone.override(self.zone()):
            super().full_clean()

    def clean_time_zone(self) -> str:
        name: str = self.cleaned_data["time_zone"]
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(f"{name!r} is not a time zone.") from None
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        after, before = data.get("modified_after"), data.get("modified_before")
        if after and before and after > before:
            raise forms.ValidationError("Modified after is later than Modified before.")
        return data

    def error_message(self) -> str:
        return first_error(self.errors, self.labels)

    def request(self) -> dict[str, Any]:
        """The cleaned dialog as keyword arguments of ``execution_create`` and
        ``execution_preview``; call after ``is_valid()``."""
        data = self.cleaned_data
        return {
            "path": data["path"],
            "paths": data["paths"],
            "excluded_paths": data["excluded_paths"],
            "file_types": data["file_types"],
            "filter_processed_assets": data["filter_processed_assets"],
            "start_time": _epoch_ms(data["modified_after"]),
            "end_time": _epoch_ms(data["modified_before"]),
        }
