"""Load each pickle named on the command line through the guarded reader; one JSON line each.

Run in a subprocess by the fuzz tests, so a crash (a signal) fails a test instead of pytest.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from vantageadapt.data import pickle_scan
from vantageadapt.data.safe_pickle import safe_loads
from vantageadapt.errors import DataError

args = sys.argv[1:]
if args and args[0].startswith("--max-objects="):  # a smaller budget, to measure memory fast
    pickle_scan.MAX_OBJECTS = int(args.pop(0).split("=", 1)[1])
baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for name in args:
    try:
        safe_loads(Path(name).read_bytes(), source=name)
        outcome, message = "loaded", ""
    except DataError as exc:
        outcome, message = "refused", str(exc)
    except BaseException as exc:
        outcome, message = "unexpected", f"{type(exc).__name__}: {exc}"
    print(json.dumps({"path": name, "outcome": outcome, "message": message}), flush=True)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mb": peak_kb / 1024, "grew_mb": (peak_kb - baseline_kb) / 1024}))
