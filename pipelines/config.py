"""Run configuration: one YAML file, checked whole where it is read.

```yaml
registry: ../demo/registry        # relative paths are relative to this file
store: sqlite:///../out/corpusgate.sqlite
output: ../out/demo               # a folder, or gs://bucket/prefix, s3://bucket/prefix
profile: local                    # a shipped profile (local | dataflow | flink) or a path to one
sources: all                      # or a list of source ids
shards: {target_mb: 128, row_group_rows: 5000}   # or num_shards: 64
index: {buckets: 4096}
provenance: {licence_policy: ...}
harm: {sample_size: 4000}
pii: {consent_key_file: ...}
dedup: {threshold: 0.6, keeper_sources: [...]}
```

Every section is a typed settings model that refuses unknown keys (`transforms.common.settings`),
so a typo is an error naming the file, the line and the key ("did you mean"), and each stage is
handed its own frozen settings object. A profile holds the runner and its Beam options; the
command line overrides both.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from corpusgate.transforms.common.settings import (
    ConfigPath,
    Settings,
    SettingsError,
    parse_settings,
)
from corpusgate.transforms.common.yamlfile import Document, YamlError, load_yaml, parse_yaml
from corpusgate.transforms.dedup.settings import DedupSettings
from corpusgate.transforms.harm.settings import HarmSettings
from corpusgate.transforms.language.stage import LanguageStageSettings
from corpusgate.transforms.output.layout import IndexSettings, ShardSettings
from corpusgate.transforms.pii.settings import PiiSettings
from corpusgate.transforms.provenance.settings import ProvenanceSettings

PROFILES = ("local", "dataflow", "flink")
BeamValue = str | int | float | bool | list[str | int | float]


class ConfigError(ValueError):
    """A run configuration problem; the message names the file, the line and the key."""


class Profile(Settings):
    """A runner profile (configs/local.yaml, dataflow.yaml, flink.yaml, or your own file)."""

    runner: str
    beam_options: dict[str, BeamValue] = Field(default_factory=dict)
    reshuffle_after_read: bool = False
    # JSON Lines files larger than this (MiB, stored, not gzipped) are read in ranges of about
    # this size by several workers; 0 reads every file whole, by one worker.
    split_jsonl_mb: float = Field(default=0, ge=0)


class RunConfigFile(Settings):
    """What a run configuration file may say."""

    registry: ConfigPath
    store: str = "sqlite:///corpusgate.sqlite"
    output: str
    profile: str = "local"
    beam_options: dict[str, BeamValue] = Field(default_factory=dict)
    sources: Literal["all"] | list[str] = "all"
    shards: ShardSettings = Field(default_factory=ShardSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    language: LanguageStageSettings = Field(default_factory=LanguageStageSettings)
    provenance: ProvenanceSettings = Field(default_factory=ProvenanceSettings)
    harm: HarmSettings = Field(default_factory=HarmSettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)

    @field_validator("sources")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("an empty list selects nothing; write 'all' or list source ids")
        return value


@dataclass(frozen=True)
class RunConfig:
    """A checked run configuration with its profile and the command line applied."""

    path: Path
    file: RunConfigFile
    output: str
    store_url: str
    runner: str
    beam_options: dict[str, BeamValue]
    reshuffle_after_read: bool = False
    split_bytes: int = 0  # the profile's split_jsonl_mb in bytes (0: files are read whole)

    @property
    def registry(self) -> Path:
        return self.file.registry

    @property
    def sources(self) -> tuple[str, ...] | None:
        return None if self.file.sources == "all" else tuple(self.file.sources)

    @property
    def shards(self) -> ShardSettings:
        return self.file.shards

    @property
    def index(self) -> IndexSettings:
        return self.file.index

    @property
    def language(self) -> LanguageStageSettings:
        return self.file.language

    @property
    def provenance(self) -> ProvenanceSettings:
        return self.file.provenance

    @property
    def harm(self) -> HarmSettings:
        return self.file.harm

    @property
    def pii(self) -> PiiSettings:
        return self.file.pii

    @property
    def dedup(self) -> DedupSettings:
        return self.file.dedup

    def dedup_against(self) -> list[str]:
        """`dedup.against` with local paths resolved against the config file's folder."""
        base = self.path.parent
        return [
            item if "://" in item else str((base / Path(item).expanduser()).resolve())
            for item in self.file.dedup.against
        ]

    def sha256(self) -> str:
        """Hash of what decides the output (not where it goes, nor which machine runs it)."""
        decisive = self.file.model_dump(
            mode="json", exclude={"store", "output", "profile", "beam_options"}
        )
        return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()


def resolve_store_url(url: str, base: Path) -> str:
    """SQLite paths in a config are relative to the config file, like every other path."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def load_profile(name_or_path: str, base: Path) -> Profile:
    if name_or_path in PROFILES:
        text = resources.files("corpusgate.configs").joinpath(f"{name_or_path}.yaml").read_text()
        doc = parse_yaml(text, f"shipped profile '{name_or_path}'")
    else:
        path = (base / Path(name_or_path).expanduser()).resolve()
        if not path.is_file():
            raise ConfigError(
                f"profile '{name_or_path}' is neither one of {', '.join(PROFILES)} "
                f"nor a file (looked at {path})"
            )
        doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.where}: a profile is a mapping with at least 'runner'")
    try:
        return parse_settings(Profile, doc.data, doc=doc)
    except SettingsError as err:
        raise ConfigError(str(err)) from None


def load_config(
    path: Path | str, *, output: str | None = None, runner: str | None = None
) -> RunConfig:
    path = Path(path)
    try:
        doc: Document = load_yaml(path)
    except YamlError as err:
        raise ConfigError(f"{err} (the run configuration)") from None
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with registry, store, output, profile")
    base = path.resolve().parent
    data = dict(data)
    if output:
        data["output"] = output
    elif data.get("output") in (None, ""):
        raise ConfigError(
            f"{path}: key 'output' is missing; expected the output folder (or give --output)"
        )
    try:
        checked = parse_settings(RunConfigFile, data, doc=doc, base=base)
    except SettingsError as err:
        raise ConfigError(str(err)) from None
    out = checked.output
    if "://" not in out:
        out = str(((Path.cwd() if output else base) / Path(out).expanduser()).resolve())
    store = os.environ.get("CORPUSGATE_STORE_URL") or checked.store
    profile = load_profile(checked.profile, base)
    return RunConfig(
        path=path.resolve(),
        file=checked,
        output=out,
        store_url=resolve_store_url(store, base),
        runner=runner or profile.runner,
        beam_options={**profile.beam_options, **checked.beam_options},
        reshuffle_after_read=profile.reshuffle_after_read,
        split_bytes=int(profile.split_jsonl_mb * (1 << 20)),
    )
