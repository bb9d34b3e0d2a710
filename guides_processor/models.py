"""The data of the asset processor.

An ``Execution`` is one run over a folder. Its manifest is the set of ``ExecutionItem`` rows made by
the calculation (one per file to process); workers lease batches of them. ``LogLine`` rows are the
execution's log, numbered from 0. ``Asset`` is one file of the content repository as last processed,
with its outgoing ``Reference`` rows; a map's key definitions are in its ``map_tree``.
"""

import uuid
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from . import processing

PROCESSING_TYPE = "ASSET_PROCESSING"


if TYPE_CHECKING:
    _Text = models.TextField[str, str]
else:
    _Text = models.TextField


class PathField(_Text):
    """A relpath, compared byte by byte on every database.

    A folder's files are read as a range of relpaths (``"docs/" < relpath < "docs0"``), and pages
    of the Assets table merge the database's order with Python's: both hold in byte order only.
    SQLite compares text so (BINARY). PostgreSQL uses the database's default collation, which in
    many installations is a language's (en_US.UTF-8 is the official image's default): there case
    only breaks ties, so ``Docs/b.dita`` falls inside the range of ``docs``, and a catch-up of
    ``docs`` took its sibling's files for deleted ones. Hence ``COLLATE "C"`` on PostgreSQL
    (UTF-8's byte order is the order of code points, Python's). ``tests/api/test_path_order.py``.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


def below(relfolder: str, field: str = "relpath") -> Q:
    """The rows whose ``field`` (a ``PathField``) lies below ``relfolder``; every row for the
    root (``""``).

    A range of the index: '/' sorts just before '0', so in byte order everything below ``docs``
    lies between ``docs/`` and ``docs0``. Not ``startswith``: that is a LIKE, which SQLite matches
    without regard to ASCII case (``docs`` would take in ``Docs``) and answers without the index.
    """
    if not relfolder:
        return Q()
    return Q(**{f"{field}__gt": relfolder + "/", f"{field}__lt": relfolder + "0"})


class ExecutionStatus(models.TextChoices):
    WAITING = "WAITING", "Waiting"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    CANCELLING = "CANCELLING", "Cancelling"
    SUCCESS = "SUCCESS", "Completed"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


ACTIVE_STATUSES = (ExecutionStatus.WAITING, ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING)
RUNNING_STATUSES = (ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING)
FINISHED_STATUSES = (ExecutionStatus.SUCCESS, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)

# Every allowed status change, written down once; services move along these edges only.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ExecutionStatus.WAITING: (ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLED),
    ExecutionStatus.IN_PROGRESS: (
        ExecutionStatus.CANCELLING,
        ExecutionStatus.SUCCESS,
        ExecutionStatus.FAILED,
    ),
    ExecutionStatus.CANCELLING: (
        ExecutionStatus.CANCELLED,
        ExecutionStatus.SUCCESS,
        ExecutionStatus.FAILED,
    ),
    ExecutionStatus.CANCELLED: (ExecutionStatus.WAITING,),  # resume
    ExecutionStatus.FAILED: (ExecutionStatus.WAITING,),  # resume
    ExecutionStatus.SUCCESS: (),
}


def sources_of(target: str) -> tuple[str, ...]:
    """The statuses from which ``target`` may be reached."""
    return tuple(source for source, targets in TRANSITIONS.items() if target in targets)


class CalculationStatus(models.TextChoices):
    WAITING = "WAITING", "Waiting"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    SUCCESS = "SUCCESS", "Completed"
    FAILED = "FAILED", "Failed"


class ItemState(models.TextChoices):
    PENDING = "PENDING", "Pending"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"
    SKIPPED = "SKIPPED", "Skipped"


class AssetType:
    """The asset types of processing (``processing.ASSET_TYPE_LABELS``, their one list) as the
    choices of a field and of the console's filters."""

    choices: list[tuple[str, str]] = list(processing.ASSET_TYPE_LABELS.items())
    values: list[str] = list(processing.ASSET_TYPE_LABELS)


