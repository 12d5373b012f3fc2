# syntax=docker/dockerfile:1
# Build: cgo is needed for the embedded SQLite driver.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY web ./web
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/campaign ./cmd/campaign

# Run: a small Debian image, a non-root user, data on a volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin campaign \
 && mkdir -p /data \
 && chown campaign:campaign /data \
 && chmod 0700 /data
COPY --from=build /out/campaign /usr/local/bin/campaign
COPY config /app/config
WORKDIR /app
ENV CAMPAIGN_ADDR=:8080 \
    CAMPAIGN_DATA_DIR=/data \
    CAMPAIGN_CONTENT_DIR=/app/config \
    CAMPAIGN_LOG_FORMAT=json
USER campaign
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/campaign", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/campaign"]
CMD ["serve"]
