"""environment.yml (conda) and pyproject.toml (pip) list the same packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["dev"]}
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_side = {_name(d) for d in conda if isinstance(d, str)} - {"python", "pip"}
    conda_side |= {_name(d) for entry in conda if isinstance(entry, dict) for d in entry.get("pip", []) if not d.startswith("-e")}
    assert conda_side == pip_side


def test_no_runtime_downloads_in_the_package():
    for path in (ROOT / "analysis").rglob("*.py"):
        text = path.read_text()
        assert "nltk.download" not in text, path
        assert "from_pretrained" not in text, path
