#!/usr/bin/env bash
# Install the two packages build-deb.sh made, check what they put where, start the installed server the way its
# systemd unit would (its ExecStart, EnvironmentFile, User, WorkingDirectory) without systemd, ask /v1/health,
# then remove and purge both and check that purge took the data and the user. Root, Debian, no systemd needed.
#
#   packaging/check-deb.sh [--replace] [--listen ADDR] DIR
#
# DIR holds pingan_*.deb and pingan-sync_*.deb. Depends are pulled with apt-get (run apt-get update first).
# --replace purges an earlier install of the two first (otherwise the check refuses to touch one).
# --listen overrides PINGAN_SYNC_LISTEN from the installed env file, for a machine where 7878 is taken.
set -euo pipefail

REPLACE=0
LISTEN_OVERRIDE=""
DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --replace) REPLACE=1; shift ;;
    --listen) LISTEN_OVERRIDE="${2:?--listen needs host:port}"; shift 2 ;;
    -h | --help) sed -n '6p' "$0" | sed 's/^# *//'; exit 0 ;;
    *) [ -z "$DIR" ] || { echo "check-deb: one directory only" >&2; exit 2; }; DIR="$1"; shift ;;
  esac
done
[ -n "$DIR" ] || { echo "usage: check-deb.sh [--replace] [--listen ADDR] DIR" >&2; exit 2; }

STEP="start"
SERVER_PID=""
LOG="$(mktemp)"
step() {
  STEP="$*"
  echo "== check-deb: $*"
}
fail() {
  echo "check-deb: FAILED at '$STEP': $*" >&2
  exit 1
}
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    [ ! -s "$LOG" ] || { echo "--- server log:" >&2; tail -n 40 "$LOG" >&2; }
    # Leave no half-installed packages behind (best effort).
    dpkg -P pingan pingan-sync >/dev/null 2>&1 || true
    echo "check-deb: FAILED (exit $rc)" >&2
  fi
  rm -f "$LOG"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs packages and creates a system user)"
for tool in curl setpriv apt-get dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is needed (apt-get install -y curl util-linux)"
done
DIR="$(cd "$DIR" && pwd)" || fail "no directory $DIR"
DESKTOP_DEB="$(find "$DIR" -maxdepth 1 -name 'pingan_*.deb' | sort -V | tail -1)"
SERVER_DEB="$(find "$DIR" -maxdepth 1 -name 'pingan-sync_*.deb' | sort -V | tail -1)"
[ -n "$DESKTOP_DEB" ] || fail "no pingan_*.deb in $DIR (run packaging/build-deb.sh --out $DIR)"
[ -n "$SERVER_DEB" ] || fail "no pingan-sync_*.deb in $DIR"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' ok installed$'; }
known() { dpkg-query -W -f='${Status}' "$1" >/dev/null 2>&1 && ! dpkg-query -W -f='${Status}' "$1" | grep -q 'not-installed$'; }

step "packages"
for deb in "$DESKTOP_DEB" "$SERVER_DEB"; do
  printf '%s  %s\n' "$(du -h "$deb" | cut -f1)" "$(basename "$deb")"
  dpkg-deb --field "$deb" Package Version Architecture Installed-Size Depends | sed 's/^/    /'
done

step "no earlier install"
for p in pingan pingan-sync; do
  if known "$p"; then
    [ "$REPLACE" = 1 ] || fail "$p is already installed (or its conffiles are): pass --replace to purge it first"
    dpkg -P "$p" >/dev/null
  fi
done
if getent passwd pingan-sync >/dev/null; then
  [ "$REPLACE" = 1 ] || fail "a user pingan-sync exists already: the purge check would remove it; pass --replace"
fi

step "install (apt-get pulls the Depends)"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$DESKTOP_DEB" "$SERVER_DEB" >"$LOG" 2>&1 ||
  fail "apt-get install failed: $(tail -n 20 "$LOG")"
: >"$LOG"
installed pingan || fail "pingan is not installed after apt-get install"
installed pingan-sync || fail "pingan-sync is not installed after apt-get install"

step "files"
for f in /usr/bin/pingan /usr/bin/pingan-sync; do
  [ -x "$f" ] || fail "$f missing or not executable"
