#!/bin/sh
# Flotilla agent installer. The Flotilla server serves this file at GET /install.sh with its own URL
# and agent version filled in, so the usual way to run it is:
#
#   curl -fsSL https://flotilla.example.com/install.sh | sudo sh -s -- --token EBT_... [--group slug]
#
# It downloads the agent from that server, checks its SHA-256, creates the flotilla-agent user and
# the directories of protocol.md ("Agent on disk"), installs the agent side by side
# (/opt/flotilla-agent/versions/<version> + a `current` symlink), installs the systemd unit, enrols
# when a token is given, and starts the service. It prefers the single executable (no Node.js
# needed) when the server has one for this host's OS and architecture, and otherwise falls back to
# the bundle, which needs Node.js >= 20. Needs curl (or wget) and sha256sum.
#
# Options (or environment):
#   --token EBT_...      bootstrap token to enrol with            (FLOTILLA_TOKEN)
#   --group SLUG         enrol into this group instead            (FLOTILLA_GROUP)
#   --url URL            server URL                               (FLOTILLA_URL)
#   --version X.Y.Z      agent release to install                 (FLOTILLA_VERSION)
#   --sha256 HEX         expected SHA-256 of the bundle; implies --bundle (default: the server's
#                        x-release-sha256 header)                 (FLOTILLA_SHA256)
#   --root DIR           prefix every path with DIR; no user, chown or systemctl (FLOTILLA_ROOT)
#   --no-systemctl       install the unit but do not enable/start it
#   --bundle             install the bundle (Node.js) even when an executable is offered
set -eu

FLOTILLA_URL="${FLOTILLA_URL:-__FLOTILLA_URL__}"
FLOTILLA_VERSION="${FLOTILLA_VERSION:-__FLOTILLA_VERSION__}"
ROOT="${FLOTILLA_ROOT:-}"
TOKEN="${FLOTILLA_TOKEN:-}"
GROUP="${FLOTILLA_GROUP:-}"
SHA256="${FLOTILLA_SHA256:-}"
SYSTEMCTL=1
FORM="${FLOTILLA_FORM:-executable}"
AGENT_USER=flotilla-agent

say() { printf 'flotilla-install: %s\n' "$*"; }
die() { printf 'flotilla-install: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --token) TOKEN="${2:?--token needs a value}"; shift 2 ;;
    --group) GROUP="${2:?--group needs a value}"; shift 2 ;;
    --url) FLOTILLA_URL="${2:?--url needs a value}"; shift 2 ;;
    --version) FLOTILLA_VERSION="${2:?--version needs a value}"; shift 2 ;;
    --sha256) SHA256="${2:?--sha256 needs a value}"; shift 2 ;;
    --root) ROOT="${2:?--root needs a value}"; shift 2 ;;
    --no-systemctl) SYSTEMCTL=0; shift ;;
    --bundle) FORM=bundle; shift ;;
    -h|--help) sed -n '2,23p' "$0" 2>/dev/null || true; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

if [ -n "$SHA256" ]; then FORM=bundle; fi

case "$FLOTILLA_URL" in
  http://*|https://*) FLOTILLA_URL="${FLOTILLA_URL%/}" ;;
  *) die "no server URL: pass --url https://your-flotilla-server" ;;
esac
case "$FLOTILLA_VERSION" in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) die "no agent version: pass --version X.Y.Z (the server has no release built)" ;;
esac
case "$TOKEN" in
  ''|EBT_*) ;;
  *) die "--token must be a bootstrap token (EBT_...)" ;;
esac
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo), or pass --root DIR for a prefixed install"; fi
if [ -n "$ROOT" ]; then SYSTEMCTL=0; fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT INT TERM

# fetch URL FILE: download with the response headers in $TMP/headers; false on an HTTP error.
fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -D "$TMP/headers" -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -S -O "$2" "$1" 2>"$TMP/headers"
  else
    die "curl or wget is required"
  fi
}
# verified FILE: true when FILE's SHA-256 is --sha256 or the server's x-release-sha256 header.
verified() {
  expected="$SHA256"
  if [ -z "$expected" ]; then
    expected="$(tr -d '\r' <"$TMP/headers" | awk 'tolower($1) == "x-release-sha256:" { print $2 }' | tail -n 1)"
  fi
  [ -n "$expected" ] || die "the server sent no x-release-sha256 header; pass --sha256"
  if command -v sha256sum >/dev/null 2>&1; then
    ACTUAL="$(sha256sum "$1" | awk '{ print $1 }')"
  else
    ACTUAL="$(shasum -a 256 "$1" | awk '{ print $1 }')"
  fi
  [ "$ACTUAL" = "$expected" ] || die "checksum mismatch: got $ACTUAL, expected $expected"
  SHA256="$expected"
}

