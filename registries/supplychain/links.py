"""The supply-chain page's address, for the tag page and the API to link to."""

from django.urls import reverse


def supply_chain_url(registry_name: str, repository: str, *, tag: str = "", digest: str = ""):
    """`/registry/<name>/<repo>:<tag>/supply-chain` or `…/<repo>@<digest>/supply-chain`."""
    reference = f"{repository}@{digest}" if digest else f"{repository}:{tag}"
    return reverse(
        "registries:supply_chain", kwargs={"name": registry_name, "reference": reference}
    )
