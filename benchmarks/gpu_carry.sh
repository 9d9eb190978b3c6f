#!/usr/bin/env bash
# Prepares what benchmarks/gpu_check.sh needs to carry to a GPU machine that cannot reach
# a package registry: .whl/ (the wheels its Python lacks, at the versions this venv tests)
# and .isic/data/ (a copy of the real ISIC sample, which lies outside the checkout).
# Both folders are git-ignored through .git/info/exclude. Run once per checkout, in the
# venv, from the repository root; then name ".whl" and ".isic" in the device call's carry.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DISTILL_SHARED_DATA:-../shared/data}
# missing on the GPU image (its python3 is 3.12 and holds torch, timm, rich, pluggy, numpy)
missing="pydantic pydantic_core annotated-types typing-inspection kornia kornia_rs optuna
  alembic sqlalchemy mako colorlog"

for folder in .whl .isic; do
  grep -qx "/$folder/" .git/info/exclude 2>/dev/null || echo "/$folder/" >>.git/info/exclude
done
mkdir -p .whl
for name in $missing; do
  version=$(python -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  [ -n "$version" ] || { echo "$name is not installed in this venv" >&2; exit 1; }
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d .whl "$name==$version"
done
rm -rf .isic && mkdir -p .isic && cp -r "$shared" .isic/data
du -sh .whl .isic
