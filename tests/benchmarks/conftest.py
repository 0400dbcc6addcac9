"""Benchmarks run only with `make bench` (pytest -m benchmark); they print figures, they do not time-test."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.benchmark)