# The single executable, when the server has one for this OS and architecture and it runs here.
PLATFORM="$(uname -s | tr 'A-Z' 'a-z')-$(uname -m | sed -e 's/^x86_64$/x64/' -e 's/^amd64$/x64/' -e 's/^aarch64$/arm64/')"
ENTRY=""
if [ "$FORM" = executable ] && fetch "$FLOTILLA_URL/deploy/flotilla-agent-$PLATFORM" "$TMP/flotilla-agent" 2>/dev/null; then
  verified "$TMP/flotilla-agent"
  chmod 0755 "$TMP/flotilla-agent"
  if [ "$("$TMP/flotilla-agent" version 2>/dev/null)" = "$FLOTILLA_VERSION" ]; then
    ENTRY=flotilla-agent
    RUN_AGENT="/opt/flotilla-agent/current/flotilla-agent"
    say "checksum ok ($SHA256): the single executable for $PLATFORM, no Node.js needed"
  else
    say "the executable for $PLATFORM does not run here or is not $FLOTILLA_VERSION: using the bundle"
  fi
fi

if [ -z "$ENTRY" ]; then
  NODE="${FLOTILLA_NODE:-$(command -v node || true)}"
  [ -n "$NODE" ] || die "Node.js >= 20 is required (node not found on PATH), or an executable for $PLATFORM on the server"
  "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    die "Node.js >= 20 is required ($NODE is $("$NODE" --version))"
  BUNDLE_URL="$FLOTILLA_URL/api/v1/agents/releases/$FLOTILLA_VERSION"
  say "downloading flotilla-agent $FLOTILLA_VERSION from $FLOTILLA_URL"
  fetch "$BUNDLE_URL" "$TMP/flotilla-agent.mjs" || die "download failed: $BUNDLE_URL"
  verified "$TMP/flotilla-agent.mjs"
  REPORTED="$("$NODE" "$TMP/flotilla-agent.mjs" version)" || die "the downloaded agent does not run on $("$NODE" --version)"
  [ "$REPORTED" = "$FLOTILLA_VERSION" ] || die "the downloaded agent reports version $REPORTED, expected $FLOTILLA_VERSION"
  ENTRY=flotilla-agent.mjs
  RUN_AGENT="$NODE /opt/flotilla-agent/current/flotilla-agent.mjs"
  say "checksum ok ($SHA256)"
fi

if [ -z "$ROOT" ] && ! id "$AGENT_USER" >/dev/null 2>&1; then
  say "creating user $AGENT_USER"
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/flotilla-agent --no-create-home \
      --shell /usr/sbin/nologin "$AGENT_USER"
  else
    addgroup -S "$AGENT_USER" && adduser -S -D -H -h /var/lib/flotilla-agent -s /sbin/nologin -G "$AGENT_USER" "$AGENT_USER"
  fi
  # Let Vector read the journal and /var/log where those groups exist.
  for g in systemd-journal adm; do
    if getent group "$g" >/dev/null 2>&1; then usermod -aG "$g" "$AGENT_USER" 2>/dev/null || true; fi
  done
fi

OPT="$ROOT/opt/flotilla-agent"
ETC="$ROOT/etc/flotilla-agent"
STATE="$ROOT/var/lib/flotilla-agent"
LOGS="$ROOT/var/log/flotilla-agent"
install -d -m 0755 "$OPT/versions/$FLOTILLA_VERSION" "$ROOT/usr/bin" "$ROOT/etc/systemd/system"
install -d -m 0700 "$ETC"
install -d -m 0750 "$STATE" "$STATE/vector" "$LOGS"
install -m 0755 "$TMP/$ENTRY" "$OPT/versions/$FLOTILLA_VERSION/$ENTRY"
ln -sfn "versions/$FLOTILLA_VERSION" "$OPT/current"
ln -sfn "../../opt/flotilla-agent/current/$ENTRY" "$ROOT/usr/bin/flotilla-agent"

