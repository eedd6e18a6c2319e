#!/usr/bin/env bash
# Installs everything labour needs on Debian 12, from Debian's packages only.
# Usage: scripts/setup-debian.sh [build|servers|test|bench|all]   (default: all)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost1.81-dev libboost-filesystem1.81-dev
  libspdlog-dev libfmt-dev catch2 libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  python3 python3-pytest python3-yaml libxml2-utils procps
  libjs-chart.js  # inlined into the html reporter's pages
)
# Every WSGI server labour has an adapter for (docs/servers.md).
server_pkgs=(
  gunicorn python3-gunicorn uwsgi-core uwsgi-plugin-python3 python3-waitress
  apache2 libapache2-mod-wsgi-py3 python3-gevent python3-eventlet python3-twisted
  python3-cheroot python3-cherrypy3 python3-paste python3-werkzeug python3-tornado
  python3-uvicorn python3-hypercorn python3-asgiref
)
# What the tests look with: the HTML page rendered in headless Chromium, its screenshots read;
# a one-node Slurm cluster that runs examples/slurm (its daemons started and stopped by
# tests/integration/test_slurm.py, never as services); Kubernetes' models that load
# examples/kubernetes.
test_pkgs=(chromium python3-pil fonts-dejavu-core slurm-wlm munge python3-kubernetes)
bench_pkgs=(wrk nginx-light clang libclang-rt-14-dev util-linux slowhttptest stress-ng)

what=${1:-all}
case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  servers) pkgs=("${server_pkgs[@]}") ;;
  test) pkgs=("${test_pkgs[@]}") ;;
  bench) pkgs=("${bench_pkgs[@]}") ;;
  all) pkgs=("${build_pkgs[@]}" "${server_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "setup-debian.sh: unknown set '$what'; use build, servers, test, bench or all" >&2; exit 2 ;;
esac

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Packages such as apache2 and nginx start a system-wide service when installed; labour
# starts its own instances, so keep the package scripts from starting any.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
