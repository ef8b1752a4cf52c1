"""Smoothing of the per-minute latency series shown on the service dashboards."""

from __future__ import annotations

from collections.abc import Sequence


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The mean of every run of ``window`` consecutive values, in order: for n values there are
    n - window + 1 of them (none when there are fewer than ``window`` values)."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    averages = []
    running = sum(values[:window])
    for start in range(len(values) - window):
        if start > 0:
            running += values[start + window - 1] - values[start - 1]
        averages.append(running / window)
    return averages


def spikes(values: Sequence[float], window: int, factor: float = 3.0) -> list[int]:
    """Indexes of values more than ``factor`` times the average of the ``window`` values before them."""
    found = []
    for index in range(window, len(values)):
        baseline = sum(values[index - window : index]) / window
        if baseline > 0 and values[index] > factor * baseline:
            found.append(index)
    return found


def downsample(values: Sequence[float], bucket: int) -> list[float]:
    """Means of consecutive buckets of ``bucket`` values; the last bucket may be shorter."""
    if bucket < 1:
        raise ValueError(f"bucket must be at least 1, got {bucket}")
    return [
        sum(values[start : start + bucket]) / len(values[start : start + bucket])
        for start in range(0, len(values), bucket)
    ]
