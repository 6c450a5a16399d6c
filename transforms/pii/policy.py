"""The personal-information policy: entity type -> class, action per class, score thresholds
(GB/T 45654-2025 4.2.3; PIPL art. 28-29 for the `sensitive` class).

The detector only scores; this policy decides what counts and what happens to it. Pure Python.
"""

from __future__ import annotations

import difflib
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ACTIONS", "CLASSES", "DEFAULT_POLICY", "PERSONAL", "SENSITIVE", "PiiPolicy"]

PERSONAL = "personal"
SENSITIVE = "sensitive"
CLASSES = (PERSONAL, SENSITIVE)
ACTIONS = ("keep_with_consent", "redact", "drop")
DEFAULT_POLICY = "policies/pii.yaml"  # inside the corpusgate.configs package
_TOP_KEYS = ("version", "classes", "thresholds", "entities")
_ENTITY_KEYS = ("class", "action")


@dataclass(frozen=True)
class PiiPolicy:
    """Entity type -> class, action per class (overridable per entity), score thresholds."""

    version: str
    entity_class: Mapping[str, str]
    class_action: Mapping[str, str]
    entity_action: Mapping[str, str]
    thresholds: Mapping[str, float]
    default_threshold: float
    source: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> PiiPolicy:
        """Read a policy file (default: the packaged `configs/policies/pii.yaml`)."""
        if path is None:
            resource = importlib.resources.files("corpusgate.configs").joinpath(DEFAULT_POLICY)
            return cls.from_mapping(yaml.safe_load(resource.read_text("utf-8")), str(resource))
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text("utf-8"))
        except OSError as err:
            raise ValueError(f"{p}: cannot read PII policy: {err}") from err
        except yaml.YAMLError as err:
            raise ValueError(f"{p}: not valid YAML: {err}") from err
        return cls.from_mapping(data, str(p))

    @classmethod
    def from_mapping(cls, data: Any, source: str = "<policy>") -> PiiPolicy:
        def fail(msg: str) -> ValueError:
            return ValueError(f"{source}: {msg}")

        def one_of(value: Any, allowed: tuple[str, ...], key: str) -> str:
            if value not in allowed:
                raise fail(f"{key} {value!r} is not one of {list(allowed)}")
            return str(value)

        def known_keys(mapping: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
            # A typo ("clas:", "treshold:") must not quietly change what the policy does.
            for key in mapping:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise fail(f"unknown key {where}{key!r} (expected {list(allowed)}){hint}")

        if not isinstance(data, dict):
            raise fail("top level must be a mapping")
        known_keys(data, _TOP_KEYS, "")
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise fail("`version` must be a non-empty string")
        classes = data.get("classes")
        if not isinstance(classes, dict) or set(classes) != set(CLASSES):
            raise fail(f"`classes` must define exactly {list(CLASSES)}")
        class_action: dict[str, str] = {}
        for name, spec in classes.items():
            action = spec.get("action") if isinstance(spec, dict) else None
            class_action[name] = one_of(action, ACTIONS, f"classes.{name}.action")
        thresholds = data.get("thresholds") or {}
        if not isinstance(thresholds, dict):
            raise fail("`thresholds` must be a mapping")
        checked: dict[str, float] = {}
        for name, value in thresholds.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise fail(f"thresholds.{name} {value!r} must be a number in [0, 1]")
            checked[name] = float(value)
        default_threshold = checked.pop("default", 0.5)
        entities = data.get("entities")
        if not isinstance(entities, dict) or not entities:
            raise fail("`entities` must map entity types to {class: ...}")
        entity_class: dict[str, str] = {}
        entity_action: dict[str, str] = {}
        for name, spec in entities.items():
            if isinstance(spec, dict):
                known_keys(spec, _ENTITY_KEYS, f"in entities.{name}: ")
            klass = spec.get("class") if isinstance(spec, dict) else None
            entity_class[name] = one_of(klass, CLASSES, f"entities.{name}.class")
            if "action" in spec:
                entity_action[name] = one_of(spec["action"], ACTIONS, f"entities.{name}.action")
        unknown = set(checked) - set(entity_class)
        if unknown:
            raise fail(f"thresholds for unknown entity types: {sorted(unknown)}")
        return cls(
            version, entity_class, class_action, entity_action, checked, default_threshold, source
        )

    def pii_class(self, entity_type: str) -> str:
        return self.entity_class[entity_type]

    def action(self, entity_type: str) -> str:
        return self.entity_action.get(entity_type) or self.class_action[self.pii_class(entity_type)]

    def threshold(self, entity_type: str) -> float:
        return self.thresholds.get(entity_type, self.default_threshold)
