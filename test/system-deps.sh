#!/bin/sh
# Checks that the real components the tests start are installed: dockerd (+ containerd, runc,
# docker CLI), sshd, ssh, ssh-keygen, prometheus, a static busybox, tmux.
# Quiet and fast when everything is there. Otherwise, as root, installs the Debian packages
# (without starting their services); not as root, names what is missing and exits 1.
set -u

PATH="$PATH:/usr/sbin:/sbin"
missing=""
pkgs=""

need() { # need <command> <package>
	if ! command -v "$1" >/dev/null 2>&1; then
		missing="$missing $1"
		case " $pkgs " in *" $2 "*) ;; *) pkgs="$pkgs $2" ;; esac
	fi
}

static_busybox() {
	bb=$(command -v busybox 2>/dev/null) || return 1
	# A dynamically linked ELF names its interpreter (ld-linux...) in its first page.
	if head -c 4096 "$bb" | grep -q -a -e ld-linux -e ld-musl; then return 1; fi
	return 0
}

check() {
	missing=""
	pkgs=""
	need dockerd docker.io
	need containerd containerd
	need containerd-shim-runc-v2 containerd
	need runc runc
	# The fixtures use docker.io's CLI (/usr/bin/docker); another `docker` on PATH does not count.
	[ -x /usr/bin/docker ] || { missing="$missing /usr/bin/docker"; pkgs="$pkgs docker.io"; }
	need sshd openssh-server
	need ssh openssh-client
	need ssh-keygen openssh-client
	need prometheus prometheus
	need tmux tmux
	need tar tar
	need umount mount
	static_busybox || { missing="$missing busybox(static)"; pkgs="$pkgs busybox-static"; }
}

check
if [ -z "$missing" ]; then
	if ! grep -q -e ' cgroup ' -e ' cgroup2 ' /proc/mounts 2>/dev/null; then
		echo "system-deps: warning: no cgroup filesystem mounted; dockerd will not start (try: cgroupfs-mount)" >&2
	fi
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "system-deps: missing:$missing" >&2
	echo "system-deps: install as root: apt-get install --no-install-recommends$pkgs" >&2
	exit 1
fi

echo "system-deps: missing:$missing; installing:$pkgs" >&2

# Keep the packages' maintainer scripts from starting system services (a system dockerd/containerd
# on /run/containerd/containerd.sock would be picked up by the tests' private dockerd).
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
cleanup() { [ -n "$own_policy" ] && rm -f "$policy"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
# shellcheck disable=SC2086 # word splitting of $pkgs is intended
apt-get install -y -qq --no-install-recommends $pkgs >&2 || exit 1

check
if [ -n "$missing" ]; then
	echo "system-deps: still missing after install:$missing" >&2
	exit 1
fi
exit 0
