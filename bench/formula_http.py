"""Latency of the formula HTTP path: ESA_ALLOCATE over 30,000 weights through the real service.

Starts ``esaplan serve`` (waitress) in its own process on a loopback port, as the office runs it,
then times requests the way the Office.js and Apps Script forwarders make them (JSON in, JSON
out) from this process. Prints the direct registry call and the HTTP p50/p95; asserts nothing.
Run: ``.venv/bin/python bench/formula_http.py``
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from addin import call

WEIGHTS = 30_000
WARM_UP = 5
REQUESTS = 100


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise SystemExit("esaplan serve stopped") from None
            time.sleep(0.1)
    raise SystemExit("esaplan serve did not start")


def main() -> None:
    rng = random.Random(2570)
    column = [[rng.randint(15, 1500)] for _ in range(WEIGHTS)]
    body = json.dumps({"args": [123_456_789, column]}).encode()
    direct_runs = []
    for _ in range(10):
        start = time.perf_counter()
        direct = call("ESA_ALLOCATE", [123_456_789, column])
        direct_runs.append((time.perf_counter() - start) * 1000)
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        command = [str(Path(sys.executable).with_name("esaplan")), "serve", "--home", folder, "--port", str(port)]
        server = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ESAPLAN_API_TOKEN": "bench"},
        )
        try:
            _wait_for(port, server)
            url = f"http://127.0.0.1:{port}/api/formulas/ESA_ALLOCATE"
            timings = []
            for index in range(WARM_UP + REQUESTS):
                request = urllib.request.Request(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json", "X-Esaplan-Token": "bench"},
                    method="POST",
                )
                start = time.perf_counter()
                with urllib.request.urlopen(request) as response:
                    result = json.load(response)["result"]
                if index >= WARM_UP:
                    timings.append((time.perf_counter() - start) * 1000)
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert result == direct
    quantiles = statistics.quantiles(timings, n=20)
    print(
        f"ESA_ALLOCATE, {WEIGHTS:,} weights: {REQUESTS} requests to `esaplan serve` on loopback ({len(body) / 1024:.0f} KiB each, after {WARM_UP} to warm up)"
    )
    print(f"  direct call (registry, this process)  {statistics.median(direct_runs):7.1f} ms  (median of 10)")
    print(f"  HTTP p50                              {statistics.median(timings):7.1f} ms")
    print(f"  HTTP p95                              {quantiles[18]:7.1f} ms")


if __name__ == "__main__":
    main()
