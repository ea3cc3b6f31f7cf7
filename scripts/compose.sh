#!/usr/bin/env bash
# The compose stack (compose/compose.yaml with the provider sandbox) under podman and podman-compose, on this
# machine, with no registry: every image is built here (scripts/podman-env.sh says where podman keeps things).
#
#   scripts/compose.sh images   # the Debian base (debootstrap), then our images on it
#   scripts/compose.sh up       # images, secrets, then every service but Grafana (not packaged by Debian) until ready
#   scripts/compose.sh down     # containers, networks and volumes removed
#   scripts/compose.sh podman … # podman with this project's settings
#
# Ports on the host's loopback come from CLA_REST_PORT, CLA_GRPC_PORT, CLA_PROMETHEUS_PORT, CLA_ALERTMANAGER_PORT
# (compose.yaml's defaults otherwise). COMPOSE_PROJECT_NAME chooses the project (client-analyze). The services
# image takes the release binaries from CLA_BIN_DIR (.build/release); `make compose-up` builds them first.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/scripts/podman-env.sh"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-client-analyze}"
compose=("$repo/.venv/bin/podman-compose" -f "$repo/compose/compose.yaml" -f "$repo/compose/compose.sandbox.yaml")
base=localhost/bookworm:base
services=(tarantool rabbitmq storage report-renderer provider-sandbox analyzer gateway alertmanager prometheus)
# The executables the services image holds: the ones its Containerfile checks.
containerfile="$repo/compose/images/services.Containerfile"
read -ra products <<< "$(sed -n 's/.*for product in \([a-z -]*\); do.*/\1/p' "$containerfile")"
bin="${CLA_BIN_DIR:-$repo/.build/release}"

base_image() {
    podman image exists "$base" && return
    local root="$CLA_PODMAN_DIR/rootfs"
    rm -rf "$root"
    echo "compose: debootstrap of bookworm (about a minute)"
    # The mirror apt uses here, so that the images install what the host would.
    local mirror
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
    debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" > "$CLA_PODMAN_DIR/debootstrap.log"
    cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$root/etc/apt/sources.list"
    tar -C "$root" -c . | podman import --quiet - "$base" > /dev/null
    rm -rf "$root"
}

images() {
    base_image
    local context="$CLA_PODMAN_DIR/context"
    rm -rf "$context" && mkdir -p "$context/bin"
    for product in "${products[@]}"; do
        [ -x "$bin/$product" ] || { echo "compose: no $bin/$product: build it first (make compose-up does)" >&2; exit 1; }
        cp "$bin/$product" "$context/bin/"
    done
    podman build --quiet --build-arg "BASE_IMAGE=$base" -f "$containerfile" \
        -t client-analyze:dev "$context" > /dev/null
    for image in tarantool rabbitmq prometheus alertmanager; do
        podman build --quiet --build-arg "BASE_IMAGE=$base" -f "$repo/compose/images/$image.Containerfile" \
            -t "client-analyze-$image:dev" "$repo/compose" > /dev/null
    done
    echo "compose: images built"
}

# podman runs no health checks here (no systemd timers), so `condition: service_healthy` is not waited on:
# each container's own health check is run by hand until it passes.
wait_healthy() {
    local deadline=$((SECONDS + ${1:-180}))
    for container in $(podman ps --filter "label=io.podman.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}}'); do
        # The provider sandbox has no health check: it answers once it runs.
        [ "$(podman inspect "$container" --format '{{if .Config.Healthcheck}}yes{{end}}')" = yes ] || continue
        until podman healthcheck run "$container" > /dev/null 2>&1; do
            if [ $SECONDS -ge $deadline ]; then
                echo "compose: $container is not healthy; its log ends:" >&2
                podman logs --tail 30 "$container" >&2
                return 1
            fi
            sleep 1
        done
    done
    echo "compose: every container is healthy"
}

# netavark adds iptables chains for its networks and keeps some after the last network is gone. `images` and
# `up` note the chains there were before them (once, until `down`); `down` removes every chain added since,
# with the rules that jump to them.
chains_before="$CLA_PODMAN_DIR/iptables-chains.before"
chains() { for table in filter nat; do iptables-save -t "$table" | sed -n "s/^:\([^ ]*\) .*/$table \1/p"; done | sort; }
note_chains() { [ -f "$chains_before" ] || chains > "$chains_before"; }
remove_added_chains() {
    [ -f "$chains_before" ] || return 0
    local added
    added=$(comm -13 "$chains_before" <(chains))
    if [ -n "$added" ]; then
        while read -r table chain; do
            { iptables -t "$table" -S | grep -E -- "-j $chain( |\$)" || true; } | sed 's/^-A /-D /' |
                while read -r rule; do eval iptables -t "$table" "$rule"; done
        done <<< "$added"
        while read -r table chain; do iptables -t "$table" -F "$chain"; done <<< "$added"
        while read -r table chain; do iptables -t "$table" -X "$chain"; done <<< "$added"
    fi
    added=$(comm -13 "$chains_before" <(chains))
    if [ -n "$added" ]; then echo "compose: iptables chains left behind: $added" >&2; return 1; fi
    rm -f "$chains_before"
}

case "${1:-}" in
    images) note_chains; images ;;
    up)
        # Before images: building runs containers too, and their network adds chains.
        note_chains
        images
        "$repo/compose/init-secrets.sh" > /dev/null
        # Each is started after what it depends on is healthy, as compose.yaml asks.
        "${compose[@]}" up -d --no-build tarantool rabbitmq > "$CLA_PODMAN_DIR/compose-up.log" 2>&1
        wait_healthy 180
        "${compose[@]}" up -d --no-build storage report-renderer provider-sandbox >> "$CLA_PODMAN_DIR/compose-up.log" 2>&1
        wait_healthy 120
        "${compose[@]}" up -d --no-build "${services[@]}" >> "$CLA_PODMAN_DIR/compose-up.log" 2>&1
        wait_healthy 120
        ;;
    down)
        # podman-compose down knows only the containers its file names: replicas added by --scale, and ones a
        # restart policy brought back while it stopped the rest, are removed by their project label after it.
        "${compose[@]}" down -v --timeout 40 > "$CLA_PODMAN_DIR/compose-down.log" 2>&1 || true
        label="label=io.podman.compose.project=$COMPOSE_PROJECT_NAME"
        podman pod rm -f --ignore "pod_$COMPOSE_PROJECT_NAME" >> "$CLA_PODMAN_DIR/compose-down.log" 2>&1 || true
        for id in $(podman ps -aq --filter "$label"); do podman rm -f -t 10 "$id" > /dev/null; done
        for volume in $(podman volume ls -q --filter "$label"); do podman volume rm -f "$volume" > /dev/null; done
        for network in $(podman network ls -q --filter "$label"); do podman network rm -f "$network" > /dev/null; done
        left="$(podman ps -aq --filter "$label") $(podman volume ls -q --filter "$label") $(podman network ls -q --filter "$label")"
        if [ -n "${left// /}" ]; then echo "compose: left behind: $left" >&2; exit 1; fi
        remove_added_chains
        echo "compose: stopped and removed"
        ;;
    podman) shift; exec podman "$@" ;;
    compose) shift; exec "${compose[@]}" "$@" ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
