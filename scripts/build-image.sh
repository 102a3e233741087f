#!/usr/bin/env bash
# Builds the worker image from the Dockerfile and prints its size; usage: build-image.sh [TAG].
#
# The engine is docker when a Docker engine answers, otherwise buildah (no daemon: --isolation chroot).
# When the base image (the Dockerfile's DEBIAN_IMAGE) can be neither found nor pulled, as on machines
# that reach no container registry, it is made with debootstrap from the Debian mirror: bookworm,
# minbase, trimmed like Debian's slim images, and kept for later builds on this machine. When pip on
# this host is configured with a CA bundle (PIP_CERT, or pip's `cert` setting), as behind a
# TLS-inspecting proxy, the build's pip gets that bundle as the secret "pip-ca": never stored in a layer.
#
# Builds run one at a time (a lock): a second build waits, then reuses the first one's cached layers.
# It prints each build step with the second it started at; the whole build log goes to IMAGE_BUILD_LOG
# (default build/image-build.log). Environment also: CONTAINER_ENGINE (docker or buildah: no detection),
# DEBIAN_MIRROR (default http://deb.debian.org/debian), BASE_IMAGE (build on this image, no look-up).
set -euo pipefail
cd "$(dirname "$0")/.."

tag="${1:-localhost/model-runner:latest}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
named_base="$(sed -n 's/^ARG DEBIAN_IMAGE=//p' Dockerfile)"
log="${IMAGE_BUILD_LOG:-build/image-build.log}"

say() { printf 'build-image: [%3d s] %s\n' "$SECONDS" "$*"; }

engine="${CONTAINER_ENGINE:-}"
if [ -z "$engine" ]; then
    if docker info >/dev/null 2>&1; then engine=docker; else engine=buildah; fi
fi
if ! command -v "$engine" >/dev/null; then
    echo "build-image: neither a Docker engine nor buildah is available; run bash scripts/setup.sh" >&2
    exit 1
fi

exec 9>"${TMPDIR:-/tmp}/model-runner-build-image.lock"
flock 9

image_present() {
    if [ "$engine" = docker ]; then docker image inspect "$1" >/dev/null 2>&1
    else buildah inspect --type image "$1" >/dev/null 2>&1; fi
}

pulled() {
    if [ "$engine" = docker ]; then timeout 300 docker pull -q "$1" >/dev/null 2>&1
    else timeout 300 buildah pull -q "$1" >/dev/null 2>&1; fi
}

# Writes a Debian bookworm root file system into $1, configured like Debian's slim images.
debootstrap_into() {
    local root="$1" log
    log="$(mktemp)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1 || { tail -n 20 "$log" >&2; return 1; }
    rm -f "$log" "$root/etc/apt/sources.list" "$root/etc/hostname" "$root/etc/resolv.conf"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # As in Debian's images: dpkg skips its fsync calls (a build's layer is written once, when committed);
    # and as in the slim ones: no documentation, manuals or translations, no package caches.
    echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
    cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    cat >"$root/etc/apt/apt.conf.d/slim" <<'EOF'
APT::Install-Recommends "false";
Acquire::Retries "3";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
EOF
    find "$root/usr/share/doc" -mindepth 2 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/* "$root"/var/cache/apt/archives/*.deb \
        "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/*
}

# The base image debootstrap makes, named after its recipe: made once per machine and recipe.
debootstrap_image="localhost/model-runner-base:bookworm-$(declare -f debootstrap_into | sha256sum | cut -c1-12)"

# Makes $debootstrap_image unless it is there, and prints its name.
debootstrap_base() {
    if ! image_present "$debootstrap_image"; then
        say "no base image $named_base here and none can be pulled: making one with debootstrap ($mirror)" >&2
        if [ "$engine" = docker ]; then
            local root
            root="$(mktemp -d)"
            debootstrap_into "$root"
            tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - "$debootstrap_image" >/dev/null
            rm -rf "$root"
        else
            local container
            container="$(buildah from scratch)"
            debootstrap_into "$(buildah mount "$container")"
            buildah umount "$container" >/dev/null
            buildah config --cmd bash \
                --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$container"
            buildah commit -q --rm "$container" "$debootstrap_image" >/dev/null
        fi
        say "base image $debootstrap_image made" >&2
    fi
    echo "$debootstrap_image"
}

base="${BASE_IMAGE:-}"
if [ -z "$base" ]; then
    if image_present "$named_base" || pulled "$named_base"; then base="$named_base"; else base="$(debootstrap_base)"; fi
fi
say "building $tag with $engine on $base"

arguments=(--build-arg "DEBIAN_IMAGE=$base" -t "$tag")
ca_bundle="${PIP_CERT:-$(python3 -m pip config get global.cert 2>/dev/null || true)}"
if [ -n "$ca_bundle" ] && [ -r "$ca_bundle" ]; then
    say "pip in the build trusts this host's CA bundle $ca_bundle"
    arguments+=(--secret "id=pip-ca,src=$ca_bundle" --build-arg PIP_CERT=/run/secrets/pip-ca)
fi

# Every line of the build into the log, stamped with the second it came; the steps also on the screen.
stamp() { while IFS= read -r line; do printf '[%3d s] %s\n' "$SECONDS" "$line"; done; }
steps() {  # buildah's "[1/2] STEP 3/13: ..." and docker's "#7 [builder 3/13] ..." lines
    tee "$log" | { grep --line-buffered -E '^\[ *[0-9]+ s\] ((\[[0-9]+/[0-9]+\] )?STEP |#[0-9]+ \[)' || true; } \
        | sed -u 's/^\(.\{150\}\).*/\1/'
}
mkdir -p "$(dirname "$log")"
if ! {
    if [ "$engine" = docker ]; then
        DOCKER_BUILDKIT=1 docker build --progress plain "${arguments[@]}" . 2>&1
    else
        buildah bud --isolation chroot --format docker --layers --force-rm --jobs 2 --pull=false "${arguments[@]}" . 2>&1
    fi
} | stamp | steps; then
    tail -n 40 "$log" >&2
    echo "build-image: the build failed; its whole log is $log" >&2
    exit 1
fi
if [ "$engine" = docker ]; then
    size_bytes="$(docker image inspect -f '{{.Size}}' "$tag")"
else
    size_bytes="$(buildah inspect --type image --format '{{.Manifest}}' "$tag" \
        | python3 -c 'import json, sys; print(sum(layer["size"] for layer in json.load(sys.stdin)["layers"]))')"
fi
say "image $tag: $((size_bytes / 1000000)) MB"
