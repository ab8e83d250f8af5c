"""A throwaway coturn on loopback with the TURN REST shared secret, for relay tests."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_udp_and_tcp_port() -> int:
    """A loopback port free for both UDP and TCP (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for coturn")


class Coturn:
    """A turnserver process of this test, with its own config, database and log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.secret = secrets.token_urlsafe(24)
        self.port = free_udp_and_tcp_port()
        self.log_path = folder / "turnserver.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The UDP TURN URL (aiortc skips turn: URLs without a transport)."""
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def machine_lines(self) -> list[str]:
        """Where this coturn listens, its secret and its own files."""
        return [
            "listening-ip=127.0.0.1",
            "relay-ip=127.0.0.1",
            f"listening-port={self.port}",
            f"static-auth-secret={self.secret}",
            "realm=imr.test",
            "log-file=stdout",
            f"pidfile={self.folder}/turnserver.pid",
            f"userdb={self.folder}/turndb",
        ]

    def config_text(self) -> str:
        """The test config; loopback peers are allowed here only (production denies them)."""
        rest = ["use-auth-secret", "no-tls", "no-dtls", "no-cli", "allow-loopback-peers"]
        return "\n".join([*self.machine_lines(), *rest, "no-multicast-peers", "simple-log", ""])

    def start(self) -> None:
        binary = shutil.which("turnserver")
        assert binary is not None, "coturn is not installed (apt-get install coturn)"
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "turnserver.conf"
        conf.write_text(self.config_text())
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"turnserver exited:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"turnserver did not listen on {self.port}:\n{self.log()}")

    def log(self) -> str:
        """What coturn wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
