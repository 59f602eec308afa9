"""Run Label Studio from its own virtual environment, on the loopback interface only.

The server keeps its SQLite database and media in a data directory (default ``.ls-data``,
git-ignored). Its admin user and API token come from the environment, never from the command
line (where ``ps`` would show them); the token is never printed or written by this module.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from vietlao.errors import UserError
from vietlao.labelstudio.client import mask
from vietlao.paths import project

VENV_ENV = "VIETLAO_LS_VENV"
USERNAME_ENV = "VIETLAO_LS_USERNAME"
PASSWORD_ENV = "VIETLAO_LS_PASSWORD"
DEFAULT_PORT = 8080
DEFAULT_USERNAME = "admin@vietlao.local"  # Label Studio users are e-mail addresses
#: Where a data dir keeps the admin password generated on its first start (mode 0600).
PASSWORD_FILE = "admin-password"
#: Label Studio's database in a data dir: its presence means the admin user exists already.
DATABASE_FILE = "label_studio.sqlite3"
HOST = "127.0.0.1"
START_TIMEOUT = 300.0
LOG_NAME = "label-studio.log"


@dataclass
class ServerHandle:
    """A running Label Studio: its process group leader's pid, its URL and its log file."""

    pid: int
    url: str
    log: Path
    process: subprocess.Popen = field(repr=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server's whole process group (SIGTERM, then SIGKILL)."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # reap stragglers of the group if the leader went first
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def ls_binary(venv: Path | None = None) -> Path:
    """The ``label-studio`` executable of the tool environment."""
    venv = Path(venv or os.environ.get(VENV_ENV) or project().ls_venv)
    binary = venv / ("Scripts" if os.name == "nt" else "bin") / "label-studio"
    if not binary.exists():
        raise UserError(
            f"Label Studio is not installed in {venv}: run `python3 scripts/dev.py test` (which creates it), "
            f"or `python3 -m venv {venv} && {venv}/bin/pip install label-studio==1.23.2`, "
            f"or point {VENV_ENV} at an environment that has it"
        )
    return binary


def check_token(token: str) -> None:
    """Label Studio stores at most 40 characters and ignores tokens of 5 or fewer."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{6,40}", token or ""):
        raise UserError(
            "the API token must be 6 to 40 letters, digits, '-' or '_'; "
            "make one with `python3 -c 'import secrets; print(secrets.token_hex(20))'`"
        )


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on ``host:port`` (connections in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port the kernel considers free on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def admin_password(data_dir: Path) -> tuple[str, str]:
    """The admin password for a server on ``data_dir``, and where it comes from (never the password).

    ``VIETLAO_LS_PASSWORD`` if set; else the password the data dir stores (``admin-password``, readable
    by its owner only), generated at random on the first start. Label Studio sets it only when it
    creates the admin user: a data dir whose database predates that file keeps the password it was
    created with (the random one passed then is not used, and not stored).
    """
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV], f"${PASSWORD_ENV}"
    path = Path(data_dir) / PASSWORD_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip(), str(path)
    if (Path(data_dir) / DATABASE_FILE).exists():
        return secrets.token_urlsafe(24), f"the password {data_dir} was created with"
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(password + "\n")
    return password, str(path)


def ignore_in_git(data_dir: Path) -> None:
    """Make git ignore everything in ``data_dir`` (its database, media, password), wherever it is."""
    marker = Path(data_dir) / ".gitignore"
    if not marker.exists():
        marker.write_text("# a Label Studio data dir (vietlao ls serve): never committed\n*\n", encoding="utf-8")


#: The subnets Label Studio 1.23 refuses to fetch from by default (``core/utils/io.py``,
#: ``validate_ip``) except ``127.0.0.0/8``: ML backends, webhooks and imports may use the IPv4
#: loopback, and nothing else that Label Studio blocks.
BANNED_SUBNETS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "233.252.0.0/24", "240.0.0.0/4", "255.255.255.255/32", "::/128", "::1/128", "::ffff:0:0/96",
    "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:0000::/32", "2001:20::/28",
    "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
)


def server_env(token: str, data_dir: Path, password: str) -> dict[str, str]:
    """The server's environment: admin user, legacy token, data dir; no outbound calls."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "VIETLAO_LS_"))}
    env.update(
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_USER_TOKEN=token,
        LABEL_STUDIO_USERNAME=os.environ.get(USERNAME_ENV) or DEFAULT_USERNAME,
        LABEL_STUDIO_PASSWORD=password,
        LABEL_STUDIO_BASE_DATA_DIR=str(data_dir),
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",
        LABEL_STUDIO_COLLECT_ANALYTICS="false",
        LABEL_STUDIO_SENTRY_DSN="",
        LABEL_STUDIO_FRONTEND_SENTRY_DSN="",
        # Label Studio's SSRF block list without the IPv4 loopback, so that it may reach an ML backend
        # on this machine (`vietlao ls backend`, 127.0.0.1 only) and that backend's webhook
        LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS="false",
        LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS=",".join(BANNED_SUBNETS),
        PYTHONUNBUFFERED="1",
    )
    return env


def _log_tail(log: Path, token: str, lines: int = 15) -> str:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return mask("\n".join("  " + line for line in tail), token)


def _get(url: str, token: str | None = None, timeout: float = 3.0) -> int:
    """HTTP status of a GET (0 if nothing answered)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def wait_until_healthy(handle: ServerHandle, token: str, timeout: float = START_TIMEOUT) -> float:
    """Poll ``/health`` until the server is up; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not handle.alive():
            raise UserError(
                f"Label Studio exited with code {handle.process.returncode} while starting; "
                f"last lines of {handle.log}:\n{_log_tail(handle.log, token)}"
            )
        if _get(f"{handle.url}/health") == 200:
            return time.monotonic() - start
        time.sleep(0.5)
    handle.stop()
    raise UserError(f"Label Studio did not become healthy within {timeout:g} s; see {handle.log}")


def start_server(port: int, data_dir: Path, token: str, *, venv: Path | None = None,
                 timeout: float = START_TIMEOUT) -> ServerHandle:
    """Start Label Studio on ``127.0.0.1:port`` and wait until it serves the API with ``token``."""
    check_token(token)
    binary = ls_binary(venv)
    if not port_is_free(port):
        raise UserError(f"port {port} on {HOST} is in use; choose another with --port")
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore_in_git(data_dir)
    password, _ = admin_password(data_dir)
    log = data_dir / LOG_NAME
    command = [
        str(binary), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
        "--data-dir", str(data_dir), "--enable-legacy-api-token", "--log-level", "WARNING",
    ]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=server_env(token, data_dir, password), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=data_dir,
        )
    handle = ServerHandle(pid=process.pid, url=f"http://{HOST}:{port}", log=log, process=process)
    try:
        wait_until_healthy(handle, token, timeout)
        if f"Port {port} is in use" in log.read_text(encoding="utf-8", errors="replace"):
            raise UserError(f"Label Studio did not get port {port}; see {log}")
        status = _get(f"{handle.url}/api/projects/?page_size=1", token, timeout=30.0)
        if status in (401, 403):
            raise UserError(
                f"Label Studio in {data_dir} does not accept this token (HTTP {status}): the data dir was "
                "set up with another token; use that one, or a fresh --data-dir"
            )
        if status != 200:
            raise UserError(f"Label Studio answered HTTP {status} to a first API call; see {log}")
    except BaseException:
        handle.stop()
        raise
    return handle


