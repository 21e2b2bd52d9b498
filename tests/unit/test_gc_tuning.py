"""The serving process's collector settings (checked in a child process: they are process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys

from server.gc_tuning import OLDER_THRESHOLDS, YOUNG_THRESHOLD

PROBE = """
import gc, json
from server.app import create_app
from server.gc_tuning import tune_for_serving
from server.settings import Settings
create_app(Settings())
tune_for_serving()
garbage = []
garbage.append(garbage)  # a cycle made after start-up: still collectable
del garbage
print(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(), "collected": gc.collect()}))
"""


def test_serving_freezes_start_up_objects_and_keeps_collecting_later_cycles() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert tuple(found["threshold"]) == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    assert found["frozen"] > 10_000  # modules, classes and schemas: never scanned again
    assert found["collected"] >= 1
