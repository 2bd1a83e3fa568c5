#!/usr/bin/env bash
# Brings up the local MariaDB and Redis the test suite uses, idempotently; installs them when missing.
# Exits non-zero, saying exactly what is missing, when it cannot.
set -u

have() { command -v "$1" >/dev/null 2>&1; }
mysql_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
redis_up() { have redis-cli && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

install_packages() {
  if [ "$(id -u)" != "0" ] || ! have apt-get; then
    echo "services: $* missing and cannot be installed here (need root and apt-get); install them or set FOOTFALL_TEST_MYSQL_URL / FOOTFALL_TEST_REDIS_URL" >&2
    exit 1
  fi
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || {
    echo "services: apt-get install $* failed" >&2
    exit 1
  }
}

if ! redis_up; then
  have redis-server || install_packages redis-server
  mkdir -p /var/lib/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis >/dev/null
fi

if ! mysql_up; then
  [ -x /usr/sbin/mariadbd ] || install_packages mariadb-server
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null
fi

for _ in $(seq 1 60); do
  if mysql_up && redis_up; then
    # The test suites create one database per suite; make sure `test` exists and root can log in without a password.
    if have mariadb; then mariadb -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null 2>&1 || true; fi
    exit 0
  fi
  sleep 0.5
done
mysql_up || echo "services: MariaDB is not answering on 127.0.0.1:3306" >&2
redis_up || echo "services: Redis is not answering on 127.0.0.1:6379" >&2
exit 1
