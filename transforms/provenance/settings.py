"""Run config section `provenance` (GB/T 45654-2025 4.1.3): typed, checked where it is read."""

from __future__ import annotations

from pydantic import field_validator

from corpusgate.transforms.common.settings import ConfigPath, Settings


class ProvenanceSettings(Settings):
    """Run config section `provenance`."""

    enabled: bool = True
    licence_policy: ConfigPath | None = None  # default: the shipped configs/policies/licences.yaml
    authorization_scope: str | None = None  # the scope a user grant must include; None: any

    @field_validator("authorization_scope")
    @classmethod
    def _scope_named(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("expected a scope name such as 'training'")
        return value
