#!/usr/bin/env bash
# Install the two packages build-deb.sh made, check what they put where, check the wall's user unit and its wrapper
# (dry runs, a run with no display, the --loop restarts), start the installed server the way its systemd unit would
# (its ExecStart, EnvironmentFile, User, WorkingDirectory) without systemd, ask /v1/health, then remove and purge
# both and check that purge took the data and the user. Root, Debian, no systemd needed.
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
    -h | --help) sed -n '7p' "$0" | sed 's/^# *//'; exit 0 ;;
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

step "the wall: user unit, wrapper, examples"
WALL_UNIT=/usr/lib/systemd/user/pingan-wall.service
WALL=/usr/lib/pingan/pingan-wall
EXAMPLES=/usr/share/doc/pingan/examples
[ -f "$WALL_UNIT" ] || fail "$WALL_UNIT missing"
[ -x "$WALL" ] || fail "$WALL missing or not executable"
for f in "$EXAMPLES/wall.env" "$EXAMPLES/xinitrc" "$EXAMPLES/wall-three-monitors.toml" \
  "$EXAMPLES/wall-one-x-screen.toml" /usr/share/doc/pingan/README.md; do
  [ -f "$f" ] || fail "$f missing"
done
wall_value() { sed -n "s/^$1=//p" "$WALL_UNIT"; }
for want in Restart=always RestartSec=3 PartOf=graphical-session.target After=graphical-session.target \
  WantedBy=graphical-session.target; do
  grep -qx "$want" "$WALL_UNIT" || fail "$WALL_UNIT lacks $want"
done
[ "$(wall_value ExecStart | wc -l)" = 1 ] || fail "$WALL_UNIT should have one ExecStart"
wall_exec="$(wall_value ExecStart)"
wall_exe="${wall_exec%% *}"
wall_exe="${wall_exe#"${wall_exe%%[!@:+!-]*}"}"
[ "${wall_exe#/}" != "$wall_exe" ] || fail "ExecStart=$wall_exec: not an absolute path"
[ -x "$wall_exe" ] || fail "ExecStart=$wall_exec: $wall_exe is not an installed executable"
dpkg -S "$wall_exe" 2>/dev/null | grep -q '^pingan:' || fail "ExecStart=$wall_exec: $wall_exe is not pingan's"
echo "ExecStart=$wall_exec (from the package pingan)"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Without a running user manager: a runtime directory of its own is enough for `verify --user`.
  rt="$(mktemp -d)"
  chmod 700 "$rt"
  verify_rc=0
  verify="$(XDG_RUNTIME_DIR="$rt" HOME="$rt" systemd-analyze verify --user "$WALL_UNIT" 2>&1)" || verify_rc=$?
  rm -rf "$rt"
  if grep -q 'Failed to initialize manager\|Failed to lookup RuntimeDirectory' <<<"$verify"; then
    echo "systemd-analyze verify --user: skipped, no user manager can start here: $verify"
  elif [ "$verify_rc" -ne 0 ] || grep -q 'pingan-wall' <<<"$verify"; then
    fail "systemd-analyze verify --user $WALL_UNIT: $verify"
  else
    echo "systemd-analyze verify --user: ok${verify:+ (said: $verify)}"
  fi
else
  echo "systemd-analyze not installed: skipping systemd-analyze verify --user"
fi
for f in "$WALL" "$EXAMPLES/xinitrc"; do
  sh -n "$f" || fail "sh -n $f"
done

# The wrapper's command, dry-run in a clean environment with a HOME of its own: without and with a layout file, with
# the settings file, and as systemd runs it (INVOCATION_ID set: systemd has read the settings file already).
wall_home="$(mktemp -d)"
wall_dry() { env -i PATH=/usr/bin:/bin HOME="$wall_home" PINGAN_WALL_DRY_RUN=1 "$@" 2>"$LOG"; }
expect_dry() {
  local want="$1" got
  shift
  got="$(wall_dry "$@")" || fail "$* (dry run) failed: $(cat "$LOG")"
  [ "$got" = "$want" ] || fail "$* (dry run) gives '$got', not '$want' ($(cat "$LOG"))"
  echo "  $got"
}
echo "dry runs (HOME=$wall_home):"
expect_dry "/usr/bin/pingan --wall" "$WALL"
mkdir -p "$wall_home/.config/pingan"
cp "$EXAMPLES/wall-three-monitors.toml" "$wall_home/.config/pingan/wall.toml"
expect_dry "/usr/bin/pingan --wall $wall_home/.config/pingan/wall.toml" "$WALL"
expect_dry "/usr/bin/pingan --freeze --wall /etc/wall.toml" "$WALL" --layout /etc/wall.toml --freeze
printf '%s\n' '# test' PINGAN_SERVER=http://wall.example:7878 'PINGAN_TOKEN="check-deb-secret"' \
  'PINGAN_WALL_ARGS=--freeze --sound' >"$wall_home/.config/pingan/wall.env"
