# MinIO server built from the same pinned source the test suite runs against
# (scripts/test.sh), for the compose file. Build context: the repository root.
FROM golang:1.26 AS build
RUN CGO_ENABLED=0 GOBIN=/out go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/minio /minio
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
EXPOSE 9000
ENTRYPOINT ["/minio"]
CMD ["server", "/data", "--address", ":9000"]
