# syntax=docker/dockerfile:1
# Confab: one Rust binary (templates and assets are compiled in) plus PostgreSQL.
#
#   docker build -t confab .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://user:pass@db:5432/confab confab
#
# See docker-compose.yml for a complete stack (PostgreSQL + Redis + Confab).
# `.ci/dockerfile-check` (run by CI) copies what this file copies and checks that cargo can
# load and build the workspace from it.

# ---- build ------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# The whole build context, as filtered by .dockerignore: every workspace member (whatever
# Cargo.toml lists) is there, so the build never breaks when a member is added. Caching
# comes from BuildKit cache mounts instead of a stub-dependency layer: the crate registry
# and target/ survive between builds, so a source edit recompiles only Confab's crates.
COPY . .
RUN --mount=type=cache,id=confab-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=confab-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=confab-target,target=/build/target,sharing=locked \
    cargo build --release --locked --bin confab \
 && cp target/release/confab /usr/local/bin/confab

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 confab \
 && useradd --system --uid 10001 --gid confab --home-dir /data --shell /usr/sbin/nologin confab \
 && mkdir -p /data/uploads \
 && chown -R confab:confab /data

COPY --from=builder /usr/local/bin/confab /usr/local/bin/confab

ENV BIND_ADDR=0.0.0.0:3000 \
    UPLOAD_DIR=/data/uploads \
    APP_ENV=production

USER confab
WORKDIR /data
VOLUME ["/data/uploads"]
EXPOSE 3000

# No curl in the slim image: bash's /dev/tcp sends a plain GET /healthz to the port in
# BIND_ADDR on loopback (so it assumes BIND_ADDR is 0.0.0.0, :: or 127.0.0.1).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${BIND_ADDR##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# SIGTERM (docker stop) triggers a graceful shutdown; `confab` alone means `confab serve`.
# Admin commands run in the same image: docker compose run --rm app user list
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/confab"]
