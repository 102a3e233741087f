#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine (run as root, or with sudo
# available): Debian's GDAL and build tools, a virtual environment in .venv, GDAL's Python bindings
# built against the system library, and this package with its local-stack, test and deployment (CDK) extras.
# Safe to run again: it skips whatever is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_debian_packages() {
    ! command -v gdal-config >/dev/null 2>&1 \
        || ! command -v node >/dev/null 2>&1 \
        || ! command -v g++ >/dev/null 2>&1 \
        || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
        || [ ! -e "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ]
}

if need_debian_packages; then
    echo "setup: installing Debian packages (GDAL, compiler, Python headers, Node.js for the CDK app)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        python3 python3-venv python3-dev python3-pip g++ libgdal-dev gdal-bin nodejs >/dev/null
fi

stamp_source="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1) $(gdal-config --version)"
if [ -f .venv/.setup-stamp ] && [ "$(cat .venv/.setup-stamp)" = "$stamp_source" ]; then
    exit 0
fi

echo "setup: creating .venv and installing the project"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q numpy setuptools wheel
gdal_version="$(gdal-config --version)"
if ! .venv/bin/python -c "from osgeo import gdal_array; import sys; sys.exit(gdal_array.gdal.__version__ != '$gdal_version')" 2>/dev/null; then
    echo "setup: building GDAL $gdal_version Python bindings (about a minute)"
    .venv/bin/pip install -q --no-build-isolation "gdal==$gdal_version"
fi
.venv/bin/pip install -q -e ".[local,test,cdk]"
echo "$stamp_source" > .venv/.setup-stamp
