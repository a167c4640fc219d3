"""The clock: virtual time moves only on request; polling reports what it last saw."""

from __future__ import annotations

import time

import pytest

from fixtures.clock import EventuallyTimeout, RealClock, VirtualClock, eventually


def test_virtual_wait_costs_no_real_time():
    clock = VirtualClock()
    clock.start()
    try:
        started_virtual = time.time()
        started_real = time.perf_counter()
        clock.wait(3600)
        assert time.time() - started_virtual == pytest.approx(3600, abs=0.01)
        assert time.perf_counter() - started_real < 0.5
        assert clock.waited == 3600
    finally:
        clock.stop()


def test_virtual_clock_frozen_between_waits():
    clock = VirtualClock()
    clock.start()
    try:
        first = time.time()
        sum(range(100_000))
        assert time.time() == first
    finally:
        clock.stop()


def test_virtual_clock_moves_moto_sqs():
    from moto.core.utils import unix_time_millis

    clock = VirtualClock()
    clock.start()
    try:
        before = unix_time_millis()
        clock.wait(30)
        assert unix_time_millis() - before == pytest.approx(30_000, abs=1)
    finally:
        clock.stop()


def test_eventually_returns_first_match():
    clock = VirtualClock()
    clock.start()
    try:
        values = iter([0, 1, 2, 3])
        assert eventually(clock, lambda: next(values), until=lambda v: v >= 2, timeout=10) == 2
    finally:
        clock.stop()


def test_eventually_reports_last_value():
    clock = VirtualClock()
    clock.start()
    try:
        with pytest.raises(EventuallyTimeout, match=r"queue drained: not reached within 2 s .* last observed: \['m1'\]"):
            eventually(clock, lambda: ["m1"], until=lambda v: not v, timeout=2, what="queue drained")
    finally:
        clock.stop()


def test_eventually_bounded_on_real_clock():
    clock = RealClock()
    started = time.perf_counter()
    with pytest.raises(EventuallyTimeout):
        eventually(clock, lambda: False, until=bool, timeout=0.3, interval=0.05)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert clock.waited == pytest.approx(0.3, abs=0.06)
