"""Run configuration: one YAML file naming the registry, store, output and a runner profile.

```yaml
registry: ../demo/registry        # relative paths are relative to this file
store: sqlite:///../out/corpusgate.sqlite
output: ../out/demo
profile: local                    # a shipped profile (local | dataflow | flink) or a path to one
sources: all                      # or a list of source ids
shards: {max_rows: 100000, row_group_rows: 5000}
```
A profile holds the runner and its Beam options; the command line overrides both.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PROFILES = ("local", "dataflow", "flink")


class ConfigError(ValueError):
    """A run configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class RunConfig:
    path: Path
    registry: Path
    store_url: str
    output: str
    profile: str
    runner: str
    beam_options: dict[str, Any]
    sources: tuple[str, ...] | None
    max_rows_per_shard: int = 100_000
    row_group_rows: int = 5_000
    reshuffle_after_read: bool = False
    settings: dict[str, Any] = field(default_factory=dict)  # check-specific sections, verbatim

    def sha256(self) -> str:
        """Hash of what decides the output (not where it goes, nor which machine runs it)."""
        decisive = {
            "registry": str(self.registry),
            "sources": list(self.sources) if self.sources else "all",
            "max_rows_per_shard": self.max_rows_per_shard,
            "settings": self.settings,
        }
        return hashlib.sha256(
            json.dumps(decisive, sort_keys=True, default=str).encode()
        ).hexdigest()


def _resolve(base: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path).resolve()


def resolve_store_url(url: str, base: Path) -> str:
    """SQLite paths in a config are relative to the config file, like every other path."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str(_resolve(base, url[len(prefix) :]))
    return url


def load_profile(name_or_path: str, base: Path) -> dict[str, Any]:
    if name_or_path in PROFILES:
        text = resources.files("corpusgate.configs").joinpath(f"{name_or_path}.yaml").read_text()
        where = f"shipped profile '{name_or_path}'"
    else:
        path = _resolve(base, name_or_path)
        if not path.is_file():
            raise ConfigError(
                f"profile '{name_or_path}' is neither one of {', '.join(PROFILES)} "
                f"nor a file (looked at {path})"
            )
        text, where = path.read_text(), str(path)
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or "runner" not in data:
        raise ConfigError(f"{where}: a profile is a mapping with at least 'runner'")
    return data


def load_config(
    path: Path | str, *, output: str | None = None, runner: str | None = None
) -> RunConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the run configuration: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with registry, store, output, profile")
    base = path.resolve().parent

    def need(key: str, expected: str) -> Any:
        if data.get(key) in (None, ""):
            raise ConfigError(f"{path}: key '{key}' is missing; expected {expected}")
        return data[key]

    registry = _resolve(base, str(need("registry", "the folder of source entries")))
    store = os.environ.get("CORPUSGATE_STORE_URL") or str(
        data.get("store") or "sqlite:///corpusgate.sqlite"
    )
    out = output or str(need("output", "the output folder (or give --output)"))
    if "://" not in out:
        out = str(_resolve(Path.cwd() if output else base, out))
    profile_name = str(data.get("profile") or "local")
    profile = load_profile(profile_name, base)
    options = dict(profile.get("beam_options") or {})
    options.update(data.get("beam_options") or {})

    sources = data.get("sources", "all")
    if sources in (None, "all"):
        selected = None
    elif isinstance(sources, list) and all(isinstance(s, str) for s in sources):
        selected = tuple(sources)
    else:
        raise ConfigError(f"{path}: key 'sources' must be 'all' or a list of source ids")

    shards = data.get("shards") or {}
    try:
        max_rows = int(shards.get("max_rows", 100_000))
        group_rows = int(shards.get("row_group_rows", 5_000))
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"{path}: shards.max_rows and shards.row_group_rows must be integers"
        ) from err
    if max_rows < 1 or group_rows < 1:
        raise ConfigError(f"{path}: shards.max_rows and shards.row_group_rows must be >= 1")

    known = {"registry", "store", "output", "profile", "beam_options", "sources", "shards"}
    return RunConfig(
        path=path.resolve(),
        registry=registry,
        store_url=resolve_store_url(store, base),
        output=out,
        profile=profile_name,
        runner=runner or str(profile["runner"]),
        beam_options=options,
        sources=selected,
        max_rows_per_shard=max_rows,
        row_group_rows=group_rows,
        reshuffle_after_read=bool(profile.get("reshuffle_after_read", False)),
        settings={k: v for k, v in data.items() if k not in known},
    )
