#!/usr/bin/env bash
# Start the services the tests need, only where their port does not answer.
# PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379, RabbitMQ 127.0.0.1:5672.
set -uo pipefail
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { for _ in $(seq 1 "$2"); do up "$1" && return 0; sleep 1; done; return 1; }

if ! up 5432; then
  echo "Starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  else
    bindir=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
    data=/tmp/aula-pg
    [ -d $data ] || su postgres -c "$bindir/initdb -A trust -U postgres -D $data" >/dev/null
    su postgres -c "$bindir/pg_ctl -D $data -l $data/log -o '-c listen_addresses=127.0.0.1 -c fsync=off' start" >/dev/null
  fi
  wait_for 5432 30 || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
if ! up 6379; then
  echo "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
  wait_for 6379 15 || { echo "Redis did not start" >&2; exit 1; }
fi
if ! up 5672; then
  echo "Starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1
  rabbitmqctl await_startup >/dev/null 2>&1
  wait_for 5672 60 || { echo "RabbitMQ did not start" >&2; exit 1; }
fi
exit 0
