"""Network namespaces joined to this one by a veth pair, with a `tbf` bandwidth limit per direction."""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass, field


def run(*args: str, netns: str | None = None) -> None:
    """Run one iproute2/tc command (inside `netns` if given); raise with its stderr on failure."""
    command = ["ip", "netns", "exec", netns, *args] if netns else list(args)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def can_make_namespaces() -> bool:
    """Whether this process may create namespaces and veth pairs (root with iproute2)."""
    return os.geteuid() == 0 and subprocess.run(["ip", "-V"], capture_output=True).returncode == 0


@dataclass
class NetNamespace:
    """One namespace `name`, reached from here at `host_address`; it is `peer_address`.

    The namespace's default route goes through the veth, so every address this
    side owns (except loopback) is reachable from inside. Names are unique per
    test run; `remove` deletes the namespace and both veth ends.
    """

    name: str
    host_if: str
    host_address: str
    peer_address: str
    removed: bool = field(default=False)

    @classmethod
    def create(cls, index: int, run_id: str | None = None) -> NetNamespace:
        """Make namespace number `index` of this run (its /30 is 10.213.<random>.<4*index>)."""
        run_id = run_id or secrets.token_hex(3)
        subnet = int(run_id[:2], 16)
        base = 4 * index
        ns = cls(
            name=f"imr-{run_id}-{index}",
            host_if=f"vh{run_id}{index}",
            host_address=f"10.213.{subnet}.{base + 1}",
            peer_address=f"10.213.{subnet}.{base + 2}",
        )
        peer_if = f"vn{run_id}{index}"
        try:
            run("ip", "netns", "add", ns.name)
            run("ip", "link", "add", ns.host_if, "type", "veth", "peer", "name", peer_if)
            run("ip", "link", "set", peer_if, "netns", ns.name)
            run("ip", "addr", "add", f"{ns.host_address}/30", "dev", ns.host_if)
            run("ip", "link", "set", ns.host_if, "up")
            run("ip", "addr", "add", f"{ns.peer_address}/30", "dev", peer_if, netns=ns.name)
            run("ip", "link", "set", peer_if, "up", netns=ns.name)
            run("ip", "link", "set", "lo", "up", netns=ns.name)
            run("ip", "route", "add", "default", "via", ns.host_address, netns=ns.name)
        except Exception:
            ns.remove()
            raise
        ns.peer_if = peer_if
        return ns

    peer_if: str = ""

    def limit(self, *, down_kbps: int | None = None, up_kbps: int | None = None) -> None:
        """Cap the link with `tbf`: down = towards the namespace, up = out of it (None: no cap)."""
        for dev, netns, kbps in (
            (self.host_if, None, down_kbps),
            (self.peer_if, self.name, up_kbps),
        ):
            if kbps is None:
                done = subprocess.run(
                    [
                        *(["ip", "netns", "exec", netns] if netns else []),
                        "tc",
                        "qdisc",
                        "del",
                        "dev",
                        dev,
                        "root",
                    ],
                    capture_output=True,
                    check=False,
                )
                del done  # "no qdisc" is fine: the link is then uncapped already
                continue
            # Burst of a few full packets; a queue worth 200 ms, like a modest access link.
            burst = max(3000, kbps * 1000 // 8 // 50)
            run(
                "tc",
                "qdisc",
                "replace",
                "dev",
                dev,
                "root",
                "tbf",
                "rate",
                f"{kbps}kbit",
                "burst",
                str(burst),
                "latency",
                "200ms",
                netns=netns,
            )

    def remove(self) -> None:
        """Delete the namespace and the veth pair (idempotent, never raises)."""
        if self.removed:
            return
        self.removed = True
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, check=False)
