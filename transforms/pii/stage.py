"""Placeholder: this check's Beam stage has not landed yet (see transforms/checks.py)."""

from __future__ import annotations

from corpusgate.transforms.checks import CheckContext


def make_check(ctx: CheckContext) -> None:
    return None