class Execution(models.Model):
    processing_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=32, default=PROCESSING_TYPE)
    path = models.CharField(max_length=4096, help_text="Virtual folder, under /content/dam.")
    # Every path of the request, ``path`` first (``path`` stays the first, for what reads only
    # it). Never empty once saved: ``save`` fills it with ``path`` when it is not given, and
    # migration 0016 did so for the executions made before it was. What finds the executions
    # of a folder reads it alone (``selectors.lists``).
    paths = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.WAITING
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    restarted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="restarts"
    )
    # A retry of the assets that failed in ``restarted_from``: its manifest is those assets, so
    # finishing does not take the files missing from it as deleted.
    retry_failed = models.BooleanField(default=False)
    comments = models.TextField(blank=True, default="")
    # Told when the execution ends, besides GUIDES_WEBHOOK_URLS (the start request's notify.url).
    notify_url = models.TextField(blank=True, default="")

    # The filter of the run.
    file_types = models.JSONField(default=list, blank=True)
    filter_processed_assets = models.BooleanField(default=False)
    modified_after = models.DateTimeField(null=True, blank=True)
    modified_before = models.DateTimeField(null=True, blank=True)

    # Calculation: the walk into the manifest, resumable from the last path it wrote.
    calculation_status = models.CharField(
        max_length=16, choices=CalculationStatus.choices, default=CalculationStatus.WAITING
    )
    walk_cursor = models.TextField(blank=True, default="")
    total_files = models.PositiveIntegerField(default=0)

    # Counters, updated in the transaction that finishes each batch.
    processed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    broken_reference_count = models.PositiveIntegerField(default=0)
    # The broken references by reason code (README, "Link semantics"), counted when it finished.
    broken_by_reason = models.JSONField(default=dict, blank=True)
    log_line_count = models.PositiveIntegerField(default=0)
    # When retention deleted its log lines and manifest rows (the counts above stay).
    pruned_at = models.DateTimeField(null=True, blank=True)
    # Slots of this execution the watchdog found silent and queued again (GET /metrics).
    recovered_slot_count = models.PositiveIntegerField(default=0)

    # Speed: where the current run segment began (so that the ETA measures this run, not the time
    # it spent cancelled). Liveness is per slot: ``ExecutionSlot.heartbeat_at``.
    segment_started_at = models.DateTimeField(null=True, blank=True)
    segment_start_count = models.PositiveIntegerField(default=0)
    # The manifest was written from a list of files when the execution was created (a catch-up,
    # ``executions.manifest``), not walked: the assets of its folder that are not in it may still
    # be on disk, so finishing looks at each before marking it deleted.
    listed_files = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="execution_status_idx")]
        permissions = [("run_assetprocessing", "Can start, cancel, resume and restart processing")]

    def __str__(self) -> str:
        return f"{self.processing_id} {self.path} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.paths and self.path:
            self.paths = [self.path]
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "paths"}
        super().save(*args, **kwargs)

    @property
    def triggered_count(self) -> int:
        return self.processed_count + self.failed_count + self.skipped_count

    @property
    def unchanged_count(self) -> int:
        """Files counted in ``total_files`` that have no item: left out of the manifest as
        unchanged since their last successful processing (every other file counted has one).
        One count of the items."""
        return self.total_files - self.items.count()

    @property
    def all_paths(self) -> list[str]:
        """The virtual paths processed, in the order of the request; at least ``path``."""
        return [str(path) for path in self.paths] or [self.path]


class ExcludedFolder(models.Model):
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="excluded")
    path = models.CharField(max_length=4096)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.path


class ExecutionItem(models.Model):
    """One file of the manifest. ``relpath`` is relative to the content root, with ``/``."""

    # Indexed by the composite index below, which starts with it. No database constraint: see
    # Reference.asset (the manifest of a large folder is hundreds of thousands of rows).
    execution = models.ForeignKey(
        Execution,
        on_delete=models.CASCADE,
        related_name="items",
        db_index=False,
        db_constraint=False,
    )
    relpath = PathField()
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.PENDING)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    asset_type = models.CharField(max_length=16, blank=True, default="")
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)
    # True when the item failed and its asset was failed (and live) before: the failure changed
    # nothing another asset sees (a failed asset offers no keys, ids, map or references either
    # way), so the link pass judges nothing again for it. NULL otherwise. Nullable with no
    # default, so that adding it does not rewrite the table on SQLite.
    repeated_failure = models.BooleanField(null=True, blank=True, default=None)
    # Not indexed: items are looked up by relpath (item_relpath_idx). No database constraint
    # (see Reference.asset).
    asset = models.ForeignKey(
        "Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            # One index serves claiming (the PENDING items of an execution in id order), the
            # counts by state, and every lookup by execution: each index more is paid on every
            # item written and on every state change.
            models.Index(fields=["execution", "state", "id"], name="item_state_idx"),
            # An asset's history and whether an active execution holds it: the items of one
            # file. The calculation writes a manifest in walk order, so its inserts land in
            # runs next to each other.
            models.Index(fields=["relpath", "execution"], name="item_relpath_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.relpath} ({self.state})"


class LogLine(models.Model):
    # Indexed by the unique (execution, line) constraint. No database constraint: see
    # Reference.asset.
    execution = models.ForeignKey(
        Execution,
        on_delete=models.CASCADE,
        related_name="log_lines",
        db_index=False,
        db_constraint=False,
    )
    line = models.PositiveIntegerField()
    time = models.DateTimeField()
    level = models.CharField(max_length=8)
    message = models.TextField()

    class Meta:
        ordering = ["execution", "line"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "line"], name="logline_unique_line")
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.level} {self.message}"


