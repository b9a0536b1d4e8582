import json

import pytest

from lstm_ms.core import rank_table
from lstm_ms.core.errors import UserError
from tests.conftest import run_cli


def server(server_id, *pairs):
    """A rank table server entry; pairs are (rank_id, device_id), written as strings like HCCL does."""
    return {"server_id": server_id, "host_nic_ip": "reserve",
            "device": [{"device_id": str(d), "device_ip": f"192.1.1.{d}", "rank_id": str(r)} for r, d in pairs]}


def write(tmp_path, *servers, name="rank_table.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"version": "1.0", "server_count": str(len(servers)), "server_list": list(servers),
                                "status": "completed"}))
    return path


TWO_SERVERS = (server("10.0.0.1", *[(r, r) for r in range(4)]), server("10.0.0.2", *[(4 + r, r) for r in range(4)]))


@pytest.fixture(autouse=True)
def no_server_id(monkeypatch):
    monkeypatch.delenv("SERVER_ID", raising=False)


def test_devices_4_to_7_keep_their_device_ids_and_rank_ids(tmp_path):
    path = write(tmp_path, server("10.9.9.9", *[(r, 4 + r) for r in (3, 1, 0, 2)]))
    local = rank_table.local_ranks(rank_table.read(path), path, host_addresses=set())
    assert local.ranks == [(0, 4), (1, 5), (2, 6), (3, 7)]
    assert local.size == 4 and local.server_id == "10.9.9.9"


def test_two_servers_by_server_id_env(tmp_path, monkeypatch):
    path = write(tmp_path, *TWO_SERVERS)
    monkeypatch.setenv("SERVER_ID", "10.0.0.2")
    local = rank_table.local_ranks(rank_table.read(path), path)
    assert local == ("10.0.0.2", [(4, 0), (5, 1), (6, 2), (7, 3)], 8)
    assert rank_table.local_ranks(rank_table.read(path), path, server_id="10.0.0.1").ranks == [(r, r) for r in range(4)]


def test_two_servers_by_host_address(tmp_path):
    path = write(tmp_path, *TWO_SERVERS)
    servers = rank_table.read(path)
    local = rank_table.local_ranks(servers, path, host_addresses={"myhost", "10.0.0.2", "127.0.0.1"})
    assert local == ("10.0.0.2", [(4, 0), (5, 1), (6, 2), (7, 3)], 8)
    with pytest.raises(UserError, match="none of the server_ids .10.0.0.1, 10.0.0.2. matches.*set SERVER_ID"):
        rank_table.local_ranks(servers, path, host_addresses={"10.0.0.3"})
    with pytest.raises(UserError, match="servers 10.0.0.1, 10.0.0.2 all match.*set SERVER_ID"):
        rank_table.local_ranks(servers, path, host_addresses={"10.0.0.1", "10.0.0.2"})
    with pytest.raises(UserError, match=r"SERVER_ID 10.0.0.7 is not a server_id of the table \(10.0.0.1, 10.0.0.2\)"):
        rank_table.local_ranks(servers, path, server_id="10.0.0.7")


def test_this_host_addresses_include_loopback_and_hostname():
    import socket

    addresses = rank_table.this_host_addresses()
    assert {"127.0.0.1", "localhost", socket.gethostname().lower()} <= addresses


def good_devices():
    return [{"device_id": "0", "rank_id": "0"}, {"device_id": "1", "rank_id": "1"}]


@pytest.mark.parametrize("table, problem", [
    ({"version": "1.0"}, "no server_list"),
    ({"server_list": []}, "no server_list"),
    ({"server_list": [{"server_id": "a"}]}, r"server_list\[0\]: no device list"),
    ({"server_list": [{"device": good_devices()}]}, r"server_list\[0\]: no server_id"),
    ({"server_list": [{"server_id": "a", "device": [{"rank_id": "0"}]}]}, r"device\[0\]: no device_id"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0"}]}]}, r"device\[0\]: no rank_id"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "x", "rank_id": "0"}]}]},
     "device_id 'x' is not a non-negative integer"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0", "rank_id": "-1"}]}]},
     "rank_id '-1' is not a non-negative integer"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0", "rank_id": "0"},
                                                    {"device_id": "1", "rank_id": "0"}]}]}, "rank_id 0 appears twice"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0", "rank_id": "0"}]},
                      {"server_id": "b", "device": [{"device_id": "0", "rank_id": "0"}]}]}, "rank_id 0 appears twice"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "3", "rank_id": "0"},
                                                    {"device_id": "3", "rank_id": "1"}]}]},
     "device_id 3 appears twice on server a"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0", "rank_id": "1"},
                                                    {"device_id": "1", "rank_id": "2"}]}]},
     r"rank_ids must be exactly 0..1, got \[1, 2\]"),
    ({"server_list": [{"server_id": "a", "device": good_devices()}, {"server_id": "a", "device": good_devices()}]},
     "server_id a appears twice"),
])
def test_bad_tables_name_the_problem(tmp_path, table, problem):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(table))
    with pytest.raises(UserError, match=problem) as e:
        rank_table.read(path)
    assert e.value.path == str(path)


def test_unreadable_tables(tmp_path):
    with pytest.raises(UserError, match="rank table file not found"):
        rank_table.read(tmp_path / "nope.json")
    path = tmp_path / "t.json"
    path.write_text('{"server_list": [\n')
    with pytest.raises(UserError, match="not valid JSON") as e:
        rank_table.read(path)
    assert e.value.line == 2


def test_cli_prints_size_server_and_local_ranks(tmp_path):
    path = write(tmp_path, server("10.9.9.9", (0, 4), (1, 5)))
    proc = run_cli("-m", "lstm_ms.core.rank_table", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["RANK_SIZE=2", "SERVER_ID=10.9.9.9", "0 4", "1 5"]


def test_cli_errors_exit_2(tmp_path):
    proc = run_cli("-m", "lstm_ms.core.rank_table", tmp_path / "nope.json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == f"error: {tmp_path / 'nope.json'}: rank table file not found"
    path = write(tmp_path, server("a.invalid", (0, 0)), server("b.invalid", (1, 0)))  # never this host
    proc = run_cli("-m", "lstm_ms.core.rank_table", path)
    assert proc.returncode == 2 and "set SERVER_ID" in proc.stderr and proc.stdout == ""
    assert run_cli("-m", "lstm_ms.core.rank_table").returncode == 2
