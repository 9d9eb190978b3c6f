"""What every suite writes: JSON, Markdown and a PNG, with the machine and command recorded."""

from __future__ import annotations

import json
from pathlib import Path


def read_outputs(out: Path, suite: str) -> tuple[dict, str]:
    data = json.loads((out / f"{suite}.json").read_text())
    markdown = (out / f"{suite}.md").read_text()
    assert (out / f"{suite}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return data, markdown


def assert_environment(env: dict, markdown: str, suite: str) -> None:
    assert env["cpu_cores"] >= 1 and env["cpu"]
    assert env["torch"] and env["timm"] and env["git_commit"] and env["date"]
    assert env["command"].startswith(f"python -m benchmarks.{suite}")
    assert env["command"] in markdown
