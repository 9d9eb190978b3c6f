"""The ```bash and ```python blocks of README.md and docs/**/*.md run, so that a snippet
that stops working fails CI.

The convention, for whoever writes a page:

- Every ```bash and ```python block runs, in the order of its page, all blocks of one page
  in one fresh working directory (so a later block may use the run folder an earlier one
  made). Other fences (```text, ```toml, ```yaml, ...) are never run.
- A block that only illustrates (it needs data, a GPU, a server, the network, or hours) is
  marked by an HTML comment on the line before its fence, invisible on GitHub and on the
  site, with the reason: ``<!-- snippet: skip (needs the official datasets) -->``.
- Snippets state their own small settings (``--size 64 64 --epochs 1``), so a reader sees
  what the test runs. The one thing the test adds is data: a ``distill run`` or ``distill
  sweep`` on the default synthetic data (no ``--dataset``, ``--config``, ``--preset`` or
  ``--resume``, or ``--dataset synthetic-*``) trains on 16 images (validation and test: 4),
  through a shell function that appends ``--set data.dataset.*_count=...``.
- A block that installs software or makes an environment (``pip install``, ``python -m
  venv``, ``apt-get``) must be marked skip: the test refuses to run it, so that a missing
  marker fails instead of installing packages on the test machine.
- The environment: an empty ``$DISTILL_CACHE`` shared by the pages one test worker runs (a
  teacher trained by one page is reused by the next there), offline, no progress bars.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
RUNNABLE = ("bash", "python")
SKIP = re.compile(r"<!--\s*snippet:\s*skip\b.*-->")
FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)")
INSTALLS = re.compile(r"\bpip3? install\b|-m venv\b|\bvirtualenv\b|\bapt(-get)? install\b")
TINY_DATA = " ".join(
    f"--set data.dataset.{split}_count={count}"
    for split, count in (("train", 16), ("val", 4), ("test", 4))
)
# Prepended to every bash block: the tiny data, and a failing command fails the block.
BASH_PRELUDE = f"""set -euo pipefail
distill() {{
  local synthetic=1 previous=""
  for arg in "$@"; do
    case "$previous:$arg" in
      --dataset:synthetic-*) ;;
      --dataset:*|*:--config|*:--preset|*:--resume|*:--dataset=*) synthetic=0 ;;
    esac
    previous=$arg
  done
  case "${{1:-}}:$synthetic" in
    run:1|sweep:1) command distill "$@" {TINY_DATA} ;;
    *) command distill "$@" ;;
  esac
}}
"""


@dataclass(frozen=True)
class Snippet:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skipped: bool

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line} ({self.language})"


def snippets(page: Path) -> list[Snippet]:
    """Every fenced block of ``page`` in a runnable language, in order."""
    lines = page.read_text().splitlines()
    found, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index].strip())
        if not opening:
            index += 1
            continue
        fence, language = opening.groups()
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].strip().startswith(fence)),
            len(lines),
        )
        if language in RUNNABLE:
            before = next((line for line in reversed(lines[:index]) if line.strip()), "")
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(Snippet(page, index + 1, language, code, bool(SKIP.search(before))))
        index = end + 1
    return found


def test_snippets_are_found_and_the_skip_marker_is_honoured(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n```bash\necho one\n```\n\n<!-- snippet: skip (needs a GPU) -->\n\n"
        "```bash\nnvidia-smi\n```\n\n```text\nnot code\n```\n\n````python\nprint(2)\n````\n"
    )
    found = snippets(page)
    assert [(s.line, s.language, s.skipped) for s in found] == [
        (3, "bash", False),
        (9, "bash", True),
        (17, "python", False),
    ]
    assert found[0].code == "echo one\n" and found[2].code == "print(2)\n"
    assert INSTALLS.search("python3 -m venv .venv && pip install -e .")
    assert not INSTALLS.search("distill run --set train.lr=1e-3")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("snippet-cache")


def runnable_pages() -> list[Path]:
    return [page for page in PAGES if any(not s.skipped for s in snippets(page))]


@pytest.mark.slow
@pytest.mark.parametrize("page", runnable_pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_snippets_of_a_page_run(page: Path, tmp_path: Path, cache: Path) -> None:
    env = {
        **os.environ,
        "DISTILL_CACHE": str(cache),
        "DISTILL_QUIET": "1",
        "HF_HUB_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    found = [snippet for snippet in snippets(page) if not snippet.skipped]
    installing = [str(snippet) for snippet in found if INSTALLS.search(snippet.code)]
    assert not installing, f"these blocks install software; mark them skip: {installing}"
    for snippet in found:
        if snippet.language == "bash":
            command = ["bash", "-c", BASH_PRELUDE + snippet.code]
        else:
            command = [sys.executable, "-c", snippet.code]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, (
            f"{snippet} failed with exit code {done.returncode}:\n{snippet.code}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
