# Shared by deploy/run and deploy/test: installs the Debian packages Loket needs when they are missing.
# As root it runs apt-get itself; otherwise it prints the exact command and stops.

loket_require_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [ "$(id -u)" != 0 ]; then
    echo "Loket needs these Debian packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} …" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

loket_require_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
      export PATH=/opt/swift/usr/bin:$PATH
    else
      echo "Swift 6 is needed (https://www.swift.org/install/linux/), with 'swift' on PATH." >&2
      exit 1
    fi
  fi
}

# Libraries and servers the service itself needs.
LOKET_SERVICE_PACKAGES=(libmicrohttpd-dev libpq-dev libsodium-dev libqrencode-dev zlib1g-dev libcurl4-openssl-dev pkg-config
                        libespeak-ng-dev espeak-ng-data libopus-dev libogg-dev
                        postgresql postgresql-contrib)
