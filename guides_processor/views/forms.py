"""The console's query parameters, validated by forms: a bad value is a 400 that says why."""

from django import forms
from django.forms.utils import ErrorDict

from ..models import ExecutionStatus

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
