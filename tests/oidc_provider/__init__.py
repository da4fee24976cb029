"""A real OpenID Connect provider on loopback for the single sign-on tests (``provider.mjs``, the npm oidc-provider).

``install()`` runs ``npm ci`` here when ``node_modules`` is missing or older
than the lockfile, so a fresh machine gets the provider from the project's own
files. ``OIDCProvider(redirect_uri, accounts)`` starts ``node provider.mjs`` on
a free local port with one confidential client (``client_id``,
``client_secret``) and the given accounts (login name -> claims), and waits
until its discovery document answers. Use it as a context manager.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.web.browser_support import free_port, stop_process

PROVIDER_DIR = Path(__file__).resolve().parent
_INSTALLED = PROVIDER_DIR / "node_modules" / ".package-lock.json"


class ProviderError(RuntimeError):
    """node or npm is missing, or the provider would not start."""


def install() -> None:
    """``npm ci`` the provider's pinned packages unless they are already installed from this lockfile."""
    lock = PROVIDER_DIR / "package-lock.json"
    if _INSTALLED.exists() and _INSTALLED.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ProviderError("npm is not installed: the single sign-on tests need Node.js and npm (see README.md)")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PROVIDER_DIR,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ProviderError(f"npm ci in {PROVIDER_DIR} failed:\n{result.stdout}\n{result.stderr}")


class OIDCProvider:
    """``node provider.mjs`` on a free loopback port; see the module docstring."""

    def __init__(self, redirect_uri: str, accounts: dict[str, dict], workdir: Path, *, client_id: str = "tender"):
        self.redirect_uri = redirect_uri
        self.accounts = accounts
        self.client_id = client_id
        self.client_secret = secrets.token_urlsafe(24)
        self.port = free_port()
        self.log_path = Path(workdir) / "oidc-provider.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def issuer(self) -> str:
        """The issuer URL, exactly as the provider names itself (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def app_settings(self) -> dict[str, str]:
        """The environment that points Tender at this provider."""
        return {"TENDER_OIDC_ISSUER": self.issuer, "TENDER_OIDC_CLIENT_ID": self.client_id,
                "TENDER_OIDC_CLIENT_SECRET": self.client_secret}

    def start(self) -> "OIDCProvider":
        """Start node and wait for the discovery document."""
        install()
        node = shutil.which("node")
        if node is None:
            raise ProviderError("node is not installed: the single sign-on tests need Node.js")
        env = {**os.environ, "OIDC_PORT": str(self.port), "OIDC_CLIENT_ID": self.client_id,
               "OIDC_CLIENT_SECRET": self.client_secret, "OIDC_REDIRECT_URI": self.redirect_uri,
               "OIDC_ACCOUNTS": json.dumps(self.accounts), "NODE_ENV": "development"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProviderError(f"the provider exited with code {self.process.returncode}:\n{self.output()}")
            try:
                url = f"{self.issuer}/.well-known/openid-configuration"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise ProviderError(f"the provider did not answer within {timeout:.0f} s:\n{self.output()}")

    def output(self) -> str:
        """What the provider printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop node and wait for it."""
        stop_process(self.process)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "OIDCProvider":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
        print(f"----- oidc-provider output ({self.issuer}) -----\n{self.output()}", file=sys.stderr)
