"""HCCL rank tables (version 1.0): validate one and find the ranks this host runs (stdlib only).

``python -m lstm_ms.core.rank_table TABLE`` prints ``RANK_SIZE=<n>``, then ``SERVER_ID=<this host's
server_id>``, then one ``<rank_id> <device_id>`` line per local rank (sorted by rank_id); on a bad table
or an unknown host it prints ``error: <path>: <problem>`` to stderr and exits 2.
"""
import ipaddress
import json
import os
import re
import socket
import sys
from collections import namedtuple

from .errors import UserError

Server = namedtuple("Server", "server_id ranks")  # ranks: [(rank_id, device_id)] sorted by rank_id
LocalRanks = namedtuple("LocalRanks", "server_id ranks size")


def _id(value, path, where, key):
    """``value`` of ``key`` as a non-negative int (HCCL writes them as strings), else UserError."""
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise UserError(path, f"{where}: {key} {value!r} is not a non-negative integer")
    return int(value)


def read(path):
    """The validated servers of the rank table at ``path``: a list of Server; UserError on any problem
    (rank_ids must be exactly 0..N-1, device_ids unique per server)."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise UserError(path, "rank table file not found") from None
    except json.JSONDecodeError as e:
        raise UserError(path, f"not valid JSON ({e.msg})", line=e.lineno) from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(path, f"cannot read the rank table ({e})") from None
    servers_raw = raw.get("server_list") if isinstance(raw, dict) else None
    if not isinstance(servers_raw, list) or not servers_raw:
        raise UserError(path, "no server_list (expected an HCCL rank table: server_list[].device[])")
    servers, seen_ranks, seen_servers = [], set(), set()
    for i, s in enumerate(servers_raw):
        where = f"server_list[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("device"), list) or not s["device"]:
            raise UserError(path, f"{where}: no device list")
        if "server_id" not in s:
            raise UserError(path, f"{where}: no server_id")
        sid = str(s["server_id"]).strip()
        if sid in seen_servers:
            raise UserError(path, f"server_id {sid} appears twice")
        seen_servers.add(sid)
        ranks, seen_devices = [], set()
        for j, d in enumerate(s["device"]):
            dwhere = f"{where}.device[{j}]"
            for key in ("device_id", "rank_id"):
                if not isinstance(d, dict) or key not in d:
                    raise UserError(path, f"{dwhere}: no {key}")
            device, rank = _id(d["device_id"], path, dwhere, "device_id"), _id(d["rank_id"], path, dwhere, "rank_id")
            if device in seen_devices:
                raise UserError(path, f"device_id {device} appears twice on server {sid}")
            if rank in seen_ranks:
                raise UserError(path, f"rank_id {rank} appears twice")
            seen_devices.add(device)
            seen_ranks.add(rank)
            ranks.append((rank, device))
        servers.append(Server(sid, sorted(ranks)))
    if seen_ranks != set(range(len(seen_ranks))):
        raise UserError(path, f"rank_ids must be exactly 0..{len(seen_ranks) - 1}, got {sorted(seen_ranks)}")
    return servers


def this_host_addresses():
    """Lower-cased names and IPv4/IPv6 addresses of this host, loopback included (best effort, no DNS
    failure is fatal)."""
    names = {"localhost", "127.0.0.1", "::1"}
    host = socket.gethostname()
    names |= {host, socket.getfqdn()}
    try:
        name, aliases, addrs = socket.gethostbyname_ex(host)
        names |= {name, *aliases, *addrs}
    except OSError:
        pass
    try:
        names |= {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        pass
    names |= _interface_addresses()
    return {n.lower() for n in names if n}


def _interface_addresses():
    """Addresses of the network interfaces (like ``hostname -I``): IPv4 per interface and IPv6 from
    /proc/net/if_inet6 where the OS allows it (Linux), plus the source address of the default route."""
    addrs = set()
    try:
        with open("/proc/net/if_inet6") as f:
            addrs |= {str(ipaddress.IPv6Address(int(line.split()[0], 16))) for line in f if line.strip()}
    except (OSError, ValueError, IndexError):
        pass
    try:
        import fcntl
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, name in socket.if_nameindex():
                try:
                    req = struct.pack("256s", name.encode()[:15])
                    addrs.add(socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, req)[20:24]))  # SIOCGIFADDR
                except OSError:
                    pass  # interface without an IPv4 address
    except (ImportError, OSError, AttributeError):
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.254.254.254", 1))  # UDP connect sends nothing; it only picks a route
            addrs.add(s.getsockname()[0])
    except OSError:
        pass
    return addrs


def local_ranks(servers, path, server_id=None, host_addresses=None):
    """This host's LocalRanks(server_id, [(rank_id, device_id)], size of the whole table).

    This host is the server named by ``server_id`` (default: env SERVER_ID), else the only server of a
    single-server table, else the one server whose server_id is one of ``host_addresses`` (default: this
    host's names and addresses); UserError when that is not exactly one server.
    """
    size = sum(len(s.ranks) for s in servers)
    ids = ", ".join(s.server_id for s in servers)
    if server_id is None:
        server_id = os.environ.get("SERVER_ID") or None
    if server_id is not None:
        chosen = [s for s in servers if s.server_id == str(server_id).strip()]
        if not chosen:
            raise UserError(path, f"SERVER_ID {server_id} is not a server_id of the table ({ids})")
    elif len(servers) == 1:
        chosen = servers
    else:
        mine = {str(a).lower() for a in (this_host_addresses() if host_addresses is None else host_addresses)}
        chosen = [s for s in servers if s.server_id.lower() in mine]
        if len(chosen) != 1:
            found = (f"servers {', '.join(s.server_id for s in chosen)} all match" if chosen
                     else f"none of the server_ids ({ids}) matches")
            raise UserError(path, f"{found} this host's addresses; set SERVER_ID to this host's server_id")
    return LocalRanks(chosen[0].server_id, chosen[0].ranks, size)


def main(argv=None):
    """The CLI: see the module docstring; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python -m lstm_ms.core.rank_table RANK_TABLE_FILE", file=sys.stderr)
        return 2
    try:
        local = local_ranks(read(argv[0]), argv[0])
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"RANK_SIZE={local.size}\nSERVER_ID={local.server_id}")
    for rank, device in local.ranks:
        print(rank, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
