# Coffre: a static, non-root image for a read-only root filesystem.
# Build: docker build -t coffre .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags nodynamic -trimpath -ldflags "-s -w" -o /out/coffre ./cmd/coffre \
 && mkdir -p /out/data /out/pepper

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/coffre /coffre
# Mount points owned by the runtime user, so that fresh volumes are too.
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 /out/pepper /pepper
USER 65532:65532
# The pepper is kept apart from the data: a backup of the /data volume (the
# SQLite database and the encrypted blobs) must not hold the key that keeps
# that database from being brute-forced offline. Mount it from a secret at
# /pepper/pepper.key (deploy/README.md); without one, the first start creates
# it in the /pepper volume, never in /data.
ENV COFFRE_ADDR=0.0.0.0:8080 COFFRE_DATA_DIR=/data COFFRE_PEPPER_FILE=/pepper/pepper.key
VOLUME ["/data", "/pepper"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/coffre", "healthcheck"]
ENTRYPOINT ["/coffre"]
CMD ["serve"]
