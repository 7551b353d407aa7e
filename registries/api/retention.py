"""`GET /api/v1/registries/<name>/retention` (the registry's retention policies) and
`…/retention/<policy>/plan` (a policy's dry-run plan from the index: the object
`manage.py retention --policy NAME --dry-run --json` prints). Read-only, with the Cleanup
pages' permission (registries/retention/views.py): `registries.change_registry` on a registry
you may see."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from registries.api.views import ApiError, ApiView
from registries.models import Registry
from registries.retention.index import index_plan
from registries.retention.models import RetentionPolicy
from registries.retention.rules import Rules

PERMISSION = "registries.change_registry"


def policy_json(policy: RetentionPolicy) -> dict[str, Any]:
    registry = policy.registry.name
    return {
        "name": policy.name,
        "repositories": policy.repository_globs,
        "keep_last": policy.keep_last,
        "order": policy.order,
        "keep_days": policy.keep_days,
        "keep_regex": policy.keep_regex,
        "protect": policy.protect_patterns,
        "paused": policy.paused,
        "interval": policy.interval,
        "updated_at": policy.updated_at.isoformat(),
        "plan_url": reverse("api:retention_plan", args=[registry, policy.name]),
        "web_url": reverse("registries:retention_policy", args=[registry, policy.name]),
    }


class RetentionApi(ApiView):
    talks_to_registry = False  # plans come from the index

    def permitted_registry(self, name: str) -> Registry:
        # As on the pages: a hidden registry is a 404 before anything else is said.
        registry = self.registry(name)
        user = self.request.user
        if not user.is_authenticated:
            raise ApiError(401, "unauthenticated", "Log in, or send an API token, to see plans.")
        if not user.has_perm(PERMISSION):
            raise ApiError(403, "forbidden", "Retention needs permission to change registries.")
        return registry


class PoliciesApi(RetentionApi):
    def get(self, request: HttpRequest, name: str) -> JsonResponse:
        registry = self.permitted_registry(name)
        policies = RetentionPolicy.objects.filter(registry=registry).select_related("registry")
        return JsonResponse(
            {"registry": registry.name, "policies": [policy_json(p) for p in policies]}
        )


class PlanApi(RetentionApi):
    def get(self, request: HttpRequest, name: str, policy: str) -> JsonResponse:
        registry = self.permitted_registry(name)
        row = RetentionPolicy.objects.filter(registry=registry, name=policy).first()
        if row is None:
            raise ApiError(404, "not_found", "This registry has no retention policy by that name.")
        return JsonResponse(index_plan(registry=registry, rules=Rules.from_policy(row)).as_json())
