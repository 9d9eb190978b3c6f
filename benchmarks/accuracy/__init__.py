"""Accuracy: the 14 baselines, mpdnet alone, mpdnet + mpd/dual and the classic distillers,
trained at one fixed budget over several seeds, in the paper's table layout.

Run as ``python -m benchmarks.accuracy`` (full mode, for one H100/H200, ``--device cuda``;
the H200 timings price it at ~16 minutes, twice the 8 it should take),
``python -m benchmarks.accuracy --quick`` (a 2-core CPU in well under 20 minutes), or
``--dataset isic2017 --data-root PATH`` for the official ISIC 2017 folders.
``--estimate ACCURACY_JSON`` prices the planned runs from a timed grid without training.
Every run goes through ``run_experiment`` (quiet) into a work folder; each teacher is trained
once per dataset and seed and reused by every method (the teacher config never varies).
Results are rewritten after every finished run, so a late crash keeps the earlier rows, and
a rerun with the same settings skips runs already done. Writes
benchmarks/results/accuracy/accuracy.{json,md,tex,png} (the .tex: the tables for a paper).

The modules: ``grid`` (what a table cell is), ``schedule`` (the order runs start in),
``runner`` (training cells, in parallel on a GPU), ``results`` (the finished rows),
``report`` (tables and checks), ``gains`` (what distillation bought), ``plots``, ``cost``
(pricing a grid before a lease), ``cli`` (the command).
"""