done
for f in /usr/share/applications/pingan.desktop /usr/share/icons/hicolor/scalable/apps/pingan.svg \
  /usr/share/icons/hicolor/256x256/apps/pingan.png /usr/share/metainfo/org.pingan.Pingan.metainfo.xml \
  /usr/share/doc/pingan/copyright /lib/systemd/system/pingan-sync.service /etc/pingan-sync/pingan-sync.env \
  /usr/share/doc/pingan-sync/README.md /usr/share/doc/pingan-sync/copyright; do
  [ -f "$f" ] || fail "$f missing"
done
dpkg-query -W -f='${Conffiles}\n' pingan-sync | grep -q '/etc/pingan-sync/pingan-sync.env' ||
  fail "/etc/pingan-sync/pingan-sync.env is not registered as a conffile"
[ "$(stat -c '%U:%G %a' /etc/pingan-sync/pingan-sync.env)" = "root:root 640" ] ||
  fail "pingan-sync.env should be root:root 0640, is $(stat -c '%U:%G %a' /etc/pingan-sync/pingan-sync.env)"
grep -q '^Exec=pingan$' /usr/share/applications/pingan.desktop || fail "the desktop entry does not run pingan"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate /usr/share/applications/pingan.desktop || fail "desktop-file-validate"
fi
if command -v appstreamcli >/dev/null 2>&1; then
  appstreamcli validate --no-net /usr/share/metainfo/org.pingan.Pingan.metainfo.xml >"$LOG" 2>&1 ||
    fail "appstreamcli validate: $(cat "$LOG")"
  : >"$LOG"
fi

step "user and state directory"
getent passwd pingan-sync >/dev/null || fail "no system user pingan-sync"
uid="$(id -u pingan-sync)"
[ "$uid" -lt 1000 ] || fail "pingan-sync has uid $uid: not a system user"
[ -d /var/lib/pingan-sync ] || fail "no /var/lib/pingan-sync"
[ "$(stat -c '%U:%G %a' /var/lib/pingan-sync)" = "pingan-sync:pingan-sync 750" ] ||
  fail "/var/lib/pingan-sync is $(stat -c '%U:%G %a' /var/lib/pingan-sync), not pingan-sync:pingan-sync 750"
getent passwd pingan-sync | cut -d: -f1,3,4,6,7

step "pingan --help"
help="$(pingan --help 2>&1)" || fail "pingan --help failed: $help"
grep -q -- '--server' <<<"$help" || fail "pingan --help does not list --server: $help"
echo "$help" | head -n 3
pingan-sync --version || fail "pingan-sync --version"

step "start the installed server as its unit would"
UNIT=/lib/systemd/system/pingan-sync.service
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
exec_start="$(unit_value ExecStart)"
env_file="$(unit_value EnvironmentFile)"
env_file="${env_file#-}"
run_user="$(unit_value User)"
work_dir="$(unit_value WorkingDirectory)"
if [ -z "$exec_start" ] || [ -z "$env_file" ] || [ -z "$run_user" ]; then
  fail "the unit lacks ExecStart, EnvironmentFile or User"
fi
echo "ExecStart=$exec_start"
echo "EnvironmentFile=$env_file User=$run_user WorkingDirectory=${work_dir:-/}"

