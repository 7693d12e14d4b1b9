#!/usr/bin/env bash
# A single-node OpenStack Swift (Debian 12's 2.30) with the s3api middleware,
# built from scratch under a temp dir on 127.0.0.1.
#
# Sourced by scripts/with-test-servers.sh, which provides the ts_* helpers and
# calls start_swift DIR in a subshell. Run directly, this file starts only
# Swift through with-test-servers.sh: scripts/test-servers/swift.sh -- CMD...
#
# start_swift DIR lays out
#   DIR/etc/      swift.conf, rings, *-server.conf (swift_dir of every server)
#   DIR/devices/d1/  the one storage device (a plain dir; needs user xattrs)
#   DIR/*.log     one log per process (memcached, proxy, account, ...)
#   DIR/env       the S3M_TEST_SWIFT_* exports
# starts memcached and the account, container, object and proxy servers on
# free ports, and waits until a SigV4-signed S3 round trip succeeds.
#
# S3 credentials: access key test:tester, secret testing (tempauth's
# user_test_tester); s3api checks SigV2/SigV4 signatures against that secret.

# repo_root, ts_timeout and the ts_* functions come from with-test-servers.sh.
# shellcheck disable=SC2154

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [[ "${1:-}" == "--" ]] && shift
  exec "$(dirname "$0")/../with-test-servers.sh" --swift -- "$@"
fi

start_swift() {
  set -euo pipefail
  # Importing eventlet pulls in dnspython (greendns) and adds ~1 s of start-up
  # to every Swift process; everything here talks to 127.0.0.1 literals, so
  # the plain resolver is enough. (start_swift runs in a subshell: this does
  # not leak into the command's environment.)
  export EVENTLET_NO_GREENDNS=yes
  local dir="$1"
  local etc="$dir/etc" devices="$dir/devices"
  local proxy_port account_port container_port object_port memcached_port
  { read -r proxy_port; read -r account_port; read -r container_port
    read -r object_port; read -r memcached_port; } < <(ts_free_ports 5)
  mkdir -p "$etc" "$devices/d1"

  # --- memcached: tempauth refuses S3/Swift auth without a cache ("Memcache
  # required"), and the proxy caches account/container info in it. Its own
  # port so it never meets a system memcached; -U 0 turns off UDP; memcached
  # refuses to run as root unless told which user to be.
  local memcached_user=()
  [[ ${EUID:-$(id -u)} -eq 0 ]] && memcached_user=(-u root)
  ts_spawn "$dir" "$dir/memcached.log" \
    /usr/bin/memcached "${memcached_user[@]}" -l 127.0.0.1 -p "$memcached_port" -U 0 -m 64

  # --- swift.conf: hash salt and storage policies. Swift normally reads it
  # from /etc/swift; run_server below points Swift at $etc instead, so the
  # host's /etc/swift (Debian ships one with placeholder salts) never matters.
  cat >"$etc/swift.conf" <<EOF
[swift-hash]
# Salts for the ring hash; any value works for a throwaway cluster.
swift_hash_path_prefix = s3m-test-prefix
swift_hash_path_suffix = s3m-test-suffix

[storage-policy:0]
# One replicated policy using object.ring.gz.
name = Policy-0
default = yes
EOF

  # --- [DEFAULT] shared by all four servers.
  local user
  user="$(id -un)"
  write_default() {  # write_default NAME PORT
    cat <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
# 0 = serve from this one process (no forked workers): less memory and start-up
# time, and stopping the pid we started stops the server.
workers = 0
# Swift drops privileges to this user; the current one, so no 'swift' user or
# chown is needed (root in CI).
user = $user
# Rings and swift.conf live here, not in /etc/swift.
swift_dir = $etc
devices = $devices
# d1 is a plain directory, not a mount point.
mount_check = false
# Do not preallocate, and do not refuse writes (507) when the disk is nearly
# full: the default reserve is 1% free, which busy CI disks can fall below.
disable_fallocate = true
fallocate_reserve = 0
log_name = $1
# Logs: -v in run_server adds a stderr handler, which goes to DIR/$1.log.
# Swift always adds a syslog handler too; pointing it at UDP on loopback
# (nothing listens; datagrams are dropped) keeps the host's syslog clean and
# works on machines without /dev/log.
log_udp_host = 127.0.0.1
log_udp_port = 514
log_level = INFO
EOF
  }

  { write_default account-server "$account_port"; cat <<'EOF'

[pipeline:main]
pipeline = account-server

[app:account-server]
use = egg:swift#account
EOF
  } >"$etc/account-server.conf"

  { write_default container-server "$container_port"; cat <<'EOF'

[pipeline:main]
pipeline = container-server

[app:container-server]
use = egg:swift#container
EOF
  } >"$etc/container-server.conf"

  { write_default object-server "$object_port"; cat <<'EOF'

[pipeline:main]
pipeline = object-server

[app:object-server]
use = egg:swift#object
EOF
  } >"$etc/object-server.conf"

  { write_default proxy-server "$proxy_port"; cat <<EOF

[pipeline:main]
# The SAIO order. s3api must precede tempauth (it turns S3 signatures into
# auth details tempauth verifies) and slo must follow s3api (multipart uploads
# are stored as SLOs). versioned_writes with allow_object_versioning is what
# S3 bucket versioning maps to; it needs symlink after it. copy serves
# CopyObject/UploadPartCopy; dlo, listing_formats, catch_errors and
# gatekeeper would be auto-inserted anyway and are listed for clarity.
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
# Create the account (AUTH_test) on first use instead of needing an admin step.
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
# Region for SigV4 scope and GetBucketLocation.
location = us-east-1
# Everything else stays at Swift's defaults on purpose (e.g. 1000 parts max,
# 5 MiB minimum part size, bucket names must be DNS-compliant): the tests
# should see what users of a stock Swift see.

[filter:tempauth]
use = egg:swift#tempauth
# S3 access key "test:tester", secret "testing"; .admin owns the account.
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$memcached_port

[filter:versioned_writes]
use = egg:swift#versioned_writes
# New-style object versioning (Swift >= 2.24); s3api's PutBucketVersioning
# answers 501 NotImplemented without it.
allow_object_versioning = true

[filter:symlink]
use = egg:swift#symlink

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:copy]
use = egg:swift#copy

[filter:bulk]
use = egg:swift#bulk

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:catch_errors]
use = egg:swift#catch_errors
EOF
  } >"$etc/proxy-server.conf"

  # --- The servers. Like /usr/bin/swift-*-server, but first point Swift at
  # our swift.conf (set_swift_dir, then reload the policies and constraints
  # it read from /etc/swift at import), and run verbose so logs reach stderr.
  cat >"$etc/run_server.py" <<'PY'
