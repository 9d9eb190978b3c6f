"""Optuna sweeps over RunConfig paths: search spaces, the study loop, and its plots."""
