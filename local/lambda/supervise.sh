#!/bin/sh
# Runs a command (the Runtime Interface Emulator) for as long as the process that started it lives:
# a local runtime that is SIGKILLed (as the crash tests do) must not leave execution environments
# behind, and the emulator has no parent-death signal of its own. Usage: supervise.sh PARENT_PID CMD...
parent=$1
shift
"$@" &
child=$!
trap 'kill -KILL "$child" 2>/dev/null; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 1
done
kill -KILL "$child" 2>/dev/null
wait "$child" 2>/dev/null
