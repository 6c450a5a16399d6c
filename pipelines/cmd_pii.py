"""Placeholder: replaced when the pii commands land."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("pii", help="(not yet available)")
