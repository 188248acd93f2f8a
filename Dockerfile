# Confab: one Rust binary (templates and assets are compiled in) plus PostgreSQL.
#
#   docker build -t confab .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://user:pass@db:5432/confab confab
#
# See docker-compose.yml for a complete stack (PostgreSQL + Redis + Confab).

# ---- build ------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# 1. Dependencies only, so source edits do not rebuild the whole dependency tree.
#    The manifests are real; the crate sources are empty stubs.
COPY Cargo.toml Cargo.lock ./
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src migration/src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs migration/src/lib.rs \
 && echo 'fn main() {}' > migration/src/main.rs \
 && mkdir -p tests/api && touch tests/api/main.rs \
 && cargo build --release --locked --bin confab \
 && rm -rf src migration/src

# 2. The real sources. askama templates and assets/ are embedded at compile time.
COPY src src
COPY templates templates
COPY assets assets
COPY migration migration
# COPY keeps the files' original mtimes, which can be older than the stubs above:
# touch the crate roots so cargo rebuilds both workspace crates.
RUN touch src/main.rs src/lib.rs migration/src/lib.rs migration/src/main.rs \
 && cargo build --release --locked --bin confab \
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

# SIGTERM (docker stop) triggers a graceful shutdown.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/confab"]