class _Stop(Exception):
    """Raised by the signal handler of :func:`serve`."""


def _raise_stop(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def serve(port: int, data_dir: Path, token: str) -> int:
    """Start the server and keep it in the foreground until Ctrl-C (or SIGTERM, SIGHUP)."""
    started = time.monotonic()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    handle = None
    try:
        print(f"starting Label Studio on port {port} (a first start sets up its database: about a minute) …",
              flush=True)
        handle = start_server(port, data_dir, token)
        user = os.environ.get(USERNAME_ENV) or DEFAULT_USERNAME
        print(f"Label Studio is up at {handle.url} (pid {handle.pid}, started in {time.monotonic() - started:.0f} s)")
        print(f"  log in as {user}, password: {admin_password(data_dir)[1]}; data in {data_dir}")
        print(f"  server log: {handle.log}")
        print("  Ctrl-C stops it.", flush=True)
        code = handle.process.wait()
    except (_Stop, KeyboardInterrupt):
        if handle is not None:
            print("\nstopping Label Studio …", flush=True)
            handle.stop()
        return 0
    finally:
        for sig, action in previous.items():
            signal.signal(sig, action)
    if code in (-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP):  # its pid was sent a stop from outside
        print(f"Label Studio (pid {handle.pid}) was stopped by {signal.Signals(-code).name}", flush=True)
        return 0
    if code < 0:
        raise UserError(f"Label Studio (pid {handle.pid}) was killed by {signal.Signals(-code).name}; see {handle.log}")
    raise UserError(f"Label Studio stopped by itself (exit code {code}); see {handle.log}")
