"""Run config section `harm` (GB/T 45654-2025 4.1.1, 4.2.1): the policy and the run's overrides
of its gate, typed and checked where they are read."""

from __future__ import annotations

from pydantic import Field

from corpusgate.transforms.common.settings import ConfigPath, Settings
from corpusgate.transforms.harm.detect import HarmPolicy


class HarmSettings(Settings):
    """Run config section `harm`: the policy and the run's overrides of its gate."""

    enabled: bool = True
    policy: ConfigPath | None = None  # default: the shipped configs/policies/harm.yaml
    sample_size: int | None = Field(default=None, ge=1)  # items per source sample
    seed: str | None = Field(default=None, min_length=1, max_length=64)  # the sample's key
    gate_threshold: float | None = Field(default=None, gt=0, lt=1)  # default 0.05

    def load_policy(self) -> HarmPolicy:
        """The policy file with this run's overrides; ValueError names a bad policy key."""
        overrides = {
            k: v
            for k, v in (
                ("sample_size", self.sample_size),
                ("seed", self.seed),
                ("gate_threshold", self.gate_threshold),
            )
            if v is not None
        }
        return HarmPolicy.load(self.policy).with_settings(overrides, "harm")
