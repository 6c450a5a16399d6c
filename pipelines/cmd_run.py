"""Placeholder: replaced as the spine lands."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("run", help="(not yet available)")
