"""RunConfig: YAML, flags and --set overrides, validated against component schemas."""

from __future__ import annotations

import pytest

from distill.cli.options import config_from_options
from distill.core.config import build_config, resolve
from distill.core.errors import ConfigError
from distill.core.plugins import registry


def test_set_overrides_nested_and_component_fields():
    cfg = build_config(
        {},
        [
            "train.loss.dice=0.5",
            "data.augment.rotate=10",
            "student.fusion=concat",
            "distiller.weight_context=2.5",
            "teacher.window_size=8",
            "data.size=[96,128]",
        ],
    )
    assert cfg.train.loss.dice == 0.5 and cfg.data.augment.rotate == 10
    assert cfg.student.params == {"fusion": "concat"}
    assert cfg.distillers[0].params == {"weight_context": 2.5}
    assert cfg.teachers[0].params == {"window_size": 8}
    assert cfg.data.size == (96, 128)


def test_on_off_switches_survive_yaml_booleans(tmp_path):
    """YAML 1.1 reads a bare ``on``/``off`` as true/false; switches take them back as words."""
    cfg = build_config({}, ["runtime.cuda_graphs=on", "runtime.channels_last=off"])
    assert (cfg.runtime.cuda_graphs, cfg.runtime.channels_last) == ("on", "off")
    assert build_config({}, ["runtime.amp=off"]).runtime.amp == "off"  # was an error
    assert build_config({"runtime": {"amp": True}}, []).runtime.amp == "bf16"
    with pytest.raises(ConfigError, match="runtime.cuda_graphs"):
        build_config({}, ["runtime.cuda_graphs=sometimes"])


def test_set_addresses_one_of_several_distillers_by_name_or_index():
    cfg = build_config(
        {"distillers": ["mpd", "kd"]}, ["distiller.kd.temperature=2", "distillers.0.grids=[2,4]"]
    )
    assert cfg.distillers[1].params == {"temperature": 2}
    assert cfg.distillers[0].params == {"grids": [2, 4]}
    with pytest.raises(ConfigError, match="no entry 'cwd'"):
        build_config({"distillers": ["mpd", "kd"]}, ["distillers.cwd.weight=1"])


def test_yaml_then_flags_then_set(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("student: {name: unet, base_width: 16}\ntrain: {epochs: 3, lr: 0.01}\n")
    cfg = config_from_options(config=path, epochs=5, set_=["train.lr=0.02"])
    assert cfg.student.name == "unet" and cfg.student.params == {"base_width": 16}
    assert cfg.train.epochs == 5 and cfg.train.lr == 0.02


def test_resolution_fills_defaults_and_names_bad_component_fields():
    cfg = resolve(build_config({}, ["student.fusion=add"]), registry(), {"img_size": [64, 64]})
    assert cfg.student.params["fusion"] == "add"
    assert len(cfg.student.params) > 1  # every parameter, defaults included
    with pytest.raises(ConfigError, match=r"distillers.0 \(mpd\): field 'grids.0'"):
        resolve(build_config({}, ["distiller.grids=[two]"]), registry())


def test_num_classes_comes_from_the_data():
    with pytest.raises(ConfigError, match="taken from the data"):
        resolve(build_config({}, ["student.num_classes=5"]), registry(), {"num_classes": 2})
