"""``linkindex serve`` in a child process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from children import child_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``linkindex serve`` in a child process."""

    def __init__(self, home: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = child_env(LINKINDEX_HOME=str(home))
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "linkindex",
                "serve",
                "--home",
                str(home),
                "--port",
                str(self.port),
                *args,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise RuntimeError(f"serve exited with {self.process.returncode}: {output}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("serve did not start listening within 20 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
