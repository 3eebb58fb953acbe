#!/usr/bin/env bash
# Coffre's whole test suite: installs what the tests need, then runs go vet,
# staticcheck and go test -race on every package. This is the README's test
# command and what .ci/run calls.
#
# Installs (reused when present):
#   - Debian packages the tests drive (when running as root): qpdf, poppler-utils,
#     tesseract-ocr(-fra), chromium, postgresql, fonts-noto-core (the fonts of
#     Android phones, for every script the catalogues use), libvips-tools (the
#     plain resize the hard-photo corpus must beat; BENCHMARKS.md adds ocrmypdf)
#   - into .tools/bin (git-ignored): the MinIO server, staticcheck, gosec,
#     govulncheck, the age CLI
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export COFFRE_TOOLS_BIN="$root/.tools/bin"
mkdir -p "$COFFRE_TOOLS_BIN" "$root/testoutput"
export PATH="$COFFRE_TOOLS_BIN:$PATH"
# nodynamic: the HEIC decoder stays in its WASM sandbox and never loads a
# system libheif (which also keeps the binary static). Every go command,
# staticcheck, gosec and govulncheck below read it from GOFLAGS.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=nodynamic"

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
STATICCHECK_VERSION=v0.8.2
AGE_VERSION=v1.3.2
GOSEC_VERSION=v2.29.0
GOVULNCHECK_VERSION=v1.8.0
# gosec rules left out, for the whole tree (SECURITY.md explains each):
#   G104 unhandled errors: only best-effort cleanup on paths that already fail
#   G115 integer conversions: pixel arithmetic bounded by the converter's pixel budget
#   G204 subprocesses: test harnesses starting pinned tools (MinIO, PostgreSQL, tesseract)
#   G304 file paths from variables: operator-given paths (flags, config) by design;
#        no storage path is ever built from user input (blob keys are validated ids)
#   G703 path traversal by taint analysis: the same operator-given paths (pepper
#        file, data directory, secret files) traced from the COFFRE_* environment
GOSEC_EXCLUDE=G104,G115,G204,G304,G703
DEB_PACKAGES="qpdf poppler-utils tesseract-ocr tesseract-ocr-fra chromium postgresql fontconfig fonts-noto-core libvips-tools"

step() { printf '\n==> %s\n' "$*"; }

# Debian packages: install the missing ones when we can (root).
missing=""
for p in $DEB_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    step "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "warning: missing Debian packages:$missing (not root: tests needing them fail in CI, skip elsewhere)" >&2
  fi
fi

# Go tools, pinned, into the tools folder; a stamp file records the version.
install_tool() { # name version package
  local name=$1 ver=$2 pkg=$3 stamp="$COFFRE_TOOLS_BIN/.$1.version"
  if [ -x "$COFFRE_TOOLS_BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$ver" ]; then
    return
  fi
  step "building $name $ver into .tools/bin"
  GOBIN="$COFFRE_TOOLS_BIN" go install "$pkg@$ver"
  echo "$ver" >"$stamp"
}
install_tool minio "$MINIO_VERSION" github.com/minio/minio
install_tool staticcheck "$STATICCHECK_VERSION" honnef.co/go/tools/cmd/staticcheck
install_tool age "$AGE_VERSION" filippo.io/age/cmd/...

# axe-core (accessibility checks injected into pages by the browser tests),
# from the npm registry through npm itself into .tools/axe (git-ignored; no
# node_modules). Packages come only through npm and go, never from a
# hard-coded address: without npm, the browser tests report axe missing.
AXE_VERSION=4.14.1
axe_dir="$root/.tools/axe"
if [ "$(cat "$axe_dir/.version" 2>/dev/null)" != "$AXE_VERSION" ] || [ ! -f "$axe_dir/axe.min.js" ]; then
  if command -v npm >/dev/null; then
    step "fetching axe-core $AXE_VERSION into .tools/axe (npm pack)"
    rm -rf "$axe_dir" && mkdir -p "$axe_dir"
    tgz="axe-core-$AXE_VERSION.tgz"
    (cd "$axe_dir" && npm pack "axe-core@$AXE_VERSION" --silent >/dev/null)
    (cd "$axe_dir" && tar -xzf "$tgz" package/axe.min.js && mv package/axe.min.js . \
      && rmdir package && rm -f "$tgz" && echo "$AXE_VERSION" >.version)
  else
    echo "warning: npm not found: axe-core not installed (browser tests fail in CI, skip elsewhere)" >&2
  fi
fi
install_tool gosec "$GOSEC_VERSION" github.com/securego/gosec/v2/cmd/gosec
install_tool govulncheck "$GOVULNCHECK_VERSION" golang.org/x/vuln/cmd/govulncheck

# go.mod and go.sum say exactly what the code imports: direct requirements
# unmarked, no unused module, no missing sum.
step "go mod tidy -diff"
if ! go mod tidy -diff; then
  echo "go.mod or go.sum is not tidy: run go mod tidy and commit the result" >&2
  exit 1
fi

step "go vet"
go vet ./...

step "staticcheck $STATICCHECK_VERSION"
staticcheck ./...

step "gosec $GOSEC_VERSION (excluded: $GOSEC_EXCLUDE)"
gosec -quiet -fmt text -exclude "$GOSEC_EXCLUDE" ./...

# govulncheck needs a vulnerability database; this machine has no network
# access to vuln.go.dev, so it runs on the offline copy when there is one
# (COFFRE_VULNDB: a directory of OSV files or the osv.tgz archive).
vulndb=${COFFRE_VULNDB:-$root/../shared/vulndb/osv.tgz}
if [ -f "$vulndb" ]; then
  mkdir -p "$root/.tools/vulndb"
  tar xzf "$vulndb" -C "$root/.tools/vulndb"
  vulndb="$root/.tools/vulndb/data/osv"
fi
if [ -d "$vulndb" ]; then
  step "govulncheck $GOVULNCHECK_VERSION (offline database $vulndb)"
  govulncheck -db "file://$vulndb" ./...
else
  step "govulncheck: no offline vulnerability database at $vulndb, not run"
fi

step "go test -race ./... (full log: testoutput/go-test.log)"
set +e
go test -race -count=1 -timeout 60m -v ./... >"$root/testoutput/go-test.log" 2>&1
status=$?
set -e
# Top-level results, every skip and failure, and the per-package lines.
grep -E '^(--- (PASS|FAIL|SKIP)|    --- (FAIL|SKIP)|=== NAME|panic:|FAIL|ok  |\?   )|conformance|CCTV' "$root/testoutput/go-test.log" \
  | grep -vE '^=== NAME' || true
if [ $status -ne 0 ]; then
  echo
  echo "go test failed; the failing output:"
  grep -B2 -A30 -E '^\s*--- FAIL' "$root/testoutput/go-test.log" | head -400 || true
fi
exit $status
