#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (PostgreSQL server, headless Chromium,
# bubblewrap and libseccomp2 for the agent's sandboxed workers and their seccomp filter, a C++
# toolchain to build llama-cpp-python for the real-model test) when they are missing.
# Idempotent; does nothing when all are present.
set -euo pipefail
packages=(postgresql chromium chromium-driver bubblewrap libseccomp2 build-essential)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
