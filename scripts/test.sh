#!/usr/bin/env bash
# Runs the whole streamfx test suite. The tests start their own redis-server
# processes (and a Redis Cluster, with redis-cli), so both must be on PATH;
# -race also needs a C compiler (cgo), and the dashboard's browser test
# Chromium. When they are missing this script
# installs them first (apt-get as root or with sudo on Debian/Ubuntu, brew on
# macOS), and otherwise says exactly what to run. Extra arguments go to
# `go test` (for example: ./scripts/test.sh -race -run Processor).
set -euo pipefail
cd "$(dirname "$0")/.."

have_redis() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1
}

# apt_install installs Debian/Ubuntu packages as root or through sudo; it
# returns 1 when apt-get cannot be used here.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "Not root and no sudo: cannot run apt-get." >&2; return 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_redis() {
  if have_redis; then return 0; fi
  echo "redis-server or redis-cli not found: installing them for the tests..." >&2
  if command -v apt-get >/dev/null 2>&1; then
    apt_install redis-server redis-tools || true
  elif command -v brew >/dev/null 2>&1; then
    brew install redis
  fi
  if ! have_redis; then
    echo "Could not install redis-server and redis-cli. Install Redis 7.0 or later, then run this again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools" >&2
    echo "  macOS:         brew install redis" >&2
    exit 1
  fi
}

have_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
    command -v google-chrome >/dev/null 2>&1 || command -v google-chrome-stable >/dev/null 2>&1
}

# ensure_chromium installs Chromium for the dashboard's browser test. Without
# it that test is skipped, except with CI=true, where it fails.
ensure_chromium() {
  if have_chromium; then return 0; fi
  echo "chromium not found: installing it for the dashboard's browser test..." >&2
  apt_install chromium || true
  if have_chromium; then return 0; fi
  if [ "${CI:-}" = true ]; then
    echo "Could not install chromium, which CI needs for the dashboard's browser test:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  echo "chromium is missing: the dashboard's browser test will be skipped." >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y chromium   macOS: brew install --cask chromium" >&2
}

check_redis_version() {
  local v major
  v=$(redis-server --version | sed -n 's/.*v=\([0-9][0-9.]*\).*/\1/p')
  major=${v%%.*}
  if [ -n "$major" ] && [ "$major" -lt 7 ]; then
    echo "redis-server $v is too old: the tests need Redis 7.0 or later." >&2
    echo "  On Ubuntu 22.04, install it from https://packages.redis.io (see README.md, Requirements)." >&2
    exit 1
  fi
}

# ensure_cgo makes sure -race can build: the race detector needs cgo, which
# Go turns off when it finds no C compiler.
ensure_cgo() {
  if [ "$(go env CGO_ENABLED)" = 1 ]; then return 0; fi
  echo "-race needs cgo, and no C compiler was found: installing gcc..." >&2
  apt_install gcc libc6-dev || true
  if [ "$(go env CGO_ENABLED)" != 1 ]; then
    echo "Could not enable cgo for -race. Install a C compiler, then run this again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y gcc libc6-dev" >&2
    echo "  macOS:         xcode-select --install" >&2
    echo "(or run the tests without -race)" >&2
    exit 1
  fi
}

command -v go >/dev/null 2>&1 || { echo "go is not on PATH: install Go 1.26 or later (https://go.dev/dl/)." >&2; exit 1; }
ensure_redis
check_redis_version
ensure_chromium
for arg in "$@"; do
  case "$arg" in -race | -race=true) ensure_cgo ;; esac
done
exec go test "$@" ./...
