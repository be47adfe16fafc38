# banwall: blocking DNS resolver (53, DoT 853, DoH 443), HTTP proxy (3128), metrics and health (9153).
#
#   podman build --format docker -t banwall .        (docker build -t banwall . works the same)
#   podman run -d --name banwall -p 53:53/udp -p 53:53/tcp -p 3128:3128 -p 127.0.0.1:9153:9153 banwall
#
# Config: /etc/banwall/banwall.yaml (BANWALL_CONFIG); mount a directory over /etc/banwall to replace it
# (a directory, not a single file, so that saving the file reaches the container and reloads it).
# Lists: the curated ones are in /opt/banwall/blocklists; mount over it, or add your own under
# /etc/banwall. Remote-list copies are kept in /var/lib/banwall (a volume). See docs/operations.md.
#
# The TypeScript needs no build step: Node 24 runs the sources directly (type stripping). The one
# compiled piece is the optional batched-UDP addon (native/, dns.batchedIo), built in a stage of its
# own so that the compiler never reaches the runtime image.

# --- 1. production dependencies only, in a stage of their own so the final image has no build cache.
FROM node:24-bookworm-slim AS deps
WORKDIR /opt/banwall
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and none should run at build time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- 2. the batched-UDP addon (recvmmsg/sendmmsg, native/batched-udp.c): gcc and libc headers here
# only. Node's official images ship Node's headers under /usr/local/include/node; an image built
# without them (a slim rebuild) gets Node-API's from npm's node-api-headers and libuv's from Debian
# (Node-API and libuv 1.x keep their ABI, so either set builds an addon that loads in Node 24). The
# image must have it: the build fails if it does not compile (outside the image, a missing compiler
# only means node:dgram).
FROM node:24-bookworm-slim AS native
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev libuv1-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/banwall
RUN test -f /usr/local/include/node/node_api.h \
 || npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund node-api-headers@1.9.0
COPY native ./native
RUN node native/build.ts && test -f native/build/batched_udp.node

# --- 3. the runtime image.
FROM node:24-bookworm-slim
# MALLOC_ARENA_MAX=1 (one malloc arena instead of one per thread) and V8's young generation capped at
# 4 MB a semi-space (ENTRYPOINT): with Node's default (16) the idle RSS was 11 MB higher; at 1 MB the
# proxy spent 115 us of CPU per forwarded request against 75-96 (a scavenge every ~100 requests),
# 0.81x Squid against 1.12x, for 6 MB less idle RSS (bench/README.md, "RSS budget" and "The proxy").
# `npm start` sets the same (test/deploy/start-flags.test.ts).
# NODE_COMPILE_CACHE: Node's compile cache (V8's code and the TypeScript already stripped) and the
# config validated before (src/config/validated-cache.ts) in the data volume, so that a restart is a
# warm start: measured 1.7 s and 115 MB against 3.4 s and 144 MB cold (the type stripper loaded,
# every file compiled, the config thread run; bench/README.md, "Start"). Its default, /tmp, is
# read-only under compose's read_only and lost with each container. Whoever can write the volume
# can change what banwall runs, as they can already change what it blocks (SECURITY.md).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    BANWALL_CONFIG=/etc/banwall/banwall.yaml \
    NODE_COMPILE_CACHE=/var/lib/banwall/compile-cache

# Port 53 without root: the node binary gets the one capability it needs, CAP_NET_BIND_SERVICE, as a
# file capability. Chosen over a sysctl (net.ipv4.ip_unprivileged_port_start) because it works in
# every runtime that keeps that capability in its default set (Docker, Podman, containerd), also with
# host networking, where a per-container sysctl is impossible. The process runs as `node` (uid 1000)
# with no other privilege. Keep NET_BIND_SERVICE in the container's capability set
# (--cap-drop=ALL --cap-add=NET_BIND_SERVICE): without it the kernel refuses to execute a binary that
# carries the capability ("operation not permitted"). Where no_new_privs may withhold file
# capabilities (Kubernetes allowPrivilegeEscalation: false), the manifests also set the namespaced
# sysctl net.ipv4.ip_unprivileged_port_start=53. Cost: the capability copies the node binary into its
# own layer (+121 MB).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep "$(readlink -f /usr/local/bin/node)" \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/banwall /var/lib/banwall/lists \
 && chown node:node /var/lib/banwall /var/lib/banwall/lists

WORKDIR /opt/banwall
COPY --from=deps /opt/banwall/node_modules ./node_modules
COPY --from=native /opt/banwall/native/build ./native/build
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY blocklists ./blocklists
COPY config/banwall.yaml ./config/banwall.yaml
COPY config/container.yaml /etc/banwall/banwall.yaml

USER node
VOLUME ["/var/lib/banwall"]
EXPOSE 53/udp 53/tcp 853/tcp 443/tcp 3128/tcp 9153/tcp

# /readyz: policy loaded and a main upstream answered banwall's own health probe (dns.healthProbe,
# every 5 s from start, so it turns unready within 10 s of an outage with no client traffic).
# /readyz over loopback passes http.allowedClients. No curl in the image: Node asks.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9153/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--max-semi-space-size=4", "/opt/banwall/bin/banwall.js"]
CMD ["serve"]
