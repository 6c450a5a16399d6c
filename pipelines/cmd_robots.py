"""Placeholder: replaced when the robots commands land."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("robots", help="(not yet available)")
