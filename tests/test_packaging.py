"""The wheel must carry every sub-package: Beam workers import from the installed package."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP_LEVEL = {"pipelines", "transforms", "schemas", "source_registry", "configs"}


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        "corpusgate." + ".".join(init.parent.relative_to(REPO).parts)
        for top in TOP_LEVEL
        for init in (REPO / top).rglob("__init__.py")
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert {f"corpusgate.{top}": top for top in TOP_LEVEL}.items() <= config["package-dir"].items()


def test_no_generic_top_level_module_is_installed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert all(name.startswith("corpusgate.") for name in config["packages"])
