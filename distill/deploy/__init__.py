"""Using a trained model outside its run: :class:`Predictor`, bundles, ONNX, int8.

Two halves, kept apart on purpose so that a clinic needs onnxruntime, numpy and Pillow only:

* torch-free: :mod:`preprocess` (image to model input, probabilities back to the image),
  :mod:`predictor`, :mod:`bundle` (reading and checking a bundle), :mod:`ort`,
  :mod:`outputs` (mask / overlay / probability files) and :mod:`latency`;
* needing torch (export time): :mod:`torch_backend`, :mod:`onnx_export`, :mod:`parity`,
  :mod:`quantize`, :mod:`card` and :mod:`export`, which writes a bundle.

This module imports nothing, so ``import distill.deploy.ort`` stays torch-free.
"""
