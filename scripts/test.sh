#!/usr/bin/env bash
# Runs the whole streamfx test suite. Installs redis-server first when it is
# missing (apt-get as root or with sudo on Debian/Ubuntu, brew on macOS) and
# otherwise says exactly what to run. Extra arguments go to `go test`
# (for example: ./scripts/test.sh -race -run Processor).
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then return 0; fi
  echo "redis-server not found: installing it for the tests..." >&2
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq redis-server redis-tools >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
      sudo apt-get update -qq && sudo apt-get install -y -qq redis-server redis-tools >/dev/null
    fi
  elif command -v brew >/dev/null 2>&1; then
    brew install redis
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Could not install redis-server. Install it, then run this again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools" >&2
    echo "  macOS:         brew install redis" >&2
    exit 1
  fi
}

ensure_redis
exec go test "$@" ./...
