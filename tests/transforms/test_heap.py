"""What a worker's setup does to the garbage collector."""

from __future__ import annotations

import gc

import pytest

from corpusgate.transforms.common.heap import freeze_long_lived


@pytest.fixture
def collector():  # type: ignore[no-untyped-def]
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_what_is_alive_at_setup_leaves_the_collectors_generations(collector) -> None:  # type: ignore[no-untyped-def]
    kept = [{"table": i} for i in range(1000)]  # a worker's tables, built in setup
    before = gc.get_freeze_count()
    freeze_long_lived()
    assert gc.get_freeze_count() >= before + len(kept)
    assert not any(o is kept for o in gc.get_objects())  # no generation holds it now


def test_young_collections_wait_for_more_allocations_unless_the_collector_is_off(
    collector,  # type: ignore[no-untyped-def]
) -> None:
    gc.set_threshold(700, 10, 10)
    freeze_long_lived()
    assert gc.get_threshold() == (20_000, 10, 10)
    gc.set_threshold(0, 10, 10)
    freeze_long_lived()
    assert gc.get_threshold() == (0, 10, 10)
    gc.set_threshold(50_000, 5, 5)
    freeze_long_lived()
    assert gc.get_threshold() == (50_000, 5, 5)  # a larger choice stays
