#!/usr/bin/env bash
# Build the Ascend 310 inference app (ascend310_infer/out/main) against the MindSpore Lite
# cloud-inference package. MindSpore 2.x wheels ship no C++ inference API; see ascend310_infer/README.md.
# usage: LITE_HOME=/path/to/mindspore-lite-2.10.x-linux-x64 bash ascend310_infer/build.sh
# Needs the unpacked package (LITE_HOME, or MS_LITE_HOME), CMake (the version CMakeLists.txt asks) and
# g++ >= 7.3. Exit status: 0 built, 2 something missing (one "error: ..." line), else the build's own.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lite_env.sh"

fail() { echo "error: $1" >&2; exit 2; }

LITE_HOME="${LITE_HOME:-${MS_LITE_HOME:-}}"
PACKAGE="$(lite_package_name)"
[ -n "$LITE_HOME" ] || fail "LITE_HOME: not set; download the MindSpore Lite cloud-inference package $PACKAGE, unpack it and export LITE_HOME=<the unpacked folder> (it holds runtime/include/api/model.h and runtime/lib/libmindspore-lite.so)"
problem="$(lite_package_problem "$LITE_HOME")"
[ -z "$problem" ] || fail "$problem"
LITE_HOME="$(cd "$LITE_HOME" && pwd)"

# version_ge A B: A >= B, dotted versions
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
CMAKE_NEEDED=$(sed -n 's/^cmake_minimum_required(VERSION \([0-9.]*\)).*/\1/p' "$HERE/CMakeLists.txt")
command -v cmake >/dev/null || fail "cmake: not found (CMake >= $CMAKE_NEEDED needed)"
CMAKE_HAS=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
version_ge "${CMAKE_HAS:-0}" "$CMAKE_NEEDED" || fail "cmake: version ${CMAKE_HAS:-unknown} is older than the $CMAKE_NEEDED CMakeLists.txt needs"
CXX_BIN="${CXX:-g++}"
command -v "$CXX_BIN" >/dev/null || fail "$CXX_BIN: C++ compiler not found (g++ >= 7.3 needed; or set CXX)"

cmake -S "$HERE" -B "$HERE/build" -DLITE_HOME="$LITE_HOME" -DCMAKE_CXX_COMPILER="$(command -v "$CXX_BIN")"
cmake --build "$HERE/build" --parallel "$(nproc 2>/dev/null || echo 2)"
echo "built $HERE/out/main; to run it by hand first:"
echo "  export LD_LIBRARY_PATH=$(lite_library_path "$LITE_HOME")\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
echo "(scripts/run_infer_310.sh sets it from LITE_HOME itself)"
