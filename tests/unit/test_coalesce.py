"""Group commit: every caller gets its own result, and one bad item fails only its own caller."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.common.coalesce import Coalescer


def test_concurrent_callers_are_batched_and_each_gets_its_own_result():
    batches: list[int] = []
    gate = threading.Event()

    def write(items):
        gate.wait(5)  # hold the first batch so the others queue up behind it
        batches.append(len(items))
        return [i * 10 for i in items]

    c = Coalescer(write, writers=1, max_batch=64)
    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(c.submit, i) for i in range(32)]
        threading.Timer(0.2, gate.set).start()
        assert [f.result(10) for f in futures] == [i * 10 for i in range(32)]
    assert sum(batches) == 32 and max(batches) > 1


def test_a_failing_item_fails_alone():
    gate = threading.Event()
    sizes: list[int] = []

    def write(items):
        gate.wait(5)  # let all 16 queue up, so 13 shares a batch with others
        sizes.append(len(items))
        if 13 in items:
            raise ValueError("unlucky")
        return list(items)

    c = Coalescer(write, writers=1)
    with ThreadPoolExecutor(16) as pool:
        futures = {i: pool.submit(c.submit, i) for i in range(16)}
        threading.Timer(0.2, gate.set).start()
        for i, f in futures.items():
            if i == 13:
                with pytest.raises(ValueError):
                    f.result(10)
            else:
                assert f.result(10) == i
    assert max(sizes) > 1  # the failing batch was split, not written one by one from the start


def test_a_wrong_number_of_results_fails_the_callers_instead_of_hanging():
    c = Coalescer(lambda items: [], writers=1)
    with pytest.raises(RuntimeError):
        c.submit(1, timeout=5)


def test_a_caller_stops_waiting_at_its_timeout():
    c = Coalescer(lambda items: threading.Event().wait(1) or list(items), writers=1)
    with pytest.raises(TimeoutError):
        c.submit(1, timeout=0.05)
