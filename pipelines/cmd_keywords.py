"""Placeholder: replaced when the keywords commands land."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("keywords", help="(not yet available)")
