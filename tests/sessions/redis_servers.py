"""Redis servers of the session tests, on top of tests/servers.py."""

from __future__ import annotations

import os
import signal
import typing as t

from tests import servers
from tests.servers import RedisServer, ServerT


class PersistentRedis(RedisServer):
    """A redis-server that writes every change to its append-only file.

    Killed and started again, it comes back with what it held, as a
    production Redis configured for revocation must (see docs/sessions.rst).
    """

    def _argv(self) -> list[str]:
        argv = super()._argv()
        at = argv.index("--appendonly")
        argv[at + 1] = "yes"
        return [*argv, "--appendfsync", "always"]


class SentinelServer(RedisServer):
    """A Redis Sentinel watching the master at ``master_port``."""

    name = "sentinel"
    master_port = 0

    def _argv(self) -> list[str]:
        config = self.base_dir / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.base_dir}\n"
            f"sentinel monitor main 127.0.0.1 {self.master_port} 1\n"
        )
        return [str(self.binary), str(config), "--sentinel"]


class ClusterNode(RedisServer):
    """A one-node Redis Cluster holding all 16384 slots once assigned."""

    name = "cluster"

    def _argv(self) -> list[str]:
        return [
            *super()._argv(),
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            str(self.base_dir / "nodes.conf"),
            # The bus port defaults to port + 10000, too high for many free ports.
            "--cluster-port",
            str(servers.free_port()),
        ]


def start_server(kind: type[ServerT], **attrs: t.Any) -> ServerT:
    """Start a server of ``kind`` on a free port; skip or fail without the binary."""
    try:
        binary = servers.find_redis()
    except servers.BinaryMissing as exc:
        servers._skip_or_fail(str(exc))

    def make(port: int) -> ServerT:
        server = kind(binary, servers.make_base_dir("jwt-router-sessions-", None), port)

        for name, value in attrs.items():
            setattr(server, name, value)

        return server

    return servers._start_on_free_port(make)


def pause(server: RedisServer) -> None:
    """Freeze the server (SIGSTOP): connections stay open, nothing answers."""
    assert server.pid is not None
    os.kill(server.pid, signal.SIGSTOP)


def resume(server: RedisServer) -> None:
    if server.pid is not None:
        os.kill(server.pid, signal.SIGCONT)