# The EnvironmentFile: KEY=value lines (quotes around a value dropped), comments and blank lines skipped.
declare -A ENV=()
while IFS= read -r line || [ -n "$line" ]; do
  line="${line#"${line%%[![:space:]]*}"}"
  case "$line" in '' | '#'* | ';'*) continue ;; esac
  key="${line%%=*}"
  value="${line#*=}"
  [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "bad line in $env_file: $line"
  if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
  ENV[$key]="$value"
done <"$env_file"
[ -z "$LISTEN_OVERRIDE" ] || ENV[PINGAN_SYNC_LISTEN]="$LISTEN_OVERRIDE"

# ExecStart as systemd expands it: ${X} is one argument, $X splits at whitespace (empty: none).
argv=()
read -r -a words <<<"$exec_start"
for w in "${words[@]}"; do
  if [[ "$w" =~ ^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$ ]]; then
    argv+=("${ENV[${BASH_REMATCH[1]}]:-}")
  elif [[ "$w" =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
    read -r -a split <<<"${ENV[${BASH_REMATCH[1]}]:-}"
    argv+=(${split[@]+"${split[@]}"})
  else
    argv+=("$w")
  fi
done
env_args=(PATH=/usr/sbin:/usr/bin:/sbin:/bin "HOME=$(getent passwd "$run_user" | cut -d: -f6)" LANG=C.UTF-8)
for k in "${!ENV[@]}"; do env_args+=("$k=${ENV[$k]}"); done
echo "runs: ${argv[*]}"

listen="${ENV[PINGAN_SYNC_LISTEN]:-127.0.0.1:7878}"
port="${listen##*:}"
host="${listen%:*}"
case "$host" in 0.0.0.0 | '[::]' | '') host=127.0.0.1 ;; esac
url="http://$host:$port"
if curl -fsS --max-time 2 "$url/v1/health" >/dev/null 2>&1; then
  fail "something already answers on $url: stop it, or pass --listen 127.0.0.1:PORT"
fi

umask_value="$(unit_value UMask)"
(
  cd "${work_dir:-/}"
  umask "${umask_value:-0022}"
  exec setpriv --reuid="$run_user" --regid="$run_user" --init-groups --no-new-privs -- \
    env -i "${env_args[@]}" "${argv[@]}"
) >"$LOG" 2>&1 &
SERVER_PID=$!

step "GET $url/v1/health"
answer=""
for _ in $(seq 1 60); do
  kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID" || true; fail "the server exited at start"; }
  if answer="$(curl -fsS --max-time 2 "$url/v1/health" 2>/dev/null)"; then break; fi
  answer=""
  sleep 0.5
done
[ -n "$answer" ] || fail "no answer from $url/v1/health within 30 s"
echo "$answer"
grep -q '"ok":true' <<<"$answer" || fail "health does not say ok: $answer"
proc_uid="$(awk '/^Uid:/ { print $3 }' "/proc/$SERVER_PID/status")"
[ "$proc_uid" = "$(id -u "$run_user")" ] || fail "the server runs as uid $proc_uid, not $run_user"
echo "server pid $SERVER_PID runs as $run_user (uid $proc_uid)"
db="${ENV[PINGAN_SYNC_DB]:-}"
if [ -n "$db" ] && [ "${db#postgres}" = "$db" ]; then
  [ -f "$db" ] || fail "no database at $db"
  [ "$(stat -c %U "$db")" = "$run_user" ] || fail "$db belongs to $(stat -c %U "$db"), not $run_user"
  ls -l "$db"

  step "a user and a token through the admin command, /v1/info with the token"
  token="$(setpriv --reuid="$run_user" --regid="$run_user" --init-groups -- \
    env -i PATH=/usr/bin:/bin RUST_LOG=warn pingan-sync --db "$db" user add check-deb --role operator)" ||
    fail "pingan-sync user add as $run_user"
  info="$(curl -fsS --max-time 5 -H "Authorization: Bearer $token" "$url/v1/info")" || fail "GET /v1/info with the token"
  echo "$info"
  grep -q '"user":"check-deb"' <<<"$info" || fail "/v1/info does not name the user: $info"
fi

step "stop the server"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$SERVER_PID" 2>/dev/null; then fail "the server did not stop within 10 s of SIGTERM"; fi
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
echo "--- server log (tail):"
tail -n 5 "$LOG"
: >"$LOG"

step "dpkg -r (keeps the data, the user and the conffile)"
dpkg -r pingan pingan-sync >/dev/null
if [ -e /usr/bin/pingan ] || [ -e /usr/bin/pingan-sync ]; then fail "binaries left after dpkg -r"; fi
[ ! -e /usr/share/applications/pingan.desktop ] || fail "desktop entry left after dpkg -r"
[ -f /etc/pingan-sync/pingan-sync.env ] || fail "dpkg -r removed the conffile"
[ -d /var/lib/pingan-sync ] || fail "dpkg -r removed /var/lib/pingan-sync"
getent passwd pingan-sync >/dev/null || fail "dpkg -r removed the user"

step "dpkg -P (removes the data, the user and /etc/pingan-sync)"
# pingan has no conffiles, so dpkg -r left nothing of it to purge.
for p in pingan pingan-sync; do
  if known "$p"; then dpkg -P "$p" >/dev/null; fi
done
[ ! -e /var/lib/pingan-sync ] || fail "/var/lib/pingan-sync left after purge"
! getent passwd pingan-sync >/dev/null || fail "user pingan-sync left after purge"
! getent group pingan-sync >/dev/null || fail "group pingan-sync left after purge"
[ ! -e /etc/pingan-sync ] || fail "/etc/pingan-sync left after purge"
if known pingan || known pingan-sync; then fail "dpkg still knows the packages after purge"; fi

echo "check-deb: OK ($(basename "$DESKTOP_DEB"), $(basename "$SERVER_DEB"))"
