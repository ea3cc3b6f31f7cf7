#!/usr/bin/env bash
# Creates the secret files compose.yaml mounts, under compose/secrets/ (never committed): a random service
# token and random passwords for Tarantool, RabbitMQ and Grafana's admin, and an empty file per provider
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
for name in dadata_api_key dadata_secret_key casebook_api_key infosphere_login infosphere_password \
            tavily_api_key perplexity_api_key llm_api_key; do
    [ -e "$dir/$name" ] || { : > "$dir/$name"; echo "created $dir/$name (empty: put the credential in it)"; }
done
chmod 644 "$dir"/*
