# syntax=docker/dockerfile:1
# The model-runner worker: GDAL from Debian bookworm's packages, the project installed into a virtual
# environment in a builder stage from the locked requirements (requirements/*.txt, with hashes), and
# only the runtime libraries plus that environment in the final image. Build from the repository root
# with scripts/build-image.sh (buildah or docker; it also supplies a base image made with debootstrap
# when DEBIAN_IMAGE cannot be pulled), or: docker build -t model-runner .

ARG DEBIAN_IMAGE=debian:12.11-slim

# ---- base: what the worker runs on, the GDAL library and Python -------------------------------------
FROM ${DEBIAN_IMAGE} AS base

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates=20230311+deb12u1 \
        libgdal32=3.6.2+dfsg-1+b2 \
        python3=3.11.2-1+b1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin worker

# ---- builder: the base plus a compiler, Python's and GDAL's headers, and the virtual environment ----
FROM base AS builder

# GDAL's bindings need, of libgdal-dev, only its own files (GDAL's headers, gdal-config and the
# libgdal.so link to libgdal32): unpacked from the package, without the ~150 -dev packages it depends
# on for building against GDAL's own dependencies. Its version is the one of libgdal32 above.
WORKDIR /tmp/libgdal-dev
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        g++=4:12.2.0-3 \
        python3-dev=3.11.2-1+b1 \
        python3-venv=3.11.2-1+b1 \
    && apt-get download libgdal-dev=3.6.2+dfsg-1+b2 \
    && dpkg-deb --extract libgdal-dev_*.deb / \
    && rm libgdal-dev_*.deb \
    && rm -rf /var/lib/apt/lists/* \
    && gdal-config --version

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
WORKDIR /build

# PIP_CERT names a CA bundle for pip, for package mirrors behind a TLS-inspecting proxy: the host's
# bundle, mounted as the build secret "pip-ca" (scripts/build-image.sh passes both only when the host's
# pip has one configured). It is read during the build and stored in no layer.
ARG PIP_CERT

# Every install is the lock's exact files (--require-hashes --no-deps), in the order that keeps the slow
# steps cached: build tools and numpy, then GDAL's bindings, compiled without isolation against numpy
# and the system libgdal at the library's own version (requirements/gdal.txt, as in scripts/setup.sh),
# their extension modules in parallel (setuptools reads build_ext's options from DIST_EXTRA_CONFIG).
COPY requirements/build.txt requirements/gdal.txt requirements/
RUN --mount=type=secret,id=pip-ca \
    pip install --no-deps --require-hashes -r requirements/build.txt \
    && printf '[build_ext]\nparallel = %s\n' "$(nproc)" > /tmp/build_ext.cfg \
    && DIST_EXTRA_CONFIG=/tmp/build_ext.cfg \
        pip install --no-deps --require-hashes --no-build-isolation -r requirements/gdal.txt \
    && rm /tmp/build_ext.cfg \
    && python -c "from osgeo import gdal_array"

COPY requirements/runtime.txt requirements/
RUN --mount=type=secret,id=pip-ca \
    pip install --no-deps --require-hashes -r requirements/runtime.txt

COPY pyproject.toml README.md ./
COPY src ./src
# The environment keeps what the worker runs: pip checks that the lock is complete, then the build tools
# (pip included) and numpy's and shapely's own test suites leave it, and the worker's command must
# still start.
RUN pip install --no-deps --no-build-isolation . \
    && pip check \
    && pip uninstall -y -q setuptools wheel packaging pip \
    && find /opt/venv/lib/python3.11/site-packages/numpy /opt/venv/lib/python3.11/site-packages/shapely \
        -depth -type d -name tests -exec rm -r {} + \
    && model-runner --help >/dev/null

# ---- runtime: the base and the environment, nothing to build with --------------------------------
FROM base AS runtime

COPY --from=builder /opt/venv /opt/venv

# GDAL_DISABLE_READDIR_ON_OPEN: opening s3:// images through /vsis3 lists no bucket, so the task role
# needs only s3:GetObject on image buckets.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR

USER 10001:10001
WORKDIR /tmp

# `model-runner health` exits 0 while the worker's poll loop in this container is alive.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["model-runner", "health"]

CMD ["model-runner", "worker"]
