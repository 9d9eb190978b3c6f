"""``python -m benchmarks.robustness``: what augmentation, colour constancy and
distillation do outside the training sample. MPDNet alone and with kd / dual from a Swin or
a CNN teacher, each with the default recipe and with the scale-and-artefact passes (and
MPDNet alone with each half of them and with colour constancy), on the real sample with its
smallest-lesion fifth held out: scored in distribution (test) and on the shift, with the
recipe chosen on a part of the shift kept apart for that (``shift-val``).
"""
