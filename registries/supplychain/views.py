"""Supply-chain pages: `/registry/<name>/<repo>:<tag>/supply-chain` (or `@<digest>`), and
the registry's signing keys under /manage/ for people who may change the registry.

Everything shown came from whoever pushed it: templates escape it like every registry
string, and only http(s) sources become links.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from registries import services
from registries.audit import Action, audit_record
from registries.client.reference import InvalidReference, parse_repository_path, repository_on
from registries.models import Registry
from registries.supplychain.forms import SigningKeyForm
from registries.supplychain.links import supply_chain_url
from registries.supplychain.models import SigningKey
from registries.supplychain.services import Row, supply_chain
from registries.views.browse import RegistryMixin
from registries.views.errors import invalid_reference_response

PACKAGES_PER_PAGE = 100


def chosen_sbom(rows: list[Row], choice: str) -> tuple[int, Row] | None:
    """The SBOM whose table is shown: `?sbom=<n>` (from 1), else the first readable one."""
    readable = [(n, row) for n, row in enumerate(rows, 1) if row.piece.sbom is not None]
    if choice.isdigit():
        return next(((n, row) for n, row in readable if n == int(choice)), None)
    return readable[0] if readable else None


class SupplyChainView(RegistryMixin, TemplateView):
    template_name = "registries/supplychain.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        reference = kwargs["reference"]
        try:
            parsed = parse_repository_path(reference)
        except InvalidReference as exc:
            return invalid_reference_response(request, self.registry, str(exc))
        on_registry = repository_on(self.registry.host, parsed.repository)
        if on_registry != parsed.repository:  # Docker Hub: `alpine` is `library/alpine`
            return redirect(
                supply_chain_url(
                    self.registry.name,
                    on_registry,
                    tag=parsed.tag or "",
                    digest=parsed.digest or "",
                )
            )
        self.kwargs.update(repository=parsed.repository, tag=parsed.tag, digest=parsed.digest)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        repository, tag = self.kwargs["repository"], self.kwargs["tag"]
        detail = services.manifest_detail(
            registry=self.registry, repository=repository, tag=tag, digest=self.kwargs["digest"]
        )
        chain = supply_chain(registry=self.registry, repository=repository, detail=detail)
        query = self.request.GET.get("q", "").strip()[:200]
        context = super().get_context_data(
            detail=detail,
            tag=tag,
            chain=chain,
            badge=chain.badge,
            query=query,
            keys=list(SigningKey.objects.filter(registry=self.registry)),
            may_manage_keys=self.request.user.has_perm("registries.change_registry"),
        )
        chosen = chosen_sbom(chain.sboms, self.request.GET.get("sbom", ""))
        if chosen is not None:
            number, row = chosen
            needle = query.lower()
            packages = [p for p in row.piece.sbom.packages if not needle or p.matches(needle)]
            context |= {
                "sbom_number": number,
                "sbom_row": row,
                "packages": Paginator(packages, PACKAGES_PER_PAGE).get_page(
                    self.request.GET.get("page")
                ),
                # The pager keeps the SBOM chosen, even when it was the default one.
                "page_query": urlencode({"sbom": number, **({"q": query} if query else {})}),
            }
        return context


class RegistryKeysMixin(PermissionRequiredMixin):
    """The registry (404 unless visible to the person) and its keys; change_registry only."""

    permission_required = "registries.change_registry"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.registry = get_object_or_404(
            Registry.objects.visible_to(request.user), name=kwargs["name"]
        )

    def keys_url(self) -> str:
        return reverse("registries:signing_keys", args=[self.registry.name])


class SigningKeysView(RegistryKeysMixin, TemplateView):
    template_name = "registries/supplychain_keys.html"

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", SigningKeyForm(instance=SigningKey(registry=self.registry)))
        return super().get_context_data(
            registry=self.registry,
            keys=list(SigningKey.objects.filter(registry=self.registry)),
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = SigningKeyForm(request.POST, instance=SigningKey(registry=self.registry))
        if form.is_valid():
            try:
                key = form.save()
            except IntegrityError:  # the same name saved by someone else just now
                form.add_error("name", "This registry already has a key with this name.")
            else:
                audit_record(
                    user=request.user, action=Action.REGISTRY_CHANGE,
                    registry_name=self.registry.name,
                    message=f"Signing key {key.name} added (SHA-256 {key.fingerprint[:16]}…)",
                )  # fmt: skip
                messages.success(request, f"Signing key {key.name} added.")
                return redirect(self.keys_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SigningKeyRemoveView(RegistryKeysMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = SigningKey.objects.filter(registry=self.registry, pk=kwargs["pk"]).first()
        if key is None:
            messages.info(request, "That signing key had already been removed.")
            return redirect(self.keys_url())
        name = key.name
        key.delete()
        audit_record(
            user=request.user,
            action=Action.REGISTRY_CHANGE,
            registry_name=self.registry.name,
            message=f"Signing key {name} removed",
        )
        messages.success(request, f"Signing key {name} removed.")
        return redirect(self.keys_url())
