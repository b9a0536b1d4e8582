#!/usr/bin/env bash
# Build the Ascend 310 inference app (out/main) against the installed MindSpore's C++ inference API.
# usage: bash ascend310_infer/build.sh            (MINDSPORE_PATH=... to point at another install)
# Needs a MindSpore build that ships include/api/*.h and lib/libmindspore.so (the Ascend packages do;
# the CPU wheel from PyPI does not), CMake >= 3.14 and g++.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
[ -x "$HERE/../.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ] && PYTHON="$HERE/../.venv/bin/python"
if [ -z "${MINDSPORE_PATH:-}" ]; then
    MINDSPORE_PATH=$("$PYTHON" -c 'import importlib.util as u, os; s = u.find_spec("mindspore"); print(os.path.dirname(s.origin) if s else "")' 2>/dev/null || true)
fi
if [ -z "$MINDSPORE_PATH" ]; then
    echo "error: mindspore: not installed for $PYTHON (set MINDSPORE_PATH to a MindSpore install)" >&2; exit 1
fi
if [ ! -f "$MINDSPORE_PATH/include/api/model.h" ]; then
    echo "error: $MINDSPORE_PATH/include/api/model.h: MindSpore C++ inference headers not found (install the Ascend MindSpore package, or set MINDSPORE_PATH)" >&2; exit 1
fi
if [ ! -f "$MINDSPORE_PATH/lib/libmindspore.so" ]; then
    echo "error: $MINDSPORE_PATH/lib/libmindspore.so: MindSpore inference library not found" >&2; exit 1
fi
command -v cmake >/dev/null || { echo "error: cmake: not found (install CMake >= 3.14)" >&2; exit 1; }
mkdir -p "$HERE/build"
cd "$HERE/build"
cmake .. -DMINDSPORE_PATH="$MINDSPORE_PATH" ${LSTM_MS_LEGACY_ASCEND310_API:+-DLSTM_MS_LEGACY_ASCEND310_API=ON}
make -j"$(nproc)"
echo "built $HERE/out/main"
