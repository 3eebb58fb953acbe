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
ENV COFFRE_ADDR=0.0.0.0:8080 COFFRE_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/coffre", "healthcheck"]
ENTRYPOINT ["/coffre"]
CMD ["serve"]
