"""Registry model rules hold for every write path, including the database itself."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registries.models import Registry

pytestmark = pytest.mark.django_db


def test_full_clean_refuses_illegal_names():
    for name in ("Bad_Name!", "", "a" * 300, "UPPER"):
        with pytest.raises(ValidationError) as refused:
            Registry(name=name, url="https://r.example").full_clean()
        assert "name" in refused.value.message_dict


def test_the_database_refuses_an_illegal_name_written_around_validation():
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.create(name="Bad_Name", url="https://r.example")


def test_the_database_refuses_a_duplicate_name():
    Registry.objects.create(name="main", url="https://r.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.create(name="main", url="https://other.example")


def test_host_and_queryset_helpers():
    with_auth = Registry.objects.create(name="a", url="https://r.example:5000/", username="u")
    Registry.objects.create(name="b", url="http://[::1]:5000")
    assert with_auth.host == "r.example:5000"
    assert list(Registry.objects.with_credentials()) == [with_auth]
    assert [r.name for r in Registry.objects.anonymous()] == ["b"]
    assert Registry.objects.named("b").get().host == "[::1]:5000"
