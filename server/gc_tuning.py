"""Garbage-collector settings for a serving process, applied once before it serves.

CPython's cyclic collector runs a young pass every 700 net allocations of container
objects, and every so often a full pass over everything it tracks. A server that has just
started tracks some 160,000 objects it will keep until it exits (modules, classes,
schemas), and a burst of calls allocates millions of short-lived ones on top: with 1,000
calls in flight, the full passes took half of the server's CPU and stopped its event loop
for a quarter of a second each (bench/RESULTS.md). The two standard remedies:

- `gc.freeze()` moves everything alive at start-up into a permanent generation that the
  collector never scans again;
- a young generation of 50,000 objects instead of 700 makes passes rarer, while cyclic
  garbage still gets collected (a few MB of it at most wait for the next pass).

Reference counting, which frees almost everything a request makes, is not affected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
OLDER_THRESHOLDS = (20, 100)


def tune_for_serving() -> None:
    """Call once, after the app is built and before the first request."""
    gc.collect()  # what start-up already threw away should not be frozen with the rest
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
