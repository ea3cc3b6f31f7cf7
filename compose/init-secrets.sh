#!/usr/bin/env bash
# Creates the secret files compose.yaml and the Kubernetes manifests mount, under compose/secrets/ (never
# committed): a random service token, random passwords for Tarantool, RabbitMQ and Grafana's admin, an admin API
# key, and an empty file per provider
# credential (an empty credential means "not configured"; put the real value in the file). Existing files are
# kept, so running it again changes nothing.
#
#   compose/init-secrets.sh
#
# The directory is readable by its owner only; the files themselves must be readable inside the containers,
# which run as other users (compose mounts secret files as they are).
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
[ -e "$dir/.gitignore" ] || printf '*\n' > "$dir/.gitignore"

random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

for name in service_token tarantool_password rabbitmq_password grafana_admin_password; do
    [ -e "$dir/$name" ] || { random > "$dir/$name"; echo "created $dir/$name"; }
done
# An admin API key every gateway ensures at start (auth.bootstrap_admin_key), so that several instances never
# each generate one; and the broker's URL with its password, for KEDA's queue-length scaling on Kubernetes.
[ -e "$dir/admin_key" ] || { printf 'cla_admin_%s' "$(random)" > "$dir/admin_key"; echo "created $dir/admin_key"; }
[ -e "$dir/rabbitmq_url" ] || { printf 'amqp://cla:%s@rabbitmq:5672/' "$(cat "$dir/rabbitmq_password")" > "$dir/rabbitmq_url"; echo "created $dir/rabbitmq_url"; }
for name in dadata_api_key dadata_secret_key casebook_api_key infosphere_login infosphere_password \
            tavily_api_key perplexity_api_key llm_api_key; do
    [ -e "$dir/$name" ] || { : > "$dir/$name"; echo "created $dir/$name (empty: put the credential in it)"; }
done
chmod 644 "$dir"/*
