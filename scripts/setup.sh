#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine (run as root, or with sudo
# available): Debian's GDAL, build tools, Node.js for the CDK app, buildah and debootstrap for the
# container image; then a virtual environment in .venv with exactly the locked requirements
# (requirements/*.txt, hashes checked), GDAL's Python bindings built against the system library, and
# this package with its local-stack, test and deployment (CDK) extras.
# `setup.sh --debian` installs the Debian packages only. Safe to run again: it skips what is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_debian_packages() {
    local command
    for command in gdal-config node g++ buildah debootstrap; do
        command -v "$command" >/dev/null 2>&1 || return 0
    done
    [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || return 0
    ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
        || [ ! -e "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ]
}

if need_debian_packages; then
    echo "setup: installing Debian packages (GDAL, compiler, Python headers, Node.js, buildah, debootstrap)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        python3 python3-venv python3-dev python3-pip g++ libgdal-dev gdal-bin nodejs \
        buildah debootstrap debian-archive-keyring >/dev/null
fi
if [ "${1:-}" = "--debian" ]; then exit 0; fi

gdal_version="$(gdal-config --version)"
stamp_source="$(cat pyproject.toml requirements/*.txt scripts/setup.sh | sha256sum | cut -d' ' -f1) $gdal_version"
if [ -f .venv/.setup-stamp ] && [ "$(cat .venv/.setup-stamp)" = "$stamp_source" ]; then
    exit 0
fi

echo "setup: creating .venv and installing the locked requirements"
[ -x .venv/bin/python ] || python3 -m venv .venv
pip=(.venv/bin/pip install -q --no-deps --require-hashes)
"${pip[@]}" -r requirements/build.txt
if ! .venv/bin/python -c "from osgeo import gdal_array; import sys; sys.exit(gdal_array.gdal.__version__ != '$gdal_version')" 2>/dev/null; then
    echo "setup: building GDAL $gdal_version Python bindings (about a minute)"
    # Against numpy and the system library, without isolation; its extension modules in parallel.
    build_ext_options="$(mktemp)"
    printf '[build_ext]\nparallel = %s\n' "$(nproc)" >"$build_ext_options"
    if grep -q "^gdal==$gdal_version " requirements/gdal.txt; then
        DIST_EXTRA_CONFIG="$build_ext_options" "${pip[@]}" --no-build-isolation -r requirements/gdal.txt
    else
        echo "setup: requirements/gdal.txt locks another GDAL than this system's $gdal_version: building that one unhashed"
        DIST_EXTRA_CONFIG="$build_ext_options" .venv/bin/pip install -q --no-build-isolation "gdal==$gdal_version"
    fi
    rm -f "$build_ext_options"
fi
"${pip[@]}" -r requirements/local.txt -r requirements/test.txt -r requirements/cdk.txt -r requirements/tools.txt
.venv/bin/pip install -q --no-deps --no-build-isolation -e .
.venv/bin/pip check
echo "$stamp_source" > .venv/.setup-stamp
