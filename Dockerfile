# agent-runtime image: agent-operator, plus the agent-supervisor bundle every agent pod's init container
# copies out of it (CONTRACT.md section 3).
#
# No Docker engine runs on the machines this project is built and tested on, so this file only strings
# together steps that are proven there: scripts/build-release.sh (the build and the lib bundle) and
# scripts/rootfs-smoke.sh (both binaries, copied exactly as below, run in a bare debootstrap'ed Debian).
#
#   docker build -t ghcr.io/parallax-ai/agent-runtime:0.1.0 .

# The Swift toolchain on Debian bookworm, the same Debian release as the runtime stage (glibc 2.36).
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4-openssl-dev libyaml-dev libcivetweb-dev patchelf binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole package (SwiftPM checks every target's folder, tests and benchmarks included); .dockerignore
# keeps build folders and virtualenvs out.
COPY . .
# out/bin/agent-operator, out/lib/agent-runtime/{agent-supervisor,lib/}: both find their libraries
# through RUNPATH, so the runtime stage needs nothing from apt but CA certificates.
RUN bash scripts/build-release.sh --out /out

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/
# Non-root (matches the chart's runAsUser/runAsGroup; the restricted Pod Security Standard needs a uid).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/agent-operator"]
