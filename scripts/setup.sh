#!/usr/bin/env bash
# setup.sh — installs what kiln needs to build and test, idempotently.
#
# Debian packages (apt-get) for the compiler build; a project-local venv (.venv) with the
# Python packages that tests and benchmarks use. Fast when everything is already present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

debs=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
      libprotobuf-dev protobuf-compiler libonnx-dev ninja-build ccache cmake
      qemu-user)  # qemu-x86_64 runs small executables as other x86-64 CPUs (test_cpu_paths.py)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
pyreqs="$root/scripts/requirements.txt"
stamp="$venv/.kiln-requirements"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv" >&2
  python3 -m venv "$venv"
fi
if ! cmp -s "$pyreqs" "$stamp"; then
  echo "setup: installing Python packages into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$pyreqs"
  cp "$pyreqs" "$stamp"
fi
