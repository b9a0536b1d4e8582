# shellcheck shell=bash
# Shared by ascend310_infer/build.sh and scripts/run_infer_310.sh: source it, do not run it.
# The MindSpore Lite cloud-inference package (mindspore-lite-<version>-linux-<x64|aarch64>.tar.gz)
# unpacks to runtime/{include,lib,third_party} and tools/{converter,benchmark}; its quick start puts
# runtime/lib, runtime/third_party/dnnl and tools/converter/lib on LD_LIBRARY_PATH, and some releases
# keep glog, libjpeg-turbo and securec under runtime/third_party too. CMakeLists.txt uses the same list
# for -rpath-link: keep the two in step.

LITE_LIBRARY_SUBDIRS=(runtime/lib runtime/third_party/dnnl runtime/third_party/glog
                      runtime/third_party/libjpeg-turbo/lib runtime/third_party/securec tools/converter/lib)
LITE_VERSION_HINT="2.10.x"  # the Lite release that goes with the pinned mindspore==2.10.0

# lite_package_name: the package file for this machine's architecture
lite_package_name() {
    local arch
    case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=aarch64 ;; *) arch="$(uname -m)" ;; esac
    echo "mindspore-lite-$LITE_VERSION_HINT-linux-$arch.tar.gz"
}

# lite_library_path LITE_HOME: the package's library folders that exist, joined with ':'
lite_library_path() {
    local home="$1" dir out=""
    for dir in "${LITE_LIBRARY_SUBDIRS[@]}"; do
        [ -d "$home/$dir" ] && out="${out:+$out:}$home/$dir"
    done
    echo "$out"
}

# lite_package_problem LITE_HOME: one "<path>: <problem>" line if LITE_HOME is not a usable unpacked
# package (the header and the library the app builds against), nothing if it is
lite_package_problem() {
    local home="$1" folder
    folder="$(lite_package_name)"; folder="${folder%.tar.gz}"
    if [ ! -d "$home" ]; then
        echo "$home: LITE_HOME is not a folder (it must be the unpacked $folder folder)"
    elif [ ! -f "$home/runtime/include/api/model.h" ]; then
        echo "$home/runtime/include/api/model.h: MindSpore Lite C++ header not found (LITE_HOME must be the unpacked $folder folder)"
    elif [ ! -f "$home/runtime/lib/libmindspore-lite.so" ]; then
        echo "$home/runtime/lib/libmindspore-lite.so: MindSpore Lite library not found (LITE_HOME must be the unpacked $folder folder)"
    fi
}
