"""Retention policies and their runs. A run stores the exact plan it executes and one item
per digest, so it can be audited afterwards and resumed after a crash."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from registries.models import Registry

POLICY_NAME = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Lowercase letters, digits and '-' only.")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class RetentionPolicy(models.Model):
    class Order(models.TextChoices):
        CREATED = "created", "Created time (newest images)"
        VERSION = "version", "Version order (highest tags)"

    registry = models.ForeignKey(
        Registry, on_delete=models.CASCADE, related_name="retention_policies"
    )
    name = models.CharField(max_length=63, validators=[POLICY_NAME])
    repositories = models.TextField(
        help_text="Glob patterns, one per line (e.g. team/*); * also matches '/'."
    )
    keep_last = models.PositiveIntegerField(
        null=True, blank=True, help_text="Keep the last N: images by created time, tags by version."
    )
    order = models.CharField(max_length=10, choices=Order.choices, default=Order.CREATED)
    keep_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Keep images younger than this many days."
    )
    keep_regex = models.CharField(
        max_length=500, blank=True, help_text="Keep tags this regular expression finds."
    )
    protect = models.TextField(
        blank=True, help_text="Tag patterns never deleted, one per line (e.g. latest, release-*)."
    )
    paused = models.BooleanField(default=False, help_text="A paused policy's run stops.")
    interval = models.PositiveIntegerField(
        null=True, blank=True, help_text="Run every this many seconds (empty: by hand only)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The lease of the run executing now (one at a time per policy), and the schedule's key.
    run_holder = models.CharField(max_length=80, blank=True, editable=False)
    run_expires = models.DateTimeField(null=True, blank=True, editable=False)
    schedule_key = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        app_label = "registries"
        ordering = ["registry", "name"]
        verbose_name_plural = "retention policies"
        constraints = [
            models.UniqueConstraint(fields=["registry", "name"], name="retention_policy_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id}:{self.name}"

    @property
    def repository_globs(self) -> list[str]:
        return lines(self.repositories)

    @property
    def protect_patterns(self) -> list[str]:
        return lines(self.protect)

    def clean(self) -> None:
        super().clean()
        from registries.retention.rules import RuleError, Rules

        try:
            Rules.from_policy(self)
        except RuleError as exc:
            raise ValidationError(str(exc)) from exc


class RetentionRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        DONE = "done", "Done"
        FAILED = "failed", "Stopped by an error"

    class Trigger(models.TextChoices):
        PORTAL = "portal", "Run now"
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command"
        SELECTION = "selection", "Delete selected"

    policy = models.ForeignKey(
        RetentionPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="retention_runs")
    policy_name = models.CharField(max_length=63, help_text="Kept when the policy is removed.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    plan = models.JSONField(help_text="The plan this run executes, exactly.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    deleted = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    reclaimable_bytes = models.BigIntegerField(default=0, help_text="From the plan.")
    message = models.TextField(blank=True, help_text="Why the run stopped, when it did.")

    class Meta:
        app_label = "registries"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.policy_name}: {self.state}"


class RetentionItem(models.Model):
    """One digest of a run's plan: deleted, skipped (with why) or failed, exactly once."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        WORKING = "working", "Being deleted"
        DELETED = "deleted", "Deleted"
        SKIPPED = "skipped", "Skipped"
        ERROR = "error", "Error"

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="items")
    repository = models.CharField(max_length=255)
    digest = models.CharField(max_length=200)
    tags = models.JSONField(default=list, help_text="The tags the plan saw on the digest.")
    tag_only = models.BooleanField(
        default=False, help_text="Remove these tags alone; the digest and its other tags stay."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True)
    holder = models.CharField(max_length=80, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "registries"
        ordering = ["run", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "repository", "digest"], name="retention_item_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest}: {self.state}"