import sys
from swift.common import utils
utils.set_swift_dir(sys.argv[1])
from swift.common import constraints, storage_policy
storage_policy.reload_storage_policies()
constraints.reload_constraints()
from swift.common.wsgi import run_wsgi
app_section, conf_path = sys.argv[2], sys.argv[3]
kwargs = {"verbose": True}
if app_section == "object-server":
    from swift.obj import server
    kwargs["global_conf_callback"] = server.global_conf_callback
sys.exit(run_wsgi(conf_path, app_section, **kwargs))
PY
  # The storage servers never read the rings (only the proxy and the
  # replicators, which we do not run, do), so they start importing Swift while
  # the rings are built.
  local server
  for server in account container object; do
    ts_spawn "$dir" "$dir/$server.log" \
      /usr/bin/python3 "$etc/run_server.py" "$etc" "$server-server" "$etc/$server-server.conf"
  done

  # --- Rings: 1 device (d1) per ring, 1 replica, part power 8 (256
  # partitions: plenty for one disk, and quick to build). Built with the same
  # RingBuilder class swift-ring-builder uses, in one Python process: the CLI
  # would need 9 runs at ~1 s of Swift imports each. The *.builder files are
  # kept so `swift-ring-builder DIR/etc/object.builder` can inspect them.
  /usr/bin/python3 - "$etc" \
    "account=$account_port" "container=$container_port" "object=$object_port" <<'PY'
import os, sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for spec in sys.argv[2:]:
    name, port = spec.split("=")
    builder = RingBuilder(part_power=8, replicas=1, min_part_hours=0)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1",
                     "port": int(port), "device": "d1", "weight": 100, "meta": ""})
    builder.rebalance()
    builder.save(os.path.join(etc, name + ".builder"))
    builder.get_ring().save(os.path.join(etc, name + ".ring.gz"))
PY

  ts_spawn "$dir" "$dir/proxy.log" \
    /usr/bin/python3 "$etc/run_server.py" "$etc" proxy-server "$etc/proxy-server.conf"

  # --- Ready when every port listens and a signed S3 round trip works.
  local port
  for port in "$memcached_port" "$account_port" "$container_port" "$object_port" "$proxy_port"; do
    ts_wait_until "$ts_timeout" "swift (port $port)" ts_port_open "$port"
  done
  ts_wait_until "$ts_timeout" "swift (S3 round trip)" swift_s3_probe "$proxy_port"

  cat >"$dir/env" <<EOF
export S3M_TEST_SWIFT_ENDPOINT=http://127.0.0.1:$proxy_port
export S3M_TEST_SWIFT_ACCESS_KEY=test:tester
export S3M_TEST_SWIFT_SECRET_KEY=testing
export S3M_TEST_SWIFT_REGION=us-east-1
EOF
}

# swift_s3_probe PORT: SigV4-signed CreateBucket, PutObject, GetObject,
# DeleteObject, DeleteBucket against the proxy (touches s3api, tempauth,
# memcached and all three storage servers); fails on any error.
swift_s3_probe() {
  /usr/bin/python3 - "$1" <<'PY'
import datetime, hashlib, hmac, sys, urllib.error, urllib.request

host = "127.0.0.1:" + sys.argv[1]
access, secret, region = "test:tester", "testing", "us-east-1"

def call(method, path, body=b"", ok=(200, 204)):
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, path, ""]
                          + [k + ":" + headers[k] for k in sorted(headers)]
                          + ["", signed, payload])
    scope = amz_date[:8] + "/" + region + "/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                                % (access, scope, signed, signature))
    request = urllib.request.Request("http://" + host + path, method=method, headers=headers,
                                     data=body if method == "PUT" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    if status not in ok:
        sys.exit("%s %s -> %d %s" % (method, path, status, data[:300]))
    return data

call("PUT", "/s3m-ready-probe", ok=(200, 409))  # 409: left by an earlier try
call("PUT", "/s3m-ready-probe/probe", b"ok")
assert call("GET", "/s3m-ready-probe/probe") == b"ok"
call("DELETE", "/s3m-ready-probe/probe")
call("DELETE", "/s3m-ready-probe")
PY
}
