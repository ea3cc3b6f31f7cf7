#!/usr/bin/env bash
# Sourced by scripts/compose.sh: a podman whose images, containers, networks and settings all live under the
# project's .podman/ folder (CLA_PODMAN_DIR), so nothing outside it changes and `compose.sh purge` removes it all.
# The settings are the ones podman 4.3 needs on Debian bookworm hosts like CI's:
#   - runc: crun refuses hosts with hybrid cgroups (v1 controllers plus a v2 mount);
#   - cgroupfs and a file events log: there is no systemd to ask;
#   - explicit ulimits: podman's default nofile of 1048576 is above the hard limit, and runc refuses it.
podman_dir="${CLA_PODMAN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.podman}"
mkdir -p "$podman_dir/storage" "$podman_dir/run" "$podman_dir/networks" "$podman_dir/tmp"
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
cat > "$podman_dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$podman_dir/run/events.log"
tmp_dir = "$podman_dir/tmp"
[network]
network_backend = "netavark"
network_config_dir = "$podman_dir/networks"
CONF
cat > "$podman_dir/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$podman_dir/storage"
runroot = "$podman_dir/run"
CONF
export CONTAINERS_CONF="$podman_dir/containers.conf" CONTAINERS_STORAGE_CONF="$podman_dir/storage.conf"
export CLA_PODMAN_DIR="$podman_dir"
