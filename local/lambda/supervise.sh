#!/bin/sh
# Runs a command (the Runtime Interface Emulator) for as long as the process that started it lives.
# A local runtime that is SIGKILLed (as the crash tests do) must not leave execution environments
# behind: the emulator has no parent-death signal, and the runtime it starts has a process group of
# its own and, in the middle of an invocation, would hold its database transaction open for ever.
# Usage: supervise.sh PARENT_PID CMD...
parent=$1
shift

# Every process below $1, from /proc (Linux): taken before the kill, as orphans lose their parent.
tree() {
  for pid in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$pid"
    tree "$pid"
  done
}

end_all() {
  # shellcheck disable=SC2046 # word splitting of the pid list is intended
  kill -KILL "$child" $(tree "$child") 2>/dev/null
  exit 0
}

"$@" &
child=$!
trap end_all TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 0.5
done
end_all
