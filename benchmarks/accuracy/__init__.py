"""Accuracy: the 14 baselines, mpdnet alone, mpdnet + mpd/dual and the classic distillers,
trained at one fixed budget over several seeds, in the paper's table layout.

Run as ``python -m benchmarks.accuracy`` (full mode, for a GPU: ``--device cuda``, and
``--jobs N`` to train N runs at a time in worker processes), ``python -m benchmarks.accuracy
--quick`` (a 2-core CPU in well under 20 minutes), or ``--dataset isic2017 --data-root PATH``
for the official ISIC 2017 folders. Every run goes through the engine (quiet) into a folder
under ``--work`` named after its whole config; each teacher is trained once per dataset and
seed and reused by every method (the teacher config never varies). A rerun with the same
settings skips the finished folders, so a stopped grid resumes, and the report is always
rebuilt from the folders, by the code behind ``distill compare``. Writes
benchmarks/results/accuracy/accuracy.{json,md,tex,png} (the .tex: the tables for a paper).

The modules: ``grid`` (what a table cell is), ``runner`` (training cells), ``report`` (the
tables and the targets), ``gains`` (what distillation bought), ``cli`` (the command).
"""
