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
    def write(items):
        if 13 in items:
            raise ValueError("unlucky")
        return list(items)

    c = Coalescer(write, writers=1)
    with ThreadPoolExecutor(16) as pool:
        futures = {i: pool.submit(c.submit, i) for i in range(16)}
        for i, f in futures.items():
            if i == 13:
                with pytest.raises(ValueError):
                    f.result(10)
            else:
                assert f.result(10) == i
