"""PNG plots of a finished study: optimisation history and parameter importances."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402
from optuna.trial import TrialState  # noqa: E402


def write_plots(study: optuna.Study, out: Path) -> list[Path]:
    from optuna.visualization import matplotlib as ovm

    written = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna marks its matplotlib backend experimental
        ax = ovm.plot_optimization_history(study)
        path = out / "optimization_history.png"
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        written.append(path)
        complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
        if len(complete) >= 2 and len(complete[0].params) >= 1:
            ax = ovm.plot_param_importances(study)
            path = out / "param_importances.png"
            ax.figure.savefig(path, dpi=120, bbox_inches="tight")
            plt.close(ax.figure)
            written.append(path)
    return written
