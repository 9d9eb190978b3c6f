"""A run folder as one record: the only module that spells its file names.

The engine writes through a :class:`Run`; eval, predict, export, compare, sweeps, reports
and the benchmark suites read through :meth:`Run.open`. ``run.json`` holds what is known
about the run beyond its config and metrics: its status, the data it saw (mean/std, class
names, size: what a model needs to be used without the training data), the cost of every
model as built, and where each teacher came from.

Trackers (TensorBoard, MLflow, ...) are *mirrors*: they see every metrics row and the end
of the run, and the folder stays the record of truth.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml

from distill.core.config import RunConfig, to_yaml
from distill.core.errors import ConfigError, DataError

Status = Literal["running", "finished", "interrupted", "failed"]
RECORD_VERSION = 1


class RunMirror(Protocol):
    """Something that follows a run as it is written (a tracker)."""

    def start(self, run: Run) -> None: ...

    def row(self, row: dict[str, Any]) -> None: ...

    def finish(self, run: Run, status: str) -> None: ...


@dataclass(frozen=True)
class ModelFiles:
    """Where one model's weights live in the folder: the best (tested) and the resume state."""

    best: Path
    last: Path


class Run:
    """One run folder. Create with :meth:`create` (a new run) or :meth:`open` (read back)."""

    CONFIG = "config.yaml"
    RECORD = "run.json"
    METRICS = "metrics.jsonl"
    TEST = "test_metrics.json"
    HELD_OUT = "scores-{split}.json"  # the student on another split of its dataset
    STUDENT = "student.safetensors"
    REPORT = "report.md"
    CURVES = "curves.png"
    OVERLAYS = "overlays"
    OVERLAY_GRID = "overlays/test_best_worst.png"
    CLAIM = ".claim"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.mirrors: list[RunMirror] = []
        self._config: RunConfig | None = None

    # ----- creating and opening ---------------------------------------------------------
    @classmethod
    def create(cls, path: Path, *, resume: bool = False) -> Run:
        """Claim ``path`` for a new run (or, with ``resume``, for continuing one).

        The claim is an ``O_EXCL`` file, so two runs started together with the same name
        cannot both write the folder: the second one stops here with a clear error."""
        run = cls(path)
        started = (run.path / cls.CONFIG).is_file()
        if started and not resume:
            raise ConfigError(
                f"run folder '{run.path}' already exists: continue it with --resume "
                f"{run.path}, or choose another --name"
            )
        run.path.mkdir(parents=True, exist_ok=True)
        run._claim()
        run.clean_temporaries()
        return run

    @classmethod
    def open(cls, path: Path) -> Run:
        run = cls(path)
        if not (run.path / cls.CONFIG).is_file():
            raise ConfigError(f"'{path}' is not a run folder: it has no {cls.CONFIG}")
        return run

    def _claim(self) -> None:
        claim = self.path / self.CLAIM
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            owner = claim.read_text().strip() or "?"
            if owner.isdigit() and not _alive(int(owner)):
                claim.unlink(missing_ok=True)  # left by a killed run: take it over
                return self._claim()
            raise ConfigError(
                f"run folder '{self.path}' is in use by another run (process {owner}); "
                "wait for it, or choose another --name"
            ) from None
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))

    def release(self) -> None:
        """Give up the claim (the run ended, however it ended)."""
        claim = self.path / self.CLAIM
        if claim.is_file() and claim.read_text().strip() == str(os.getpid()):
            claim.unlink(missing_ok=True)

    def clean_temporaries(self) -> list[Path]:
        """Delete half-written files a killed run left (atomic writes' ``.NAME.*.part*``)."""
        stale = [p for p in self.path.rglob(".*.part*") if p.is_file()]
        for path in stale:
            path.unlink(missing_ok=True)
        return stale

    # ----- the config -------------------------------------------------------------------
    @property
    def config(self) -> RunConfig:
        if self._config is None:
            path = self.path / self.CONFIG
            try:
                data = yaml.safe_load(path.read_text())
            except (OSError, yaml.YAMLError) as err:
                raise DataError(f"{path}: unreadable run config ({err})") from None
            self._config = RunConfig.model_validate(data)
        return self._config

    def write_config(self, cfg: RunConfig) -> None:
        """Write the resolved config: from here on the folder is a started run."""
        self._config = cfg
        (self.path / self.CONFIG).write_text(to_yaml(cfg))

    # ----- metrics rows -----------------------------------------------------------------
    @property
    def metrics_file(self) -> Path:
        return self.path / self.METRICS

    def rows(self, stage: str | None = None) -> list[dict[str, Any]]:
        rows = _read_jsonl(self.metrics_file)
        return rows if stage is None else [r for r in rows if r.get("stage") == stage]

    def log(self, row: dict[str, Any]) -> None:
        with self.metrics_file.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        for mirror in self.mirrors:
            mirror.row(row)

    def truncate(self, stage: str, epochs_done: int) -> None:
        """On resume, drop rows of epochs that will be trained again."""
        keep = [
            r
            for r in self.rows()
            if not (r.get("stage") == stage and r.get("epoch", 0) > epochs_done)
        ]
        self.metrics_file.write_text("".join(json.dumps(r) + "\n" for r in keep))

    # ----- the record: status, data, costs, teachers --------------------------------------
    def record(self) -> dict[str, Any]:
        path = self.path / self.RECORD
        if not path.is_file():
            return {}
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: not JSON ({err})") from None

    def update(self, **facts: Any) -> None:
        """Merge ``facts`` into ``run.json`` (atomically: a reader never sees half of it)."""
        from distill.core.engine.checkpoint import write_atomic

        data = {"version": RECORD_VERSION, **self.record(), **facts}
        text = json.dumps(data, indent=2)
        write_atomic(self.path / self.RECORD, lambda tmp: tmp.write_text(text))

    @property
    def status(self) -> Status:
        recorded = self.record().get("status")
        if recorded:
            return recorded
        return "finished" if (self.path / self.TEST).is_file() else "interrupted"

    def set_status(self, status: Status, error: str | None = None) -> None:
        self.update(status=status, error=error, updated=time.time())

    @property
    def data(self) -> dict[str, Any] | None:
        """mean, std, class_names, num_classes, in_channels, size: recorded at training."""
        return self.record().get("data")

    @property
    def cost(self) -> dict[str, Any]:
        """{model: {"params": int, "gmacs": float, "size": [h, w]}} as built for training."""
        return self.record().get("cost", {})

    @property
    def tags(self) -> dict[str, str]:
        cfg = self.config
        return {
            "student": cfg.student.name,
            "teachers": ",".join(t.name for t in cfg.teachers),
            "distillers": ",".join(d.name for d in cfg.distillers),
            "dataset": cfg.data.dataset.name,
            "seed": str(cfg.seed),
            "preset": str(self.record().get("preset") or ""),
            "commit": str(self.record().get("commit") or ""),
        }

    def teacher_record(self, index: int) -> dict[str, Any] | None:
        teachers = self.record().get("teachers", {})
        return teachers.get(str(index))

    def record_teacher(self, index: int, **facts: Any) -> None:
        teachers = dict(self.record().get("teachers", {}))
        teachers[str(index)] = facts
        self.update(teachers=teachers)

    # ----- models -----------------------------------------------------------------------
    def files(self, model: str = "student") -> ModelFiles:
        """``student`` or ``teacherN``: where its checkpoints are written."""
        if model == "student":
            return ModelFiles(self.path / "best.pt", self.path / "last.pt")
        index = teacher_index(model)
        return ModelFiles(
            self.path / f"teacher{index}_best.pt", self.path / f"teacher{index}_last.pt"
        )

    def weights(self, model: str = "student") -> Path:
        """The weights to use ``model`` (its best checkpoint, or where a teacher came from)."""
        best = self.files(model).best
        if best.is_file() or model == "student":
            return best
        record = self.teacher_record(teacher_index(model))
        if record and record.get("source"):
            return Path(record["source"])
        return best

    @property
    def student_weights(self) -> Path:
        return self.path / self.STUDENT

    # ----- results ----------------------------------------------------------------------
    @property
    def test(self) -> dict[str, Any] | None:
        """The test payload (summary, per_class, per_image, teachers), once finished."""
        path = self.path / self.TEST
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: not JSON ({err})") from None

    def write_test(self, payload: dict[str, Any]) -> None:
        (self.path / self.TEST).write_text(json.dumps(payload, indent=2))

    @property
    def per_image(self) -> list[dict[str, Any]]:
        return (self.test or {}).get("per_image", [])

    def best_val(self, metric: str = "val/mDice", stage: str = "student") -> float | None:
        """The best validation score of ``stage``: the epoch its weights and test scores
        come from, and what a choice between settings may read (the test split must not)."""
        values = [row[metric] for row in self.rows(stage) if metric in row]
        return max(values) if values else None

    def held_out(self) -> dict[str, dict[str, Any]]:
        """split -> the student's recorded scores there (``distill eval --record``): a
        shifted split scored beside the test split, as reports show it."""
        prefix, suffix = self.HELD_OUT.split("{split}")
        splits = [
            path.name[len(prefix) : -len(suffix)]
            for path in sorted(self.path.glob(self.HELD_OUT.format(split="*")))
        ]
        return {split: self.held_out_scores(split) for split in splits}

    def held_out_scores(self, split: str) -> dict[str, Any] | None:
        """The recorded scores of one split, or None when it was not recorded."""
        path = self.path / self.HELD_OUT.format(split=split)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: not JSON ({err})") from None

    def write_held_out(self, split: str, payload: dict[str, Any]) -> Path:
        """Record ``payload`` for ``split``; a record of the split already there is replaced
        (the same student on the same split scores the same)."""
        if split == "test" or not re.fullmatch(r"[A-Za-z0-9_-]+", split):
            raise ConfigError(f"split {split!r}: record a split other than test, by its name")
        path = self.path / self.HELD_OUT.format(split=split)
        path.write_text(json.dumps(payload, indent=2))
        return path

    def artifacts(self) -> list[Path]:
        """The readable outputs a tracker uploads: curves, overlays, report."""
        found = [self.path / self.CURVES, self.path / self.REPORT]
        overlays = self.path / self.OVERLAYS
        if overlays.is_dir():
            found += sorted(overlays.glob("*.png"))
        return [p for p in found if p.is_file()]

    def __repr__(self) -> str:
        return f"Run('{self.path}', status={self.status})"


def teacher_index(model: str) -> int:
    if not model.startswith("teacher"):
        raise ConfigError(f"model must be 'student' or 'teacherN', got '{model}'")
    digits = model[len("teacher") :]
    if digits and not digits.isdigit():
        raise ConfigError(f"model must be 'student' or 'teacherN', got '{model}'")
    return int(digits or 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise DataError(f"{path}: line {number} is not JSON") from None
    return rows
