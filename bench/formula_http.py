"""Latency of the formula HTTP path: ESA_ALLOCATE over 30,000 weights through the real service.

Starts ``esaplan serve`` (waitress) in its own process on a loopback port, as the office runs it,
then times requests the way the Office.js and Apps Script forwarders make them (JSON in, JSON
out) from this process, with the installation's code and with a person's own code (looked up in
the service's database on every call). The client reads the answer with orjson and freezes its own
heap first, so the figures are the service's and the wire's, not this Python's collector walking
the 30,000 lists it reads (a host's JavaScript pays neither). Prints the direct registry call and the HTTP p50/p95;
asserts nothing. ``--load N`` keeps N other processes busy meanwhile (a machine at load about N).
Run: ``.venv/bin/python bench/formula_http.py [--load 4]``
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import multiprocessing.synchronize
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

import orjson

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


def _busy(stop: multiprocessing.synchronize.Event) -> None:
    """One process of the load: arithmetic until told to stop."""
    n = 0
    while not stop.is_set():
        for _ in range(100_000):
            n = (n * 31 + 7) % 1_000_003


def _personal_code(home: str) -> str:
    """A person's formula code made in the installation's own database, as the web page makes one."""
    from sync.ledger.database import open_ledger
    from sync.office.settings import load_settings
    from sync.service.formula_tokens import FormulaTokens

    ledger = open_ledger(load_settings(Path(home)).database_url)
    _, code = FormulaTokens(ledger.engine).issue("bench", "bench")
    ledger.engine.dispose()
    return code


def _timed(url: str, body: bytes, code: str) -> tuple[list[float], object]:
    timings: list[float] = []
    result: object = None
    for index in range(WARM_UP + REQUESTS):
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json", "X-Esaplan-Token": code}, method="POST"
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            result = orjson.loads(response.read())["result"]  # parsed about as fast as a host's JavaScript does
        if index >= WARM_UP:
            timings.append((time.perf_counter() - start) * 1000)
    return timings, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", type=int, default=0, help="busy processes beside the service (load about N)")
    load = parser.parse_args().load
    rng = random.Random(2570)
    column = [[rng.randint(15, 1500)] for _ in range(WEIGHTS)]
    body = json.dumps({"args": [123_456_789, column]}).encode()
    direct_runs = []
    for _ in range(10):
        start = time.perf_counter()
        direct = call("ESA_ALLOCATE", [123_456_789, column])
        direct_runs.append((time.perf_counter() - start) * 1000)
    stop = multiprocessing.Event()
    busy = [multiprocessing.Process(target=_busy, args=(stop,), daemon=True) for _ in range(load)]
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
            personal = _personal_code(folder)
            for process in busy:
                process.start()
            gc.freeze()
            url = f"http://127.0.0.1:{port}/api/formulas/ESA_ALLOCATE"
            installation, result = _timed(url, body, "bench")
            own, own_result = _timed(url, body, personal)
        finally:
            stop.set()
            for process in busy:
                process.join(timeout=10)
            server.terminate()
            server.wait(timeout=10)
    assert result == direct == own_result
    print(
        f"ESA_ALLOCATE, {WEIGHTS:,} weights: {REQUESTS} requests to `esaplan serve` on loopback"
        f" ({len(body) / 1024:.0f} KiB each, after {WARM_UP} to warm up), {load} busy processes beside it"
        f" ({os.cpu_count()} cores)"
    )
    print(f"  direct call (registry, this process)  {statistics.median(direct_runs):7.1f} ms  (median of 10)")
    for label, timings in (("installation's code", installation), ("a person's own code", own)):
        quantiles = statistics.quantiles(timings, n=20)
        print(f"  HTTP, {label:20}  p50 {statistics.median(timings):7.1f} ms   p95 {quantiles[18]:7.1f} ms")


if __name__ == "__main__":
    main()
