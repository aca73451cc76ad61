#!/usr/bin/env bash
# The Debian packages the tests use as real peers, installed when missing: systemd-analyze checks the
# unit file, socat makes pseudo-terminal pairs for serial devices, pymodbus (with pyserial) is a real
# Modbus RTU slave, GStreamer's RTSP server (through python3-gi) is a real camera serving the store
# clip, node-hid's prebuilt binding needs libudev and libusb to load, and Chromium (driven by
# playwright-core) is the browser the diagnostics page is tested in. Run by `npm test` (pretest)
# and by CI; installs as root, otherwise says what to install.
set -euo pipefail

packages=(
  systemd socat python3-pymodbus python3-serial python3-serial-asyncio
  gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-ugly libudev1 libusb-1.0-0 chromium
)

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
