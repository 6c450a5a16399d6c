"""Placeholder: replaced when the classifier commands land."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("classifier", help="(not yet available)")
