#!/usr/bin/env bash
# Installs the Debian packages the tests need (browser, Redis, coturn, espeak-ng, SIPp, npm, DejaVu fonts) when missing.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v redis-server >/dev/null || need+=(redis-server)
command -v turnserver >/dev/null || need+=(coturn)
command -v espeak-ng >/dev/null || need+=(espeak-ng)  # spoken test audio for live captions
command -v sipp >/dev/null || need+=(sip-tester)  # SIPp places test calls to the phone gateway
command -v npm >/dev/null || need+=(npm)  # npm ci and the web bundle (node web/build.mjs)
command -v gcc >/dev/null || need+=(gcc)  # builds the SFU's native fan-out (sfu/native)
[ -f /usr/include/srtp2/srtp.h ] || need+=(libsrtp2-dev)  # libsrtp2 for sfu/native/_fanout.c
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)  # certificates
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]} (run as root or: sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
