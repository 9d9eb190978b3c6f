"""Plugin discovery, isolation, blocking and duplicate detection, through real metadata."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from fake_distributions import install_fake_distribution

import distill
from distill.core import hookspecs, plugins
from distill.core.errors import DuplicateComponentError, UnknownComponentError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "plugin-example"

GOOD = """
from distill import hookimpl
from distill_tiny import TinyNet

@hookimpl
def distill_register_students(register):
    register("tiny-copy", TinyNet)
"""


def test_example_plugin_found_through_entry_point_metadata(site, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    install_fake_distribution(site, "distill-tiny", {"tiny": "distill_tiny"}, {})
    state = plugins.load_plugins(warn=False)
    component = state.registry.get("student", "tiny")
    assert component.source == "tiny (distill-tiny)"
    assert state.plugins["tiny"] == "distill-tiny"
    model = distill.create("student", "tiny", num_classes=3, width=8)
    out = model(torch.randn(2, 3, 64, 64))
    assert out.logits.shape == (2, 3, 64, 64)
    assert [f.shape[1] for f in out.features] == [8, 16]


def test_broken_plugins_are_reported_and_skipped(site, capsys):
    install_fake_distribution(
        site,
        "broken-pkg",
        {"breaks-on-import": "bad_import", "breaks-in-hook": "bad_hook"},
        {
            "bad_import": "raise ImportError('missing dependency xyz')\n",
            "bad_hook": """
            from distill import hookimpl
            @hookimpl
            def distill_register_students(register):
                register("half-registered", object)  # no Params: rejected
            """,
        },
    )
    state = plugins.load_plugins()
    failed = {f.plugin: f for f in state.failures}
    assert "missing dependency xyz" in failed["breaks-on-import"].error
    assert failed["breaks-on-import"].stage == "import"
    assert failed["breaks-in-hook"].stage == "distill_register_students"
    assert "half-registered" not in state.registry.names("student")
    assert "mpdnet" in state.registry.names("student")  # everything else still works
    err = capsys.readouterr().err
    assert "plugin 'breaks-on-import' failed at import" in err


def test_disable_env_blocks_named_plugins(site, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    install_fake_distribution(site, "distill-tiny", {"tiny": "distill_tiny"}, {})
    monkeypatch.setenv(plugins.DISABLE_ENV, "tiny, distill.plugins.distillers.kd")
    state = plugins.load_plugins(warn=False)
    assert "tiny" not in state.registry.names("student")
    assert "kd" not in state.registry.names("distiller")
    assert set(state.blocked) == {"tiny", "distill.plugins.distillers.kd"}


def test_duplicate_names_are_an_error_naming_both_sources(site, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    install_fake_distribution(
        site,
        "twin-pkg",
        {"tiny": "distill_tiny", "twin": "twin_plugin"},
        {"twin_plugin": GOOD.replace('"tiny-copy"', '"tiny"')},
    )
    with pytest.raises(DuplicateComponentError) as info:
        plugins.load_plugins(warn=False)
    message = str(info.value)
    assert "student 'tiny'" in message and "tiny (twin-pkg)" in message
    assert "twin (twin-pkg)" in message


def test_unknown_name_lists_valid_ones_with_a_suggestion():
    with pytest.raises(UnknownComponentError) as info:
        distill.create("student", "mpdnett")
    assert "Did you mean 'mpdnet'?" in str(info.value)
    assert "unet" in str(info.value)


def test_every_hookspec_is_exercised_by_builtin_plugins():
    """Like datasette: a hook nobody implements or tests is dead API."""
    specs = {n for n in dir(hookspecs) if n.startswith("distill_register_")}
    assert specs == set(plugins.HOOKS)
    state = plugins.plugin_state()
    for hook, kind in plugins.HOOKS.items():
        assert state.registry.names(kind), f"no built-in implements {hook}"
        impls = getattr(state.manager.hook, hook).get_hookimpls()
        assert any(state.plugins[i.plugin_name] == "builtin" for i in impls)
    tested = " ".join(p.read_text() for p in Path(__file__).parent.parent.rglob("test_*.py"))
    for kind in plugins.HOOKS.values():
        assert f'"{kind}"' in tested, f"no test builds a {kind} through the registry"


def test_pip_installed_example_appears_in_cli(tmp_path):
    """The README's promise, end to end: pip install the example, see it listed."""
    target, source = tmp_path / "site", tmp_path / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "--target", str(target), str(source)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "distill", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "tiny" in out.stdout and "distill-tiny" in out.stdout