class Asset(models.Model):
    """A file of the content repository, as it was when last processed."""

    # Unique through the constraint below (on PostgreSQL, ``unique=True`` would add a second,
    # pattern-matching index that nothing uses and every insert pays for).
    relpath = PathField()
    # Generated once and kept across reprocessing. Not indexed: random keys make every insert
    # touch a random index page, and nothing looks assets up by it.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    asset_type = models.CharField(max_length=16, choices=AssetType.choices)
    status = models.CharField(max_length=8)
    title = models.TextField(blank=True, default="")
    size = models.BigIntegerField(default=0)
    mtime = models.FloatField(default=0)
    checksum = models.CharField(max_length=64, blank=True, default="")
    error = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField()
    # The fingerprint of the last successful processing, which filterProcessedAssets compares.
    success_size = models.BigIntegerField(null=True, blank=True)
    success_mtime = models.FloatField(null=True, blank=True)
    success_checksum = models.CharField(max_length=64, blank=True, default="")
    # What a topic file lets others address (``AssetResult.ids``), one per line: "topicid" and
    # "topicid/elementid". Text rather than rows: read whole, only by the finishing pass.
    ids = models.TextField(blank=True, default="")
    # What a map contributes to key spaces (``AssetResult.map_tree``); {} for other types.
    map_tree = models.JSONField(default=dict, blank=True)
    # The templates of the texts that name keys (``AssetResult.key_texts``), which the finishing
    # pass fills into ``title`` and ``metadata``; NULL for the many assets without any, so that
    # the pass reads only the others.
    key_texts = models.JSONField(null=True, blank=True, default=None)
    # Set when a processed folder no longer holds the file; the row stays for history, and every
    # live query leaves it out. Processing the file again clears it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["relpath"]
        constraints = [models.UniqueConstraint(fields=["relpath"], name="asset_unique_relpath")]
        indexes = [
            # The deleted assets, few: the live ones below a folder are counted as all of them
            # (the relpath index alone) less these (``sql.live_count``), where a count of the
            # live ones read each asset's row (SQLite, 100,000 assets: 28 to 41 ms, and 3 to
            # 7 ms with the index alone). A live asset written again touches no entry of it.
            models.Index(
                fields=["relpath"], condition=Q(deleted_at__isnull=False), name="asset_deleted_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.relpath


class Reference(models.Model):
    """An outgoing reference of an asset, as the broken-links report shows it."""

    # Indexed by reference_broken_idx, which starts with it. No database constraint: the rows
    # of one batch (the asset, its references, the log lines) are written
    # together in one transaction by the engine, which takes the asset's id from the asset it has
    # just written; a deferred constraint would check each of the hundreds of rows again at
    # commit, which cost a fifth of a 100,000-file run on PostgreSQL. Deleting an asset or an
    # execution still deletes its rows (Django cascades them).
    asset = models.ForeignKey(
        Asset,
        on_delete=models.CASCADE,
        related_name="references",
        db_index=False,
        db_constraint=False,
    )
    attribute = models.CharField(max_length=16)
    value = models.TextField()
    link_type = models.CharField(max_length=16)
    scope = models.CharField(max_length=8)
    element = models.CharField(max_length=64, blank=True, default="")
    line = models.PositiveIntegerField(null=True, blank=True)
    # Neither is indexed: references are written for every file of every execution, and an index
    # on random text makes each insert touch a random page (about seven times the cost, measured
    # at 600,000 rows). Reports filter by asset and by ``broken``: reference_broken_idx.
    target = models.TextField(blank=True, default="")
    key = models.CharField(max_length=255, blank=True, default="")
    broken = models.BooleanField(default=False)
    # Why it is broken (``processing.REASONS``), "" when it is not.
    reason = models.CharField(max_length=24, blank=True, default="")
    # A note on a reference that is not broken (``processing.WARNINGS``), and what it concerns
    # (the root maps that lack the key, for KEY_UNDEFINED_IN_SOME_MAPS).
    warning = models.CharField(max_length=32, blank=True, default="")
    note = models.TextField(blank=True, default="")
    # The DITA fragment (``file.dita#topic/element``, ``key/element``), checked against the
    # target's ids by the finishing pass.
    topic_id = models.TextField(blank=True, default="")
    element_id = models.TextField(blank=True, default="")
    # A keyref with @href (a conkeyref with @conref) beside it: that is used if the key is not.
    fallback = models.BooleanField(default=False)
    # On that @href (@conref): the key beside it. The link pass judges it with the key, not as a
    # file reference: unused while the key is defined.
    fallback_key = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["asset", "broken"], name="reference_broken_idx")]

    def __str__(self) -> str:
        return f"{self.attribute}={self.value}"


