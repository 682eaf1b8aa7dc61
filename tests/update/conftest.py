from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from update_helpers import Central, dep_wheel, start_central


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    c, stop = start_central(tmp_path_factory.mktemp("central"))
    yield c
    stop()
    c.engine.dispose()


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheels")


@pytest.fixture(scope="module")
def dep(wheelhouse: Path) -> Path:
    return dep_wheel(wheelhouse / "dep")
