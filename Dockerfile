# Coffre: a static, non-root image. Build: docker build -t coffre .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/coffre ./cmd/coffre

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/coffre /coffre
USER nonroot:nonroot
ENV COFFRE_ADDR=0.0.0.0:8080 COFFRE_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/coffre", "healthcheck"]
ENTRYPOINT ["/coffre"]
CMD ["serve"]
