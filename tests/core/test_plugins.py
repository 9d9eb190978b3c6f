"""Plugin discovery, isolation, blocking and duplicate detection, through real metadata."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from fake_distributions import install_fake_distribution

import distill
from distill.cli.app import run_app
from distill.core import hookspecs, plugins
from distill.core.errors import DuplicateComponentError, UnknownComponentError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "plugin-example"

GOOD = """
from distill import hookimpl
from distill_tiny.model import TinyNet

@hookimpl
def distill_register_students(register):
    register("tiny-copy", TinyNet)
"""


def test_example_plugin_found_through_entry_point_metadata(site, monkeypatch):
    install_example(site, monkeypatch)
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


EXITS = {
    "exit_on_import": "import sys\nsys.exit(3)\n",
    "exit_in_hook": """
    import sys
    from distill import hookimpl
    @hookimpl
    def distill_register_students(register):
        sys.exit()
    """,
}


def test_a_plugin_calling_sys_exit_is_reported_and_skipped(site, capsys):
    """SystemExit is a BaseException: before, it escaped the isolation and every command
    ended silently (exit code 3 here) before doing anything."""
    install_fake_distribution(
        site,
        "exit-pkg",
        {"exits-on-import": "exit_on_import", "exits-in-hook": "exit_in_hook"},
        EXITS,
    )
    assert run_app(["plugins"]) == 0
    captured = capsys.readouterr()
    assert "plugin 'exits-on-import' failed at import and was skipped: SystemExit: 3" in (
        captured.err
    )
    assert (
        "plugin 'exits-in-hook' failed at distill_register_students and was skipped: SystemExit"
        in captured.err
    )
    assert "mpdnet" in captured.out  # the command still did its work


def test_keyboard_interrupt_in_a_plugin_still_stops_the_command(site):
    install_fake_distribution(
        site, "ctrl-c-pkg", {"ctrl-c": "ctrl_c"}, {"ctrl_c": "raise KeyboardInterrupt\n"}
    )
    with pytest.raises(KeyboardInterrupt):
        plugins.load_plugins(warn=False)


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
    assert specs == {*plugins.HOOKS, "distill_register_commands"}  # commands: test below
    state = plugins.plugin_state()
    for hook, kind in plugins.HOOKS.items():
        assert state.registry.names(kind), f"no built-in implements {hook}"
        impls = getattr(state.manager.hook, hook).get_hookimpls()
        assert any(state.plugins[i.plugin_name] == "builtin" for i in impls)
    tested = " ".join(p.read_text() for p in Path(__file__).parent.parent.rglob("test_*.py"))
    for kind in plugins.HOOKS.values():
        assert f'"{kind}"' in tested, f"no test builds a {kind} through the registry"


def install_example(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    install_fake_distribution(site, "distill-tiny", {"tiny": "distill_tiny"}, {})


def test_a_plugin_command_is_listed_in_help_and_runs(site, monkeypatch, capsys):
    install_example(site, monkeypatch)
    assert run_app(["--help"]) == 0
    help_text = capsys.readouterr().out
    assert "tiny-shapes" in help_text and "Print TinyNet's parameters" in help_text
    assert run_app(["tiny-shapes", "--width", "8", "--size", "32", "--classes", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    from distill_tiny.model import TinyNet  # importable once the example is on the path

    model = TinyNet(TinyNet.Params(width=8, num_classes=3))
    assert lines == [
        f"parameters: {sum(p.numel() for p in model.parameters())}",
        "logits: (1, 3, 32, 32)",
        "stride 4: (1, 8, 8, 8)",
        "stride 8: (1, 16, 4, 4)",
    ]


BAD_COMMANDS = {
    "cmd_raises": """
    from distill import hookimpl
    @hookimpl
    def distill_register_commands(register):
        raise RuntimeError("no commands today")
    """,
    "cmd_takes_run": """
    from distill import hookimpl
    @hookimpl
    def distill_register_commands(register):
        register("run", lambda: None)
    """,
    "cmd_twin": """
    from distill import hookimpl
    @hookimpl
    def distill_register_commands(register):
        register("tiny-shapes", lambda: None)
    """,
    "cmd_not_callable": """
    from distill import hookimpl
    @hookimpl
    def distill_register_commands(register):
        register("just-a-number", 42)
    """,
}


def test_broken_plugin_commands_are_reported_and_the_rest_still_work(site, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    install_fake_distribution(
        site,
        "bad-commands",
        {"tiny": "distill_tiny", **{n.replace("_", "-"): n for n in BAD_COMMANDS}},
        BAD_COMMANDS,
    )
    assert run_app(["--help"]) == 0
    captured = capsys.readouterr()
    assert "tiny-shapes" in captured.out and "just-a-number" not in captured.out
    err = " ".join(captured.err.split())
    assert "plugin 'cmd-raises' failed at distill_register_commands" in err
    assert "RuntimeError: no commands today" in err
    assert "'run' is a built-in command; pick another name" in err
    assert (
        "command 'tiny-shapes' is registered twice: by 'tiny (bad-commands)' and by "
        "'cmd-twin (bad-commands)'" in err
    )
    assert "expected a typer.Typer, a function or a click command, got int" in err
    assert run_app(["tiny-shapes", "--size", "16"]) == 0  # the first registration stands


LIGHT = """
import sys
from distill.core.plugins import load_commands
state = load_commands()
print(sorted(state.commands), "torch" in sys.modules)
"""


def test_listing_plugin_commands_imports_neither_torch_nor_built_ins(tmp_path):
    """``distill --help`` asks plugins for their commands; that alone must stay light."""
    install_fake_distribution(tmp_path, "distill-tiny", {"tiny": "distill_tiny"}, {})
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{EXAMPLE}", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", LIGHT], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["['tiny-shapes']", "False"]


def modules_implementing_hooks() -> set[str]:
    """Module paths under distill/plugins whose source defines a hook implementation, read
    from the source (not imported), so a module the list forgets is still found."""
    specs = {n for n in dir(hookspecs) if n.startswith("distill_")}
    root = REPO / "distill" / "plugins"
    found = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        if any(isinstance(n, ast.FunctionDef) and n.name in specs for n in tree.body):
            parts = path.relative_to(REPO).with_suffix("").parts
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_builtin_plugin_list_matches_the_modules_that_implement_hooks():
    """Built-ins are listed, not discovered by importing every module; the list and the tree
    must agree both ways (a listed module without hooks is a stale entry)."""
    assert len(plugins.BUILTIN_PLUGINS) == len(set(plugins.BUILTIN_PLUGINS))
    assert set(plugins.BUILTIN_PLUGINS) == modules_implementing_hooks()


LOADED = """
import sys
from distill.core import plugins
plugins.load_plugins(include_entry_points=False, warn=False)
print(" ".join(m for m in sys.modules if m.startswith(("distill.plugins", "timm"))))
"""


def test_builtins_load_without_importing_helper_modules():
    """Only listed modules (and what they import) load: a helper such as datasets.preview,
    which no plugin imports, stays unimported (walking the packages imported it), and
    neither does timm, which every CLI call would pay for."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, env=env, check=True
    )
    loaded = set(out.stdout.split())
    assert set(plugins.BUILTIN_PLUGINS) <= loaded
    assert "distill.plugins.datasets.preview" not in loaded
    # timm takes seconds to import; only building a model that uses it may import it
    assert not {m for m in loaded if m.startswith("timm")}


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
