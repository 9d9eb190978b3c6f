"""``python -m benchmarks.label_efficiency``: what distillation buys when few images have
masks and many have none. For each labelled fraction and seed, MPDNet alone (labelled
images only) against MPDNet + kd / dual / pseudo from a Swin teacher trained on the
labelled part, each with and without the unlabelled rest of the training split.
"""
