#!/usr/bin/env bash
# A throw-away RabbitMQ broker for tests, on loopback only, run in the foreground until the file BASE/stop
# appears, SIGTERM, or the process PARENT_PID is gone (so no broker outlives a crashed test run). The stop
# file is there because a child of a Swift test process may inherit a signal mask that blocks SIGTERM. Its own epmd, cookie, data
# and config live under BASE; starting again with the same BASE and ports keeps the data (a restart).
#
#   scripts/rabbitmq-test-server.sh BASE AMQP_PORT DIST_PORT EPMD_PORT PARENT_PID
#
# Ready when the AMQP port accepts a login (user cla, password cla-test). The Debian wrappers in
# /usr/sbin switch to the rabbitmq user; the scripts under /usr/lib/rabbitmq/bin run as the caller.
set -u
base=$1 amqp=$2 dist=$3 epmd_port=$4 parent=$5
mkdir -p "$base/home" "$base/mnesia" "$base/log"
export HOME="$base/home" RABBITMQ_NODE_PORT=$amqp RABBITMQ_DIST_PORT=$dist ERL_EPMD_PORT=$epmd_port
export RABBITMQ_NODENAME="cla-test-$amqp@localhost" ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" RABBITMQ_LOGS=-
export RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
export RABBITMQ_PLUGINS_EXPAND_DIR="$base/plugins-expand"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
echo '[].' > "$base/enabled_plugins"
cat > "$base/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp
loopback_users = none
default_user = cla
default_pass = cla-test
CONF

epmd -address 127.0.0.1 -port "$epmd_port" &
epmd_pid=$!
setsid /usr/lib/rabbitmq/bin/rabbitmq-server &
broker=$!

stop() {
    # A clean shutdown through rabbitmqctl (signals may be blocked), then the broker's whole process group
    # (the script, erl, beam.smp) if it is still there, then epmd.
    timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$RABBITMQ_NODENAME" stop > /dev/null 2>&1
    for _ in $(seq 100); do kill -0 "$broker" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$broker" 2>/dev/null
    pkill -KILL -f "beam.*-sname cla-test-$amqp@|beam.*cla-test-$amqp@localhost" 2>/dev/null
    kill -KILL "$epmd_pid" 2>/dev/null  # epmd ignores SIGTERM
    wait 2>/dev/null
    rm -f "$base/stop"
    exit 0
}
trap stop TERM INT
rm -f "$base/stop"
while [ ! -e "$base/stop" ] && kill -0 "$parent" 2>/dev/null && kill -0 "$broker" 2>/dev/null; do sleep 0.2 & wait $!; done
stop
