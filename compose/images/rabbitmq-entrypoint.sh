#!/bin/sh
# Starts RabbitMQ with /etc/cla/rabbitmq.conf plus the default user (RABBITMQ_DEFAULT_USER, password from the
# file RABBITMQ_DEFAULT_PASS_FILE), which the broker creates on its first start with an empty data directory.
set -eu
config=/var/lib/rabbitmq/rabbitmq.conf
umask 077
{
    cat /etc/cla/rabbitmq.conf
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-cla}"
    echo "default_pass = $(cat "$RABBITMQ_DEFAULT_PASS_FILE")"
} > "$config"
export RABBITMQ_CONFIG_FILE="$config" RABBITMQ_LOGS=-
exec /usr/lib/rabbitmq/bin/rabbitmq-server
