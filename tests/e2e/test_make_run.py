"""A newcomer's ten minutes (issue 17): `HOST=0.0.0.0 make run` on a fresh copy of the
checkout listens on every interface and prints links that carry this machine's own
address; the README's way of running `flask` commands works in that copy. Traffic goes to
loopback only."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from satisfaction.config import lan_address

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> set[str]:
    """The addresses bound for listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.fixture
def fresh_copy(tmp_path):
    """The tracked files of the checkout, with its virtualenv and compiled translations."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    copy = tmp_path / "checkout"
    for name in filter(None, files):
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            target.write_bytes((ROOT / name).read_bytes())
    for mo in ROOT.glob("translations/*/LC_MESSAGES/messages.mo"):
        (copy / mo.relative_to(ROOT)).write_bytes(mo.read_bytes())
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


@pytest.mark.skipif(lan_address() is None, reason="this machine has no network address")
def test_host_0000_serves_the_network_with_its_own_address(fresh_copy):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("BASE_URL", "DATABASE_URL", "SECRET_KEY", "APP_ENV")}
    proc = subprocess.Popen(
        ["make", "run", "HOST=0.0.0.0", f"PORT={port}", "DEMO_RESPONSES=200", "WORKERS=1"],
        cwd=fresh_copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    output = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            output.append(line)
            if line.startswith("Serving on"):
                break
        text = "".join(output)
        assert "Serving on" in text, text[-3000:]
        for _ in range(100):
            if listening(port):
                break
            time.sleep(0.1)
        assert listening(port) == {"0.0.0.0"}, listening(port)
        survey = re.search(r"Survey:\s+(\S+)", text).group(1)
        assert survey.startswith(f"http://{lan_address()}:{port}/s/"), survey
        assert (fresh_copy / "instance" / "base_url").read_text().strip() == \
            f"http://{lan_address()}:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert r.status == 200
        # The README's way to run a flask command, in the same copy: same address, same key.
        listed = subprocess.run(["make", "--no-print-directory", "flask", "ARGS=qr export --help"],
                                cwd=fresh_copy, env=env, capture_output=True, text=True,
                                timeout=120)
        assert listed.returncode == 0, listed.stderr
        users = subprocess.run(["make", "--no-print-directory", "flask", "ARGS=users list"],
                               cwd=fresh_copy, env=env, capture_output=True, text=True,
                               timeout=120)
        assert users.returncode == 0 and "admin@" in users.stdout, users.stderr
        assert "must change password" in users.stdout
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
