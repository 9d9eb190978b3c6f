"""The training engine: two stages (teachers, then the student under distillation).

Small modules, one concept each: ``runtime`` (device, precision, seeds), ``checkpoint``
(atomic, code-free files), ``schedule``, ``losses``, ``batches`` (cached data on the device),
``distillation`` (composing distillers), ``loop`` (one stage's epochs), ``evaluate``,
``teacher_store`` (trained teachers reused across runs), ``teacher_graphs`` (frozen teachers
replayed from CUDA graphs), ``experiment`` (the whole run).
"""
