"""The French run: ``TILLTERM_LANG=fr pytest tests/french`` (``make test`` runs it).

The language is chosen once per process (see ``tillterm.i18n``), so these tests cannot
share the English run's process; started any other way, they say why and are skipped.
"""

from __future__ import annotations

import pytest

from tillterm.i18n import language


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if language() == "fr":
        return
    skip = pytest.mark.skip(reason="French run only: TILLTERM_LANG=fr pytest tests/french")
    for item in items:
        if "/french/" in str(item.path):
            item.add_marker(skip)
