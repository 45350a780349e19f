#!/usr/bin/env bash
# Installs the Debian packages VantageAdapt needs when they are missing; idempotent, does
# nothing when all are present.
#   system-deps.sh run   what `vantage run` uses: bubblewrap and libseccomp2 for the agent's
#                        sandboxed workers and their seccomp filter, libgomp1 for numba's
#                        thread-safe OpenMP threading layer. Best effort: a run works without
#                        them (code patches off, says `vantage doctor`), so a failed install
#                        warns and carries on.
#   system-deps.sh       the test suite's too: PostgreSQL server, headless Chromium, and a C++
#                        toolchain to build llama-cpp-python for the real-model test. Strict.
set -euo pipefail
packages=(bubblewrap libseccomp2 libgomp1)
[ "${1:-test}" = run ] || packages+=(postgresql chromium chromium-driver build-essential)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
install() {
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ "${1:-test}" = run ]; then
  install "${missing[@]}" || echo "warning: could not install ${missing[*]}; the run goes on" \
    "without them (see \`vantage doctor\`)" >&2
else
  install "${missing[@]}"
fi
