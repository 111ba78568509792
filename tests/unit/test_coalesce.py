"""Group commit: every caller gets its own result, and one bad item fails only its own caller."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.common.coalesce import Coalescer, WaitExpired


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


def test_a_caller_stops_waiting_at_its_timeout_and_its_item_is_not_written():
    written: list[int] = []
    gate = threading.Event()

    def write(items):
        gate.wait(5)
        written.extend(items)
        return list(items)

    c = Coalescer(write, writers=1, max_batch=1)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(c.submit, 1)  # occupies the only writer
        threading.Event().wait(0.05)
        with pytest.raises(WaitExpired):
            c.submit(2, timeout=0.05)  # gives up while queued
        gate.set()
        assert first.result(5) == 1
    threading.Event().wait(0.2)
    assert written == [1]


def test_an_error_not_caused_by_one_item_goes_to_every_caller_of_the_batch():
    calls: list[int] = []
    gate = threading.Event()

    def write(items):
        gate.wait(5)
        calls.append(len(items))
        raise ConnectionError("database down")

    c = Coalescer(write, isolate=lambda e: not isinstance(e, ConnectionError), writers=1)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(c.submit, i) for i in range(8)]
        threading.Timer(0.2, gate.set).start()
        for f in futures:
            with pytest.raises(ConnectionError):
                f.result(10)
    assert len(calls) < 8  # not retried item by item
