"""The test tree itself: pytest imports test modules by their file name, so two layers' files with the
same name break the collection of the whole suite, even when each layer alone passes (it happened twice)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_file_name_across_the_layers() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
