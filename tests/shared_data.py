"""The shared residents' messages: ../shared/data beside the project, or the folder that
JICENG_SHARED_DATA names (a checkout kept elsewhere). Tests skip, saying why, when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("JICENG_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"the shared data file {path} is absent")
    return path
