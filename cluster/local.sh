#!/usr/bin/env bash
# cluster/local.sh — start a local N-node ShapeStudy cluster on loopback (one coordinator + N-1 workers).
#
#   cluster/local.sh start [N=3] [BASE_PORT=4053]   build (Release), start the nodes one after the other, print how to submit
#   cluster/local.sh stop                            stop the nodes this script started (by their recorded PIDs)
#   cluster/local.sh status                          which recorded nodes are alive
#
# Node i listens on 127.0.0.1:(BASE_PORT+i); node 0 is the coordinator (no seed: it forms the cluster), the others
# are single-purpose workers seeded with node 0. State, logs and PIDs go to ${SHAPESTUDY_LOCAL_DIR:-/tmp/shapestudy-local}.
# SLOTS (default 0 = cores) sets each worker's slots. Submit with:
#   dotnet <repo>/cluster/out/shapestudy.dll run studies/quickstart.yaml --cluster 127.0.0.1:4053
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DIR="${SHAPESTUDY_LOCAL_DIR:-/tmp/shapestudy-local}"
BIN="$HERE/out"
CMD="${1:-start}"

wait_up() {   # wait_up <log> <seconds>: until the node printed "member up"
  local log="$1" t=0
  until grep -q "^member up" "$log" 2>/dev/null; do
    sleep 0.5; t=$((t + 1))
    if [ "$t" -gt $(( $2 * 2 )) ]; then echo "node did not come up; see $log" >&2; tail -n 20 "$log" >&2; exit 1; fi
  done
}

case "$CMD" in
  start)
    N="${2:-3}"; BASE="${3:-4053}"
    if [ "$N" -lt 1 ]; then echo "N must be >= 1" >&2; exit 2; fi
    mkdir -p "$DIR/logs"
    echo "building src/Host (Release) into $BIN ..." >&2
    dotnet build "$ROOT/src/Host/Host.csproj" -c Release -o "$BIN" -nologo -v q >&2
    : > "$DIR/pids"
    for i in $(seq 0 $((N - 1))); do
      port=$((BASE + i))
      if [ "$i" -eq 0 ]; then
        args=(node --role coordinator --port "$port" --state-dir "$DIR/state")
      else
        args=(node --role worker --port "$port" --seed "127.0.0.1:$BASE" --slots "${SLOTS:-0}")
      fi
      nohup dotnet "$BIN/shapestudy.dll" "${args[@]}" > "$DIR/logs/node-$i.log" 2>&1 &
      echo "$!" >> "$DIR/pids"
      # One node at a time: nodes that associate with each other at the same instant can drop that first
      # association; joining in turn avoids it.
      wait_up "$DIR/logs/node-$i.log" 60
      echo "node $i up: akka.tcp://shapestudy@127.0.0.1:$port ($([ "$i" -eq 0 ] && echo coordinator || echo worker))"
    done
    echo "submit a study:  dotnet $BIN/shapestudy.dll run <manifest> --cluster 127.0.0.1:$BASE"
    echo "logs: $DIR/logs   stop: $0 stop"
    ;;
  stop)
    [ -f "$DIR/pids" ] || { echo "no nodes recorded in $DIR/pids" >&2; exit 0; }
    while read -r pid; do kill "$pid" 2>/dev/null && echo "stopped $pid" || true; done < "$DIR/pids"
    rm -f "$DIR/pids"
    ;;
  status)
    [ -f "$DIR/pids" ] || { echo "no nodes recorded" >&2; exit 0; }
    while read -r pid; do
      if kill -0 "$pid" 2>/dev/null; then echo "$pid alive"; else echo "$pid gone"; fi
    done < "$DIR/pids"
    ;;
  *) echo "usage: $0 start [N] [BASE_PORT] | stop | status" >&2; exit 2 ;;
esac
