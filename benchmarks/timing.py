"""Timing shared by the benchmarks: the median of runs after a warm-up."""

import statistics
import time


def median_seconds(run, warmup_runs, runs):
  """Median and all timings of `run()` after a first call and a warm-up.

  The first call (tracing, loading) and `warmup_runs` more are not timed.
  """
  for _ in range(1 + warmup_runs):
    run()
  seconds = []
  for _ in range(runs):
    start = time.perf_counter()
    run()
    seconds.append(time.perf_counter() - start)
  return statistics.median(seconds), seconds


def report(name, median, seconds):
  """One aligned result line: the median and every run, in milliseconds."""
  return (f'  {name:>17}: {median * 1000:7.0f} ms  '
          f'(runs: {", ".join(f"{s * 1000:.0f}" for s in seconds)})')
