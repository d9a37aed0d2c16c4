#!/usr/bin/env bash
# What an idle service costs: one process with every role (api, relay, consumer, generator) on
# the local stack, nothing sent. After settling it reads the CPU of every thread of the
# process (the event loop and V8's helper threads, /proc/<pid>/task/*/stat) over a window, and
# with --wakeups also counts the event loop's wake-ups (epoll waits, under strace, which itself
# adds CPU: the CPU figure of such a run is not comparable). Alternate two checkouts to compare:
#   bash bench/experiments/idle-cost.sh [--runs N] [--window S] [--settle S] [--wakeups] [CHECKOUT ...]
# (each CHECKOUT defaults to this one; runs go round the checkouts N times; --settle: seconds
# between the start and the window, 60 by default: V8's memory reducer runs two or three major
# collections in the first half minute of a process gone idle, which a shorter settle counts). Needs the stack
# (`npm run stack:up`: MariaDB, Redis, Kafka on their default ports) and a migrated database.
set -euo pipefail
RUNS=1 WINDOW=60 SETTLE=60 WAKEUPS=0 DIRS=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --wakeups) WAKEUPS=1; shift ;;
    *) DIRS+=("$(cd "$1" && pwd)"); shift ;;
  esac
done
[ ${#DIRS[@]} -eq 0 ] && DIRS=("$(cd "$(dirname "$0")/../.." && pwd)")

# CPU ticks of every thread, summed (a thread that ended in the window is not counted).
ticks() { cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{sum += $14 + $15} END {print sum}'; }

measure() {
  local dir=$1 tag=idle-$RANDOM$RANDOM pid t0 t1 s0 s1 wakeups=''
  (
    cd "$dir"
    export DATABASE_URL=${DATABASE_URL:-mariadb://root@127.0.0.1:3306/agent_relay}
    export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379} KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
    export ROLES=api,relay,consumer,generator NODE_ENV=production LOG_LEVEL=warn HTTP_PORT=0 METRICS_PORT=0
    export REDIS_PREFIX=$tag KAFKA_CONSUMER_GROUP=$tag JWT_SECRET=$tag-$tag-$tag-$tag
    exec node --import tsx src/main.ts >"/tmp/$tag.log" 2>&1
  ) &
  pid=$!
  sleep "$SETTLE"
  kill -0 "$pid" 2>/dev/null || { echo "the service exited: /tmp/$tag.log" >&2; exit 1; }
  t0=$(ticks "$pid"); s0=$(date +%s%N)
  if [ "$WAKEUPS" = 1 ]; then
    timeout "$WINDOW" strace -p "$pid" -e trace=epoll_pwait,epoll_wait -o "/tmp/$tag.strace" >/dev/null 2>&1 || true
    wakeups=$(grep -c 'epoll' "/tmp/$tag.strace" || true)
  else
    sleep "$WINDOW"
  fi
  t1=$(ticks "$pid"); s1=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v d="$dir" -v t="$((t1 - t0))" -v ns="$((s1 - s0))" -v w="$wakeups" 'BEGIN {
    s = ns / 1e9
    printf "%s: %.2f %% of a core (%d ms of CPU in %.1f s)", d, t * 10 / (s * 1000) * 100, t * 10, s
    if (w != "") printf ", event-loop waits %.1f/s", w / s
    printf "\n" }'
  rm -f "/tmp/$tag.log" "/tmp/$tag.strace"
}

for _ in $(seq 1 "$RUNS"); do
  for dir in "${DIRS[@]}"; do measure "$dir"; done
done
