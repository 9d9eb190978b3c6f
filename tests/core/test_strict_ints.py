"""Integer fields refuse booleans, in the run config and in every component's parameters.

Pydantic's lax mode reads True as 1, so before this ``--set train.epochs=true`` trained one
epoch without a word.
"""

from __future__ import annotations

from typing import Literal

import pytest

import distill
from distill.core.config import bool_where_int, build_config
from distill.core.errors import ConfigError


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("train.epochs=true", "train.epochs"),
        ("train.early_stop=yes", "train.early_stop"),  # int | None
        ("seed=false", "seed"),
        ("data.size=[true,64]", "data.size"),  # inside tuple[int, int]
    ],
)
def test_run_config_integer_fields_refuse_booleans(override, field):
    with pytest.raises(ConfigError, match=rf"field '{field}': .*not a boolean"):
        build_config(overrides=[override])


def test_run_config_still_takes_whole_numbers_and_real_booleans():
    config = build_config(overrides=["train.epochs=3", "teacher_train.retrain=true"])
    assert config.train.epochs == 3 and config.teacher_train.retrain is True


def test_component_integer_parameters_refuse_booleans():
    with pytest.raises(ConfigError, match=r"student 'unet': field 'base_width': .*not a boolean"):
        distill.create("student", "unet", base_width=True)


@pytest.mark.parametrize(
    ("annotation", "value", "refused"),
    [
        (int, True, True),
        (int | None, False, True),
        (int | bool, True, False),  # a field that takes booleans keeps them
        (bool, True, False),
        (float, True, False),
        (tuple[int, int], (3, True), True),
        (tuple[int, ...], (1, 2, False), True),
        (list[int], [1, 2], False),
        (list[float], [True], False),
        (Literal[1, 2], True, False),
        (int, 3, False),
    ],
)
def test_bool_where_int(annotation, value, refused):
    assert bool_where_int(annotation, value) is refused
