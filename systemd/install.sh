#!/usr/bin/env bash
# Installs store-gateway from this checkout on a hub: run once as root from the repository.
# Idempotent: running it again upgrades the code and keeps /etc/store-gateway and the data.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo systemd/install.sh)" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
prefix=/opt/store-gateway

command -v node >/dev/null || { echo "install.sh: Node.js 20 or newer is required (apt-get install nodejs)" >&2; exit 1; }

install -D -m 0644 "$src/systemd/store-gateway.sysusers.conf" /usr/lib/sysusers.d/store-gateway.conf
systemd-sysusers /usr/lib/sysusers.d/store-gateway.conf
install -D -m 0644 "$src/systemd/store-gateway.tmpfiles.conf" /usr/lib/tmpfiles.d/store-gateway.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/store-gateway.conf
install -D -m 0644 "$src/systemd/70-store-gateway.rules" /etc/udev/rules.d/70-store-gateway.rules
if command -v udevadm >/dev/null; then
  udevadm control --reload
  udevadm trigger --subsystem-match=hidraw --subsystem-match=usb --subsystem-match=gpio
fi

mkdir -p "$prefix"
cp -a "$src/package.json" "$src/package-lock.json" "$src/tsconfig.json" "$src/src" "$src/configs" "$src/devices" "$src/README.md" "$prefix/"
(cd "$prefix" && npm ci --no-fund --no-audit && npm run build && npm prune --omit=dev)
ln -sf "$prefix/dist/src/main.js" /usr/local/bin/store-gateway

install -d -m 0750 -o root -g store-gateway /etc/store-gateway
[ -e /etc/store-gateway/store.yaml ] || install -m 0640 -o root -g store-gateway "$src/configs/example-store.yaml" /etc/store-gateway/store.yaml
[ -e /etc/store-gateway/upstream.token ] || install -m 0640 -o root -g store-gateway /dev/null /etc/store-gateway/upstream.token

install -m 0644 "$src/systemd/store-gateway.service" /etc/systemd/system/store-gateway.service
systemctl daemon-reload
echo "installed. Next: edit /etc/store-gateway/store.yaml and upstream.token, then"
echo "  store-gateway check-config /etc/store-gateway/store.yaml && systemctl enable --now store-gateway"