class UsedIn(models.Model):
    """Where each file is used: (target, reference) of every reference that names a file, so that
    "Used in" and "used by" read an index instead of scanning the references.

    Not kept up by the engine's inserts (an index on Reference.target made them about seven times
    slower): rows are added in target order when an execution finishes, for the references
    written since the last time (``engine/sql/keys.py``), and their targets follow the key pass.
    Rows of references deleted since (their asset was processed again) are dropped by that
    asset's next finishing execution; until then readers join to Reference, which drops them.
    """

    reference = models.OneToOneField(
        Reference,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="used_in_row",
    )
    target = PathField()
    # The source asset of the reference, to find the rows of an asset processed again.
    asset_id = models.BigIntegerField()
    # The key of a key reference (its target is where the key resolved), else "": the keys that
    # name a file are read from the index below, not from a scan of every reference.
    key = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["target", "reference"], name="usedin_target_idx"),
            models.Index(fields=["asset_id"], name="usedin_asset_idx"),
            # Key references only: file references, most rows, cost it nothing.
            models.Index(fields=["target", "key"], condition=~Q(key=""), name="usedin_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.target} <- {self.reference_id}"


class StatusJob(models.Model):
    """A request for the processing status of assets (``POST /assets/status``).

    Only the request is stored: the paths, normalised. Each page of the answer is computed when it
    is read, so it is as fresh as the read and costs O(page).
    """

    job_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    paths = models.JSONField(default=list)
    excluded_paths = models.JSONField(default=list)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.job_id} {', '.join(self.paths)}"


class ExecutionSlot(models.Model):
    """One of the chains of tasks that work on an execution side by side.

    A task carries the slot's ``generation``; when the watchdog (or the in-process runner) takes a
    slot over it bumps the generation, and a task holding an older one stops at its next batch.
    """

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveSmallIntegerField()
    generation = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["execution", "number"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "number"], name="slot_unique_number")
        ]

    def __str__(self) -> str:
        return f"slot {self.number} of {self.execution_id} (generation {self.generation})"


class WorkerHeartbeat(models.Model):
    """A worker process of a task cluster, written every ``GUIDES_HEARTBEAT_SECONDS`` while it
    runs: whether a cluster serves a queue is one look at this table, on any host and broker.

    Rows of processes that stopped are left to go stale (a killed process cannot remove its own)
    and are pruned by the live ones.
    """

    cluster = models.CharField(max_length=100)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "host", "pid"], name="heartbeat_unique_process"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cluster} worker {self.host}:{self.pid}"


class WebhookDelivery(models.Model):
    """One notification of an execution's end to one address, tried until it is delivered or
    its tries are used up (``executions/webhooks.py``).

    ``body`` is the JSON sent, written when the execution ended, so that every try sends (and
    signs) the same bytes. ``next_attempt_at`` is when it is due; null once delivered or given up.
    """

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="deliveries")
    url = models.TextField()
    event_status = models.CharField(max_length=16, choices=ExecutionStatus.choices)
    body = models.TextField()
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_status} of {self.execution_id} to {self.url}"


class AutomationState(models.Model):
    """The lease and the last outcome of one background duty (``catchup``, ``watch``), shared by
    every worker process of every host through the database.

    For the catch-up, ``due_at`` is when the next run is due: the process whose compare-and-swap
    moves it forward runs it, so one host runs it per period. For the watcher it is when the
    holder's lease ends unless renewed; another process takes the lease over once it has passed.
    """

    name = models.CharField(max_length=32, unique=True)
    holder = models.CharField(max_length=128, blank=True, default="")
    due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    # What the last run found and did (shown by GET /bin/guides/v1/system/status).
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'}"