expect_dry "/usr/bin/pingan --server http://wall.example:7878 --freeze --sound --wall \
$wall_home/.config/pingan/wall.toml" "$WALL"
grep -q 'PINGAN_TOKEN set' "$LOG" || fail "the wrapper did not take PINGAN_TOKEN from wall.env: $(cat "$LOG")"
! grep -q 'check-deb-secret' "$LOG" || fail "the wrapper printed the token: $(cat "$LOG")"
expect_dry "/usr/bin/pingan --wall $wall_home/.config/pingan/wall.toml" env INVOCATION_ID=1 "$WALL"
rm "$wall_home/.config/pingan/wall.env"
rm "$wall_home/.config/pingan/wall.toml"
if wall_dry "$WALL" --wall x >/dev/null; then fail "the wrapper took --wall (it adds --wall itself)"; fi
: >"$LOG"

# For real, through the wrapper, with no display: each example layout must load without a complaint, and pingan then
# stops at the window it cannot open.
for layout in "$EXAMPLES/wall-three-monitors.toml" "$EXAMPLES/wall-one-x-screen.toml"; do
  cp "$layout" "$wall_home/.config/pingan/wall.toml"
  if env -i PATH=/usr/bin:/bin HOME="$wall_home" LANG=C.UTF-8 timeout 60 "$WALL" >"$LOG" 2>&1; then
    fail "pingan --wall with no display exited 0: $(tail -n 20 "$LOG")"
  fi
  grep -q 'wall layout:' "$LOG" && fail "$layout: $(grep 'wall layout:' "$LOG")"
  grep -q 'could not open the window' "$LOG" || fail "pingan --wall $layout, no display: $(tail -n 20 "$LOG")"
  echo "$(basename "$layout"): loads; with no display: $(grep -o 'could not open the window' "$LOG" | head -1)"
done
: >"$LOG"

# --loop (the bare X server's way): a pingan that exits at once is restarted after PINGAN_WALL_RESTART_SEC, each
# restart told on stderr; SIGTERM ends the loop.
env -i PATH=/usr/bin:/bin HOME="$wall_home" PINGAN_BIN=/bin/false PINGAN_WALL_RESTART_SEC=0.2 "$WALL" --loop 2>"$LOG" &
loop_pid=$!
sleep 1.5
kill -TERM "$loop_pid" 2>/dev/null || fail "pingan-wall --loop ended by itself: $(cat "$LOG")"
for _ in $(seq 1 20); do kill -0 "$loop_pid" 2>/dev/null || break; sleep 0.25; done
kill -0 "$loop_pid" 2>/dev/null && { kill -KILL "$loop_pid"; fail "pingan-wall --loop did not stop on SIGTERM"; }
loop_rc=0
wait "$loop_pid" || loop_rc=$?
[ "$loop_rc" = 0 ] || fail "pingan-wall --loop exited $loop_rc on SIGTERM: $(cat "$LOG")"
restarts="$(grep -c 'restarting in 0.2 s' "$LOG" || true)"
[ "$restarts" -ge 2 ] || fail "pingan-wall --loop restarted $restarts times in 1.5 s (0.2 s apart): $(cat "$LOG")"
grep -q 'stopped$' "$LOG" || fail "pingan-wall --loop did not log its stop: $(cat "$LOG")"
echo "--loop: $restarts restarts in 1.5 s, stopped by SIGTERM; its log:"
sed -n '1,2p;$p' "$LOG" | sed 's/^/    /'
: >"$LOG"
rm -rf "$wall_home"

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
[ ! -e /usr/lib/systemd/user/pingan-wall.service ] || fail "the wall's user unit left after dpkg -r"
[ ! -e /usr/lib/pingan ] || fail "/usr/lib/pingan left after dpkg -r"
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
