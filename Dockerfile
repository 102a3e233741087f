# syntax=docker/dockerfile:1
# The model-runner worker: GDAL from Debian bookworm's packages, the project installed into a virtual
# environment in a builder stage, and only the runtime libraries plus that environment in the final
# image. Build from the repository root: docker build -t model-runner .

ARG DEBIAN_IMAGE=debian:12.11-slim

# ---- builder: compilers, GDAL headers, and the virtual environment ---------------------------------
FROM ${DEBIAN_IMAGE} AS builder

# Same packages as scripts/setup.sh; GDAL's exact version is the one the bindings are built against.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        g++=4:12.2.0-3 \
        libgdal-dev=3.6.2+dfsg-1+b2 \
        python3=3.11.2-1+b1 \
        python3-dev=3.11.2-1+b1 \
        python3-venv=3.11.2-1+b1 \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# GDAL's bindings compile against numpy and the system libgdal, so numpy and setuptools come first and
# the bindings are built without isolation, pinned to the library's own version (as scripts/setup.sh).
RUN pip install --upgrade pip==26.3 \
    && pip install numpy==2.4.6 setuptools==65.5.0 wheel==0.48.0 \
    && pip install --no-build-isolation "gdal==$(gdal-config --version)" \
    && python -c "from osgeo import gdal_array"

WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && model-runner --help >/dev/null

# ---- runtime: the GDAL library, Python, the environment, and nothing to build with -----------------
FROM ${DEBIAN_IMAGE} AS runtime

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates=20230311+deb12u1 \
        libgdal32=3.6.2+dfsg-1+b2 \
        python3=3.11.2-1+b1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin worker

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
