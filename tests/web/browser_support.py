"""A live Tender server for browser tests: the real app under gunicorn, on the test's own database.

``LiveServer(database_url, workdir)`` starts ``gunicorn -w 2`` on a free
local port, loads the demo procurement into the (already migrated) database
with ``tender demo`` and waits for ``/healthz``. Use it as a context manager; on
leaving, the server is stopped and its stderr is printed (pytest shows it in
"Captured stderr teardown" when the test failed). A server that will not start
raises ``LiveServerError`` carrying its stderr.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
DEMO_PASSWORD = "demo-password-2022"
# Debian's Chromium (Playwright never downloads one here), with the flags a closed network needs.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Variables from the caller's environment that would change what the server does.
_SCRUBBED = ("TENDER_TODAY", "TENDER_TEST_DATABASE_URL", "TENDER_DEMO_PASSWORD", "FLASK_APP", "FLASK_DEBUG",
             "GUNICORN_CMD_ARGS", "TENDER_BASE_URL")


class LiveServerError(RuntimeError):
    """The demo could not be loaded or the server did not start."""


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form, as a person would, and wait until the page says who is logged in."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(re.compile(r"^Logged in as "))).to_be_visible()


def stop_process(process: subprocess.Popen | None) -> None:
    """Terminate a server the tests started (gracefully, then by force) and wait for it."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving ``tender:create_app()`` on ``database_url``; see the module docstring."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2, startup_timeout: float = 30.0,
                 background_worker: bool = False, port: int | None = None, extra_env: dict[str, str] | None = None):
        self.background_worker = background_worker
        self.extra_env = dict(extra_env or {})  # e.g. single sign-on settings (tests/web/test_sso_browser.py)
        self.worker_process: subprocess.Popen | None = None
        self.database_url = database_url
        self.workdir = Path(workdir)
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.instance_path = self.workdir / "instance"
        self.stderr_path = self.workdir / "gunicorn.stderr.log"
        self.port: int | None = port  # given when something must know the address before the start
        self.process: subprocess.Popen | None = None
        self._stderr_file = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        if self.port is None:
            raise LiveServerError("the server has not been started")
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment for ``tender demo`` and gunicorn."""
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update({
            "DATABASE_URL": self.database_url,
            "TENDER_ENV": "testing",  # session cookies without Secure, so they work over http
            "TENDER_SECRET_KEY": secrets.token_hex(32),
            "TENDER_ARGON2_MEMORY_KIB": "19456",
            "TENDER_ARGON2_TIME_COST": "2",
            "TENDER_ARGON2_PARALLELISM": "1",
            "TENDER_INSTANCE_PATH": str(self.instance_path),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def load_demo(self, env: dict[str, str]) -> str:
        """Run ``tender demo --as-in-2022`` (the browser tests walk the 2022 timetable) against the database."""
        result = subprocess.run([str(BIN_DIR / "tender"), "demo", "--as-in-2022", "--password", DEMO_PASSWORD],
                                cwd=REPO_ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or "Loaded the demo procurement" not in result.stdout:
            raise LiveServerError(f"`tender demo` failed (exit {result.returncode}).\n"
                                  f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result.stdout

    def start(self) -> "LiveServer":
        """Start gunicorn, load the demo while its workers boot, and wait until both are done.

        The app reads nothing from the database at start-up, so loading the demo
        alongside the boot is the same as loading it first, only quicker.
        """
        self.instance_path.mkdir(parents=True, exist_ok=True)
        env = self.env()
        self.port = self.port or free_port()
        self._stderr_file = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [str(BIN_DIR / "gunicorn"), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
             "--preload", "--graceful-timeout", "3", "--timeout", "60", "--no-control-socket",
             "tender:create_app()"],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._stderr_file,
            stderr=subprocess.STDOUT)
        try:
            self.load_demo(env)
            self._wait_until_healthy()
            if self.background_worker:  # `tender worker` beside gunicorn, as the README runs them
                self.worker_process = subprocess.Popen(
                    [str(BIN_DIR / "tender"), "worker", "--poll", "0.2"], cwd=REPO_ROOT, env=env,
                    stdin=subprocess.DEVNULL, stdout=self._stderr_file, stderr=subprocess.STDOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LiveServerError(f"gunicorn exited with code {self.process.returncode} before answering.\n"
                                      f"{self.stderr()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last_error = exc
            time.sleep(0.1)
        raise LiveServerError(f"gunicorn did not answer /healthz within {self.startup_timeout:.0f} s "
                              f"(last error: {last_error}).\n{self.stderr()}")

    def stderr(self) -> str:
        """Everything gunicorn (and the app's logger) wrote so far."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Terminate gunicorn and the worker (gracefully, then by force) and wait for them."""
        stop_process(self.worker_process)
        stop_process(self.process)
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
        # Shown by pytest only for a failing test ("Captured stderr teardown").
        print(f"----- gunicorn output ({self.url if self.port else 'not started'}) -----\n{self.stderr()}",
              file=sys.stderr)
