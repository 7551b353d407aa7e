#!/bin/sh
# Install what tests/support needs from Debian when it is missing (idempotent, quiet).
# Usage: sh tests/support/install.sh   (as root, or with sudo available)
set -eu
if [ ! -x /usr/bin/docker-registry ]; then
    echo "installing Debian's docker-registry (distribution 2.8) for the test registries"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
    # The package starts a system registry on :5000; the tests start their own.
    $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
