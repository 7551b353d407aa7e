"""A real registry holding the supply-chain dataset (one per test module), and its row with
the release key configured."""

import pytest

from registries.supplychain.models import SigningKey
from tests.supplychain.dataset import KEY, push_dataset


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    push_dataset(reg)
    return reg


@pytest.fixture
def row(reg, registry_row, settings):
    settings.REGFRONT_MAX_ATTESTATION_BYTES = 16_384  # the `huge` SBOM is ~25 kB
    registry = registry_row(reg, name="chain")
    SigningKey.objects.create(registry=registry, name="release", public_key=KEY.public_pem)
    return registry
