"""Fixtures of the demo tests."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted as their English msgids, whatever the default language translates.
    with translation.override("en"):
        yield
