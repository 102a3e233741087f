#!/usr/bin/env bash
# Writes the locked requirements (requirements/*.txt, every file pinned with hashes) from pyproject.toml
# and requirements/build.in, all from one resolution so that shared packages agree across files:
#   runtime.txt            the package's dependencies (the container image installs only these)
#   local.txt test.txt cdk.txt tools.txt   the dependencies plus one extra each (setup.sh installs all)
#   build.txt              what builds without isolation: setuptools, wheel, numpy
#   gdal.txt               GDAL's bindings at the system library's version (gdal-config --version),
#                          built from their source distribution against libgdal-dev
# Without arguments it keeps every pin it can (after an edit of pyproject.toml); `--upgrade` moves
# everything to the newest releases. Needs the project's .venv (uv comes with the test extra).
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-.venv/bin/uv}"
upgrade=()
if [ "${1:-}" = "--upgrade" ]; then upgrade=(--upgrade); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

compile() {  # compile OUTPUT INPUT... [uv options]: one lock file, annotated without temporary paths
    local output="$1"; shift
    "$uv" pip compile --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
        --custom-compile-command "bash scripts/lock.sh" "$@" -o "$output"
    sed -i -e "s|-c $work/all.txt|the whole resolution|" -e "s|-r $work/gdal.in|gdal-config --version|" "$output"
}

# The union of everything, seeded with today's pins so that they are kept unless --upgrade.
cat requirements/{runtime,local,test,cdk,build}.txt 2>/dev/null | grep -E '^[A-Za-z0-9]' | sort -u \
    | sed 's/ \\$//' > "$work/all.txt" || true
without_gdal=(--no-emit-package gdal)  # built against the system library: requirements/gdal.txt
compile "$work/all.txt" pyproject.toml requirements/build.in --all-extras "${without_gdal[@]}" "${upgrade[@]}"

compile requirements/runtime.txt pyproject.toml -c "$work/all.txt" "${without_gdal[@]}"
for extra in local test cdk tools; do
    compile "requirements/$extra.txt" pyproject.toml --extra "$extra" -c "$work/all.txt" "${without_gdal[@]}"
done
compile requirements/build.txt requirements/build.in -c "$work/all.txt"

gdal_version="$(gdal-config --version)"
echo "gdal==$gdal_version" > "$work/gdal.in"
compile requirements/gdal.txt "$work/gdal.in"
echo "lock: requirements/ written (GDAL $gdal_version)"
