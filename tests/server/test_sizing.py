"""The managed server's memory: heap and page cache from the machine's memory, overridable."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.server import ServerConfig
from toolkit.settings import machine_memory, memory_defaults, resolve

GIB = 2**30


def _mb(size: str) -> int:
    assert size.endswith("m"), size
    return int(size[:-1])


def test_quarter_of_memory_each_clamped():
    assert memory_defaults(24 * GIB) == ("6144m", "6144m")
    assert memory_defaults(16 * GIB) == ("4096m", "4096m")
    assert memory_defaults(2 * GIB) == ("1024m", "512m")  # heap floor 1g, page cache floor 512m
    assert memory_defaults(3 * GIB) == ("1024m", "768m")
    assert memory_defaults(256 * GIB) == ("8192m", "8192m")  # both capped at 8g
    assert memory_defaults(None) == ("1024m", "512m")  # unknown memory: the minimums


def test_defaults_follow_this_machine():
    total = machine_memory()
    assert total is not None and total > 0
    heap, pagecache = memory_defaults()
    assert (heap, pagecache) == memory_defaults(total)
    assert 1024 <= _mb(heap) <= 8192 and 512 <= _mb(pagecache) <= 8192
    assert _mb(heap) + _mb(pagecache) <= max(total // 2**20 // 2, 1536)  # at most half the memory (or the floors)
    settings = resolve(env={})
    assert (settings.heap, settings.pagecache) == (heap, pagecache)
    config = ServerConfig(home=Path("/tmp/kgtool-sizing-test"))
    assert (config.heap, config.pagecache) == (heap, pagecache)


def test_environment_and_config_file_override(tmp_path):
    settings = resolve(env={"KGTOOL_HEAP": "2g", "KGTOOL_PAGECACHE": "300m"})
    assert (settings.heap, settings.pagecache) == ("2g", "300m")
    config = tmp_path / "kgtool.json"
    config.write_text(json.dumps({"heap": "3g"}))
    settings = resolve(env={"KGTOOL_CONFIG": str(config)})
    assert settings.heap == "3g" and settings.pagecache == memory_defaults()[1]
    settings = resolve(flags={"heap": "512m"}, env={"KGTOOL_CONFIG": str(config), "KGTOOL_HEAP": "4g"})
    assert settings.heap == "512m"  # flags > environment > config file
