#!/usr/bin/env bash
# Runs the whole streamfx test suite. The tests start their own redis-server
# processes (and a Redis Cluster, with redis-cli), so both must be on PATH:
# when they are missing this script installs them first (apt-get as root or
# with sudo on Debian/Ubuntu, brew on macOS), and otherwise says exactly what
# to run. Extra arguments go to `go test` (for example:
# ./scripts/test.sh -race -run Processor).
set -euo pipefail
cd "$(dirname "$0")/.."

have_redis() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1
}

install_hint() {
  echo "Install redis-server 7.0 or later (with redis-cli), then run this again:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools" >&2
  echo "  macOS:         brew install redis" >&2
}

ensure_redis() {
  if have_redis; then return 0; fi
  echo "redis-server or redis-cli not found: installing them for the tests..." >&2
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "Not root and no sudo: cannot run apt-get." >&2
        install_hint; exit 1
      fi
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    brew install redis
  fi
  if ! have_redis; then
    echo "Could not install redis-server and redis-cli." >&2
    install_hint; exit 1
  fi
}

check_version() {
  local v major
  v=$(redis-server --version | sed -n 's/.*v=\([0-9][0-9.]*\).*/\1/p')
  major=${v%%.*}
  if [ -n "$major" ] && [ "$major" -lt 7 ]; then
    echo "redis-server $v is too old: the tests need Redis 7.0 or later." >&2
    echo "  On Ubuntu 22.04, install it from https://packages.redis.io (see README.md, Requirements)." >&2
    exit 1
  fi
}

command -v go >/dev/null 2>&1 || { echo "go is not on PATH: install Go 1.26 or later (https://go.dev/dl/)." >&2; exit 1; }
ensure_redis
check_version
exec go test "$@" ./...
