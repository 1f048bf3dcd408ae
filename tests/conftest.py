"""Shared fixtures: paths to the real public data, a writable copy of the rules data."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from rules.parameters import DATA_DIR

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The repository's sibling shared/data folder (real OBEC data, used as it is)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}: clone esaplan beside shared/")
    return SHARED_DATA


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of rules/data that a test may edit, as staff would."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture(scope="session")
def demo_area(tmp_path_factory: pytest.TempPathFactory):
    """A 40-school demo area built and consolidated once through the real CLI (read-only for tests)."""
    from click.testing import CliRunner

    from sync.cli import main

    home = tmp_path_factory.mktemp("demo") / "area"
    result = CliRunner().invoke(main, ["demo", "--home", str(home), "--schools", "40"])
    assert result.exit_code == 0, result.output
    return home, result


@pytest.fixture(scope="session")
def demo200(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo of the area's real size (200 schools) built and consolidated once through the real CLI (read-only for tests)."""
    from click.testing import CliRunner

    from sync.cli import main

    home = tmp_path_factory.mktemp("demo200") / "area"
    result = CliRunner().invoke(main, ["demo", "--home", str(home), "--schools", "200"])
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def demo_copy(demo_area, tmp_path: Path):
    """A private copy of the demo area that a test may change and re-consolidate."""
    home, _ = demo_area
    target = tmp_path / "area"
    shutil.copytree(home, target)
    return target


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_ledger(request: pytest.FixtureRequest, demo_copy: Path) -> Path:
    """The demo copy with its ledger on each kind of database in turn: as made (SQLite), then moved
    to an empty PostgreSQL database the way an office moves it (``esaplan ledger move``)."""
    if request.param == "postgresql":
        from sync.ledger.move import move_ledger
        from sync.office.settings import load_settings

        move_ledger(load_settings(demo_copy), request.getfixturevalue("fresh_database"))
    return demo_copy


@contextmanager
def serve(settings, token: str = "test-token"):
    """The real Flask app for ``settings`` on a loopback port, in a thread; yields its base URL."""
    from sync.service.web import create_app

    with serve_wsgi(create_app(settings, api_token=token)) as base:
        yield base


@contextmanager
def serve_wsgi(app):
    """A WSGI app on a loopback port, in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def serve_command(home: Path, *options: str, env: dict[str, str] | None = None):
    """`esaplan serve` on ``home`` in its own process, as staff start it (``env`` added to its
    environment); yields its base URL."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("esaplan")),
        "serve",
        "--home",
        str(home),
        "--port",
        str(port),
        *options,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"esaplan serve did not start: {process.communicate()[0].decode(errors='replace')}")
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.fixture
def live_server(tmp_path: Path):
    """The service of an empty installation on loopback; yields (base URL, token, settings)."""
    from sync.office.settings import load_settings

    settings = load_settings(tmp_path / "home")
    with serve(settings) as base:
        yield base, "test-token", settings


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """Debian's chromium under Playwright; CI (ESAPLAN_REQUIRE_BROWSER=1) fails instead of skipping without it."""
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("ESAPLAN_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (apt-get install chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def npm_package(name: str, version: str) -> Path:
    """The unpacked folder of an npm package at a fixed version (office.js, axe-core), fetched once
    into the user's cache with ``npm pack``: the browser tests use the vendors' own files."""
    import subprocess
    import tarfile

    cache = (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "esaplan-tests"
        / f"{name.rsplit('/', 1)[-1]}-{version}"
    )
    folder = cache / "package"
    if not (folder / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("ESAPLAN_REQUIRE_BROWSER"):
                pytest.fail(f"npm is required to fetch {name} (apt-get install npm)")
            pytest.skip("npm not installed")
        cache.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--pack-destination", str(cache)],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
        with tarfile.open(cache / packed.stdout.strip().splitlines()[-1]) as archive:
            archive.extractall(cache, filter="data")
    return folder


@dataclass
class PostgresServer:
    """The tests' PostgreSQL: its URL, and stopping and starting it again (a restart under a job)."""

    url: str
    stop: Callable[[], None]
    start: Callable[[], None]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster of Debian's server on a loopback port, run as the postgres
    user (initdb refuses root) in a folder of its own under /tmp (pytest's are root's alone);
    its URL for SQLAlchemy with psycopg. CI requires it."""
    import glob
    import socket
    import subprocess
    import tempfile
    import time

    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        if os.environ.get("ESAPLAN_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (apt-get install postgresql)")
        pytest.skip("PostgreSQL not installed")
    bin_dir = Path(binaries[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="esaplan-postgres-"))
    data = folder / "data"
    owner: dict[str, str] = {}
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        owner = {"user": "postgres", "group": "postgres"}  # the server itself is the child: signals reach it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "esaplan", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True,
        capture_output=True,
        cwd=folder,
        **owner,
    )
    running: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        command = [
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={folder}",
        ]
        running.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder, **owner)
        )
        deadline = time.monotonic() + 30
        while (
            subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            != 0
        ):
            if time.monotonic() > deadline or running[-1].poll() is not None:
                running[-1].kill()
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.2)

    def stop() -> None:
        server = running.pop()
        server.send_signal(signal.SIGINT)  # "fast" shutdown: sessions are cut, as in a restart
        server.wait(timeout=30)

    start()
    try:
        yield PostgresServer(f"postgresql+psycopg://esaplan@127.0.0.1:{port}/postgres", stop, start)
    finally:
        if running:
            stop()
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server_url: str) -> str:
    """The URL of a new, empty database on the PostgreSQL at ``server_url``."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"esaplan_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def fresh_database(postgres: PostgresServer) -> Iterator[str]:
    """An empty database of its own on the session's PostgreSQL."""
    yield new_database(postgres.url)
    from sync.ledger.database import close_ledgers

    close_ledgers()


NODE = shutil.which("node")


@pytest.fixture(autouse=True)
def _node_when_required(request):
    """Node runs the JavaScript surfaces; CI (ESAPLAN_REQUIRE_NODE=1) fails instead of skipping without it."""
    if "needs_node" in request.keywords and NODE is None:
        if os.environ.get("ESAPLAN_REQUIRE_NODE"):
            pytest.fail("Node.js is required here but not installed")
        pytest.skip("Node.js not installed")