if [ ! -f "$ETC/agent.env" ]; then
  VECTOR_BIN="$(command -v vector || true)"
  {
    echo '# Environment for flotilla-agent (see `flotilla-agent help` for every FLOTILLA_AGENT_* setting).'
    if [ -n "$VECTOR_BIN" ]; then echo "FLOTILLA_AGENT_VECTOR_BIN=$VECTOR_BIN"; else echo '#FLOTILLA_AGENT_VECTOR_BIN=/usr/bin/vector'; fi
  } >"$ETC/agent.env"
  chmod 0600 "$ETC/agent.env"
  [ -n "$VECTOR_BIN" ] || say "warning: vector is not installed; install it, or set FLOTILLA_AGENT_VECTOR_BIN in $ETC/agent.env"
fi

UNIT="$ROOT/etc/systemd/system/flotilla-agent.service"
cat >"$TMP/unit" <<'UNIT_EOF'
# systemd unit for the Flotilla agent, installed by install.sh to
# /etc/systemd/system/flotilla-agent.service (install.sh puts the absolute path of node in ExecStart).
[Unit]
Description=Flotilla agent (pulls its Vector config from Flotilla and supervises Vector)
Wants=network-online.target
After=network-online.target
# Never give up restarting: an upgrade or a rollback restarts the unit on purpose.
StartLimitIntervalSec=0

[Service]
Type=simple
User=flotilla-agent
Group=flotilla-agent
EnvironmentFile=-/etc/flotilla-agent/agent.env
Environment=FLOTILLA_AGENT_SERVICE_MANAGER=systemd
ExecStart=/usr/bin/node /opt/flotilla-agent/current/flotilla-agent.mjs run
Restart=always
RestartSec=5
# The agent stops Vector itself (SIGTERM, grace period, SIGKILL) and reaps a Vector left behind
# after a crash. KillMode=process lets the upgrade watcher survive the restart into a new version
# (see agent/actions/upgrade.ts); TimeoutStopSec covers the agent's 30 s Vector grace period.
KillMode=process
TimeoutStopSec=45
LimitNOFILE=65536
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=yes
ReadWritePaths=/etc/flotilla-agent /var/lib/flotilla-agent /var/log/flotilla-agent /opt/flotilla-agent

[Install]
WantedBy=multi-user.target
UNIT_EOF
sed "s|^ExecStart=/usr/bin/node /opt/flotilla-agent/current/flotilla-agent.mjs |ExecStart=$RUN_AGENT |" "$TMP/unit" >"$UNIT"
chmod 0644 "$UNIT"

if [ -z "$ROOT" ]; then
  chown -R "$AGENT_USER:$AGENT_USER" "$OPT" "$ETC" "$STATE" "$LOGS"
fi

if [ -n "$TOKEN" ]; then
  say "enrolling with $FLOTILLA_URL"
  set -- enrol --api-url "$FLOTILLA_URL" --token "$TOKEN" \
    --config-dir "$ETC" --state-dir "$STATE" --log-dir "$LOGS" --install-dir "$OPT"
  if [ -n "$GROUP" ]; then set -- "$@" --group "$GROUP"; fi
  if [ "$ENTRY" = flotilla-agent ]; then set -- "$OPT/current/flotilla-agent" "$@"; else set -- "$NODE" "$OPT/current/flotilla-agent.mjs" "$@"; fi
  "$@" || die "enrolment failed (see the message above)"
fi

if [ "$SYSTEMCTL" = 1 ]; then
  systemctl daemon-reload
  systemctl enable flotilla-agent >/dev/null
  systemctl restart flotilla-agent
  say "flotilla-agent $FLOTILLA_VERSION is running (systemctl status flotilla-agent)"
else
  say "installed flotilla-agent $FLOTILLA_VERSION under ${ROOT:-/} (service not started)"
fi
if [ -z "$TOKEN" ]; then
  say "not enrolled yet: run  flotilla-agent enrol --api-url $FLOTILLA_URL --token EBT_..."
fi
