"""Outgoing notifications: where a registry's pushes, deletes, retention runs and promotions
are announced, and the log of every delivery (one per endpoint and event)."""

from django.db import models

from registries.fields import EncryptedTextField
from registries.models import Registry


class NotificationEndpoint(models.Model):
    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook (JSON, signed with HMAC-SHA256)"
        SLACK = "slack", "Slack / Mattermost incoming webhook"

    registry = models.ForeignKey(
        Registry, on_delete=models.CASCADE, related_name="notification_endpoints"
    )
    name = models.CharField(max_length=100, help_text="How pages and the log name it.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.URLField("URL", max_length=2000)
    # Webhooks only: the key of the X-Regfront-Signature HMAC (never shown again).
    secret = EncryptedTextField(blank=True)
    on_push = models.BooleanField("pushes", default=True)
    on_delete = models.BooleanField("deletes", default=True)
    on_retention = models.BooleanField("retention runs", default=True)
    on_promotion = models.BooleanField("promotions", default=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "registries"
        ordering = ["registry", "name"]
        constraints = [
            models.UniqueConstraint(fields=["registry", "name"], name="notification_endpoint_once"),
        ]

    def __str__(self) -> str:
        return self.name


class NotificationDelivery(models.Model):
    class Event(models.TextChoices):
        PUSH = "push", "push"
        DELETE = "delete", "delete"
        RETENTION = "retention", "retention run"
        PROMOTION = "promotion", "promotion"
        TEST = "test", "test"

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    endpoint = models.ForeignKey(
        NotificationEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=10, choices=Event.choices)
    payload = models.JSONField(help_text="What the event said; the body is made from it.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    # The start of the receiver's last answer or the error met, cut short (never a secret).
    last_response = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "registries"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "notification deliveries"
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="notification_log")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
