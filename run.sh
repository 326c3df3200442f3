#!/usr/bin/env bash
# The hotline's entry point on a fresh Debian 12 machine (as root):
#   ./run.sh demo        install what is missing, bring the sandbox up and run the demo
#   ./run.sh test        install what is missing, then lint, type-check and run every test
#   ./run.sh setup       only install (Debian packages, the Python environment)
#   ./run.sh hotline ... any `hotline` command in the project's environment (e.g. ./run.sh hotline check)
set -euo pipefail
cd "$(dirname "$0")"

DEBIAN_PACKAGES=(debootstrap redis-server sip-tester espeak-ng ffmpeg fail2ban python3-venv ca-certificates)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

setup_debian() {
  [ "$(id -u)" = 0 ] || die "run me as root (sudo ./run.sh $*): I install Debian packages and run Asterisk in a chroot"
  command -v apt-get >/dev/null || die "this needs Debian 12 (apt-get not found)"
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts its own Redis on port 6379; the sandbox runs its own (with a password and the
  # append-only file on) on that port, so the packaged service is stopped.
  if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
    say "Stopping and disabling Debian's redis-server service (the sandbox runs its own Redis)"
    systemctl disable --now redis-server >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/redis-server ] && /etc/init.d/redis-server status >/dev/null 2>&1; then
    say "Stopping Debian's redis-server service (the sandbox runs its own Redis)"
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
  fi
}

setup_python() {
  local stamp=.venv/.installed
  local want
  want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
  if [ ! -x .venv/bin/python ]; then
    say "Creating the Python environment (.venv)"
    /usr/bin/python3 -m venv .venv
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing the project and its Python dependencies into .venv"
    .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
    echo "$want" > "$stamp"
  fi
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup)
    setup_debian setup; setup_python ;;
  demo)
    setup_debian demo; setup_python
    exec .venv/bin/hotline demo "$@" ;;
  test)
    setup_debian test; setup_python
    say "Lint (ruff) and types (mypy)"
    .venv/bin/ruff check hotline ivr router tests
    .venv/bin/mypy
    say "Tests: unit, Redis, and end to end through Asterisk with SIPp"
    exec .venv/bin/pytest "$@" ;;
  hotline)
    setup_python
    exec .venv/bin/hotline "$@" ;;
  *)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || [ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 2 ;;
esac
