"""Storage pages: /registry/<name>/-/storage/ and /registry/<name>/-/storage/<repository>/.

`-` starts no repository name (the name grammar), so these paths never shadow a repository.
Anyone who may see the registry may see them (a registry limited to other groups is a 404),
and they read the index only: no request reaches the registry.
"""

from django.http import Http404, HttpRequest
from django.views.generic import TemplateView

from registries.client.reference import InvalidReference, check_repository, repository_on
from registries.inventory.services import inventory_status
from registries.retention.charts import bar_chart, growth_chart
from registries.retention.storage import TOP, registry_storage
from registries.views.browse import RegistryMixin


class RegistryStorageView(RegistryMixin, TemplateView):
    template_name = "registries/storage.html"

    def get_context_data(self, **kwargs) -> dict:
        storage = registry_storage(registry=self.registry)
        figures = storage.figures
        largest = figures.largest_repositories(TOP)
        return super().get_context_data(
            storage=storage,
            figures=figures,
            largest=largest,
            bars=bar_chart(largest),
            images=figures.largest_images(TOP),
            growth=figures.growth,
            growth_chart=growth_chart(figures.growth),
            sync=inventory_status(registry=self.registry),
            **kwargs,
        )


class RepositoryStorageView(RegistryMixin, TemplateView):
    template_name = "registries/storage_repository.html"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        try:
            name = repository_on(self.registry.host, check_repository(kwargs["repository"]))
        except InvalidReference as exc:
            raise Http404(str(exc)) from exc
        self.kwargs["repository"] = name

    def get_context_data(self, **kwargs) -> dict:
        storage = registry_storage(registry=self.registry)
        detail = storage.figures.repository(self.kwargs["repository"])
        if detail is None:
            raise Http404("The index has no tag of this repository.")
        return super().get_context_data(
            storage=storage,
            detail=detail,
            growth=detail.growth,
            growth_chart=growth_chart(detail.growth),
            **kwargs,
        )
