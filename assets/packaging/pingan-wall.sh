#!/bin/sh
# pingan-wall: start the command room's wall (`pingan --wall`, one borderless window per screen) the same way every
# time: from the systemd user unit pingan-wall.service, from ~/.xinitrc, or as the one program of a bare X server.
#
#   /usr/lib/pingan/pingan-wall [--loop] [--layout FILE] [PINGAN-ARGS...]
#   xinit /usr/lib/pingan/pingan-wall --loop -- :0 vt1 -nocursor
#
# It runs   pingan [--server $PINGAN_SERVER] $PINGAN_WALL_ARGS PINGAN-ARGS... --wall [LAYOUT]
#   PINGAN_WALL_ARGS  more flags of `pingan --help`, split at blanks (no quoting: no blank inside one argument)
#   LAYOUT    --layout FILE, else $PINGAN_WALL_LAYOUT, else ~/.config/pingan/wall.toml when that file exists, else
#             none: pingan's built-in three-screen layout. (`--wall` comes last and never with an empty value.)
#   token     PINGAN_TOKEN in the environment: pingan reads it itself (never on a command line others can see).
# Settings: ~/.config/pingan/wall.env ($XDG_CONFIG_HOME/pingan/wall.env; PINGAN_WALL_ENV=FILE names another), KEY=value
# lines: PINGAN_SERVER, PINGAN_TOKEN, PINGAN_WALL_ARGS, PINGAN_WALL_LAYOUT. The systemd unit reads it as its
# EnvironmentFile; started without systemd (no $INVOCATION_ID) this script reads it itself, and a variable already in
# the environment wins.
# --loop   run pingan again $PINGAN_WALL_RESTART_SEC (default 3) seconds after each exit, logging each restart to
#          stderr, until SIGTERM, SIGINT or SIGHUP (xinit sends SIGHUP when the X server ends). Without --loop the
#          script execs pingan, and systemd (Restart=always) restarts it.
# PINGAN_WALL_DRY_RUN=1 prints the command on stdout instead of running it. PINGAN_BIN: the binary (/usr/bin/pingan).
set -f

me=pingan-wall
log() { printf '%s: %s %s\n' "$me" "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >&2; }
die() {
  printf '%s: %s\n' "$me" "$1" >&2
  exit "${2:-2}"
}
usage() {
  sed -n '5,6p' "$0" | sed 's/^# *//'
  exit "${1:-0}"
}

loop=0
layout=""
layout_given=0
while [ $# -gt 0 ]; do
  case "$1" in
    --loop) loop=1; shift ;;
    --layout)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "--layout needs a file"; fi
      layout="$2"; layout_given=1; shift 2 ;;
    --layout=?*) layout="${1#--layout=}"; layout_given=1; shift ;;
    -h | --help) usage 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
for a in "$@"; do
  case "$a" in
    --wall | --wall=*) die "give the layout with --layout FILE (this script adds --wall itself)" ;;
  esac
done

config="${XDG_CONFIG_HOME:-${HOME:-}/.config}/pingan"

# Outside systemd: the unit's EnvironmentFile, read the way systemd reads it (KEY=value, one pair of quotes dropped,
# # and ; comments) but never run as shell code.
env_file="${PINGAN_WALL_ENV:-$config/wall.env}"
if [ -z "${INVOCATION_ID:-}" ] && [ -f "$env_file" ]; then
  [ -r "$env_file" ] || die "cannot read $env_file"
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in '' | '#'* | ';'*) continue ;; esac
    case "$line" in *=*) ;; *) log "$env_file: ignored (no KEY=): $line"; continue ;; esac
    key="${line%%=*}"
    key="${key%"${key##*[![:space:]]}"}"
    value="${line#*=}"
    value="${value#"${value%%[![:space:]]*}"}"
    value="${value%"${value##*[![:space:]]}"}"
    case "$key" in
      '' | [!A-Za-z_]* | *[!A-Za-z0-9_]*) log "$env_file: ignored (bad name): $key"; continue ;;
    esac
    case "$value" in
      \"*\") value="${value#\"}"; value="${value%\"}" ;;
      \'*\') value="${value#\'}"; value="${value%\'}" ;;
    esac
    printenv "$key" >/dev/null 2>&1 || export "$key=$value"
  done <"$env_file"
fi

if [ "$layout_given" = 0 ]; then
  if [ -n "${PINGAN_WALL_LAYOUT:-}" ]; then
    layout="$PINGAN_WALL_LAYOUT"
  elif [ -f "$config/wall.toml" ]; then
    layout="$config/wall.toml"
  fi
fi

# pingan [--server S] $PINGAN_WALL_ARGS ARGS... --wall [LAYOUT]  (PINGAN_WALL_ARGS is split at blanks, no globbing)
if [ -n "$layout" ]; then set -- "$@" --wall "$layout"; else set -- "$@" --wall; fi
# shellcheck disable=SC2086 # split on purpose
set -- ${PINGAN_WALL_ARGS:-} "$@"
[ -z "${PINGAN_SERVER:-}" ] || set -- --server "$PINGAN_SERVER" "$@"
set -- "${PINGAN_BIN:-/usr/bin/pingan}" "$@"

delay="${PINGAN_WALL_RESTART_SEC:-3}"
case "$delay" in
  '' | *[!0-9.]* | *.*.* | .) die "PINGAN_WALL_RESTART_SEC: seconds, e.g. 3 or 0.5, not '$delay'" ;;
esac

quote() {
  case "$1" in
    '') printf "''" ;;
    *[!A-Za-z0-9_./:=@%+,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
  esac
}
command_line() {
  sep=""
  for a in "$@"; do
    printf '%s' "$sep"
    quote "$a"
    sep=" "
  done
}

token="not set"
[ -z "${PINGAN_TOKEN:-}" ] || token="set"
if [ "${PINGAN_WALL_DRY_RUN:-0}" != 0 ]; then
  command_line "$@"
  echo
  if [ "$loop" = 1 ]; then how="again ${delay} s after each exit"; else how="once (exec)"; fi
  printf '%s: dry run: would run that %s; PINGAN_TOKEN %s\n' "$me" "$how" "$token" >&2
  exit 0
fi

[ -x "$1" ] || die "$1 is not an executable (PINGAN_BIN)" 127

if [ "$loop" = 0 ]; then
  log "runs $(command_line "$@") (PINGAN_TOKEN $token)"
  exec "$@"
fi

# --loop: pingan (and the pause between runs) in the background, so that a signal is answered at once.
stop=0
child=""
on_signal() {
  stop=1
  [ -z "$child" ] || kill -TERM "$child" 2>/dev/null
}
trap on_signal HUP INT TERM
runs=0
while :; do
  runs=$((runs + 1))
  log "run $runs: $(command_line "$@") (PINGAN_TOKEN $token)"
  "$@" &
  child=$!
  rc=0
  wait "$child" || rc=$?
  # A signal interrupts `wait` (status > 128) while pingan may still be ending: wait for pingan itself.
  while [ "$stop" = 1 ] && kill -0 "$child" 2>/dev/null; do wait "$child" 2>/dev/null; done
  child=""
  if [ "$stop" = 1 ]; then
    log "stopped"
    exit 0
  fi
  why="status $rc"
  [ "$rc" -le 128 ] || why="$why (signal $((rc - 128)))"
  log "pingan exited with $why; restarting in $delay s"
  sleep "$delay" &
  child=$!
  wait "$child" 2>/dev/null
  child=""
  if [ "$stop" = 1 ]; then
    log "stopped"
    exit 0
  fi
done
