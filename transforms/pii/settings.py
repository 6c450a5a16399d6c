"""Run config section `pii` (GB/T 45654-2025 4.2.3): typed, checked where it is read."""

from __future__ import annotations

from pydantic import Field

from corpusgate.transforms.common.settings import ConfigPath, Settings
from corpusgate.transforms.pii.consent_lookup import with_class_actions
from corpusgate.transforms.pii.policy import PiiPolicy


class PiiSettings(Settings):
    """Run config section `pii`."""

    enabled: bool = True
    consent_key_file: ConfigPath | None = None
    consent_files: list[ConfigPath] = Field(default_factory=list)
    policy: ConfigPath | None = None  # default: the shipped configs/policies/pii.yaml
    class_actions: dict[str, str] | None = None  # e.g. {sensitive: drop}

    def load_policy(self) -> PiiPolicy:
        """The policy with this run's class actions; ValueError names a bad class or action."""
        return with_class_actions(PiiPolicy.load(self.policy), self.class_actions)
