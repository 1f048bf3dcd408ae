"""Latency of the formula HTTP path: ESA_ALLOCATE over 30,000 weights through the real service.

Starts ``esaplan``'s app under waitress on a loopback port, then times N requests the way the
Office.js and Apps Script forwarders make them (JSON in, JSON out). Prints p50/p95; asserts nothing.
Run: ``.venv/bin/python bench/formula_http.py``
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from waitress.server import create_server

from addin import call
from sync.settings import load_settings
from sync.web import create_app

WEIGHTS = 30_000
REQUESTS = 40


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(load_settings(Path(folder)), api_token="bench")
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.effective_port}/api/formulas/ESA_ALLOCATE"
        rng = random.Random(2570)
        column = [[rng.randint(15, 1500)] for _ in range(WEIGHTS)]
        body = json.dumps({"args": [123_456_789, column]}).encode()
        direct_runs = []
        for _ in range(10):
            start = time.perf_counter()
            direct = call("ESA_ALLOCATE", [123_456_789, column])
            direct_runs.append((time.perf_counter() - start) * 1000)
        direct_ms = statistics.median(direct_runs)
        timings = []
        for _ in range(REQUESTS):
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", "X-Esaplan-Token": "bench"}, method="POST")
            start = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                result = json.load(response)["result"]
            timings.append((time.perf_counter() - start) * 1000)
        server.close()
        assert result == direct
        quantiles = statistics.quantiles(timings, n=20)
        print(f"ESA_ALLOCATE, {WEIGHTS:,} weights, {REQUESTS} requests over HTTP (waitress on loopback, {len(body) / 1024:.0f} KiB request)")
        print(f"  direct call (registry, no HTTP)  {direct_ms:7.1f} ms  (median of 10; rules.allocate alone is ~20 ms)")
        print(f"  HTTP p50                         {statistics.median(timings):7.1f} ms")
        print(f"  HTTP p95                         {quantiles[18]:7.1f} ms")


if __name__ == "__main__":
    main()
