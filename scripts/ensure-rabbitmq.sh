#!/usr/bin/env bash
# Makes sure a RabbitMQ broker listens on 127.0.0.1:5672 for the tests.
#
#   - already listening: exit 0 at once (idempotent, quick);
#   - rabbitmq-server installed: start it detached and wait until it boots;
#   - not installed and running as root: install it from Debian packages
#     (apt-get), then start it;
#   - otherwise: fail with the reason and what to do.
#
# The broker it starts is the system one (guest/guest on 5672). Tests that
# kill or stop a broker never use it: they start private nodes of their own.
set -euo pipefail

HOST=127.0.0.1
PORT=${RABBITMQ_CHECK_PORT:-5672} # override only to test this script
WAIT_SECONDS=${RABBITMQ_WAIT_SECONDS:-90}

log() { echo "ensure-rabbitmq: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

listening() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

if listening; then
	exit 0
fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		die "nothing listens on $HOST:$PORT and rabbitmq-server is not installed; install it (e.g. 'sudo apt-get install rabbitmq-server') or run this script as root"
	fi
	command -v apt-get >/dev/null 2>&1 || die "nothing listens on $HOST:$PORT, rabbitmq-server is not installed and apt-get is not available to install it"
	log "installing rabbitmq-server from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq rabbitmq-server >/dev/null || die "apt-get install rabbitmq-server failed"
	# The package may have started the service already.
	for _ in $(seq 1 30); do
		listening && { log "rabbitmq-server installed and running on $HOST:$PORT"; exit 0; }
		sleep 1
	done
fi

log "nothing listens on $HOST:$PORT: starting rabbitmq-server"
if [ "$(id -u)" != 0 ] && [ "$(id -un)" != rabbitmq ]; then
	die "rabbitmq-server is installed but not running, and only root (or the rabbitmq user) can start it; start it with 'sudo rabbitmq-server -detached' or 'sudo service rabbitmq-server start'"
fi
rabbitmq-server -detached || die "'rabbitmq-server -detached' failed; see /var/log/rabbitmq/"

deadline=$((SECONDS + WAIT_SECONDS))
while ! listening; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		die "rabbitmq-server did not listen on $HOST:$PORT within ${WAIT_SECONDS}s; see /var/log/rabbitmq/"
	fi
	sleep 1
done
# The port opens before the broker is fully booted: wait for the app.
if command -v rabbitmqctl >/dev/null 2>&1; then
	timeout "$WAIT_SECONDS" rabbitmqctl await_startup >/dev/null 2>&1 || log "warning: 'rabbitmqctl await_startup' failed; continuing since $HOST:$PORT listens"
fi
log "rabbitmq-server running on $HOST:$PORT"
