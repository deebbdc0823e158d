#!/bin/sh
# Runs a command for as long as the process that started it lives: the Runtime Interface Emulator,
# and PostgreSQL. A local runtime that is SIGKILLed (as the crash tests do) must not leave execution
# environments or a database server behind: neither has a parent-death signal, the runtime the
# emulator starts has a process group of its own and, in the middle of an invocation, would hold its
# database transaction open for ever.
# Usage: supervise.sh PARENT_PID CMD...
# SUPERVISE_STOP_SIGNAL: what the command gets when its parent is gone or this script is told to end.
#   KILL (default): the command and every process below it, at once. Another signal (INT for
#   PostgreSQL's fast shutdown): sent to the command alone, which is then waited for.
parent=$1
shift
stop_signal=${SUPERVISE_STOP_SIGNAL:-KILL}

# Every process below $1, from /proc (Linux): taken before the kill, as orphans lose their parent.
tree() {
  for pid in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$pid"
    tree "$pid"
  done
}

# `kill -0` fails for a process of another user (PostgreSQL's supervisor runs as `postgres` under a
# root parent), so the parent is looked up in /proc where there is one.
alive() {
  if [ -d /proc/self ]; then [ -d /proc/"$1" ]; else kill -0 "$1" 2>/dev/null; fi
}

end_all() {
  if [ "$stop_signal" = KILL ]; then
    # shellcheck disable=SC2046 # word splitting of the pid list is intended
    kill -KILL "$child" $(tree "$child") 2>/dev/null
  else
    kill -"$stop_signal" "$child" 2>/dev/null
    wait "$child"
  fi
  exit 0
}

"$@" &
child=$!
trap end_all TERM INT
while alive "$parent" && kill -0 "$child" 2>/dev/null; do
  sleep 0.5
done
end_all
