# --- Everything below is the fixed body of the bootstrap; the settings above are generated. ---
#
# Turns a blank Amazon Linux 2023 instance into a cluster node, failing closed: any error
# signals failure to CloudFormation and leaves HAProxy stopped or on its previous good config.
# Running it twice leaves the same state.

readonly STATE_DIR=/var/lib/haproxy-bootstrap
readonly BOOT_LOG=/var/log/haproxy-bootstrap.log
readonly CONFIG_DIR=@CONFIG_DIR@
readonly IMDS=http://169.254.169.254/latest
export PATH="/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin:/opt/aws/bin:/opt/aws/amazon-cloudwatch-agent/bin"

mkdir -p "$STATE_DIR" "$(dirname "$BOOT_LOG")"
exec > >(tee -a "$BOOT_LOG") 2>&1

log() { printf '%s haproxy-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

installed_new_config=0
started_new_config=0
signalled=0
work=$(mktemp -d)

on_exit() {
  local rc=$?
  rm -rf "$work"
  if [ "$rc" -eq 0 ] || [ "$signalled" -eq 1 ]; then
    return
  fi
  log "FAILED (exit $rc)"
  if [ "$installed_new_config" -eq 1 ] && [ -d "$STATE_DIR/previous" ]; then
    log "restoring the previous config"
    find "$CONFIG_DIR" -mindepth 1 -delete
    cp -a "$STATE_DIR/previous/." "$CONFIG_DIR/"
    if [ "$started_new_config" -eq 1 ] && [ -f "$STATE_DIR/good.sha256" ]; then
      log "reloading HAProxy onto the previous good config"
      systemctl reload-or-restart haproxy || true
    fi
  fi
  if [ ! -f "$STATE_DIR/good.sha256" ]; then
    log "no config was ever good on this node: keeping HAProxy stopped"
    systemctl stop haproxy || true
  fi
  cfn-signal -e 1 --stack "$STACK_NAME" --resource "$SIGNAL_RESOURCE" --region "$REGION" \
    --reason "bootstrap failed (exit $rc), see $BOOT_LOG" || log "cfn-signal failed too"
}
trap on_exit EXIT

imds() {
  local token
  token=$(curl -fsS -X PUT "$IMDS/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "$IMDS/meta-data/$1"
}

install_packages() {
  log "installing haproxy, aws-cfn-bootstrap, amazon-cloudwatch-agent and rsyslog"
  dnf install -y haproxy aws-cfn-bootstrap amazon-cloudwatch-agent rsyslog
}

tune_kernel() {
  mkdir -p /etc/sysctl.d
  cat > /etc/sysctl.d/90-haproxy.conf <<'SYSCTL'
net.core.somaxconn = 65535
net.ipv4.tcp_max_syn_backlog = 65535
net.ipv4.ip_local_port_range = 1024 65023
net.ipv4.tcp_tw_reuse = 1
fs.file-max = 2097152
SYSCTL
  sysctl --system > /dev/null
}

configure_systemd() {
  mkdir -p /etc/systemd/system/haproxy.service.d
  cat > /etc/systemd/system/haproxy.service.d/override.conf <<'UNIT'
[Service]
LimitNOFILE=200000
RuntimeDirectory=haproxy
UNIT
  systemctl daemon-reload
}

configure_logs() {
  mkdir -p /etc/rsyslog.d /var/log/haproxy
  # HAProxy sends one JSON object per request over TCP (octet-counted, from its log ring): the
  # lines skip journald and its rate limit, and only the message is written.
  cat > /etc/rsyslog.d/49-haproxy.conf <<RSYSLOG
module(load="imtcp")
template(name="haproxy-json" type="string" string="%msg%\n")
ruleset(name="haproxy-access") {
  action(type="omfile" file="/var/log/haproxy/access.log" template="haproxy-json")
}
input(type="imtcp" address="127.0.0.1" port="$SYSLOG_PORT" ruleset="haproxy-access")
RSYSLOG
  systemctl enable rsyslog
  systemctl restart rsyslog
  mkdir -p /opt/aws/amazon-cloudwatch-agent/etc
  cat > /opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json <<AGENT
{"logs":{"logs_collected":{"files":{"collect_list":[
{"file_path":"/var/log/haproxy/access.log","log_group_name":"$LOG_GROUP","log_stream_name":"{instance_id}/access"},
{"file_path":"$BOOT_LOG","log_group_name":"$LOG_GROUP","log_stream_name":"{instance_id}/bootstrap"}]}}}}
AGENT
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json
}

fetch_bundle() {
  log "fetching $BUNDLE_URI"
  aws s3 cp "$BUNDLE_URI" "$work/bundle.tar" --region "$REGION" --only-show-errors
  if ! printf '%s  %s\n' "$BUNDLE_SHA256" "$work/bundle.tar" | sha256sum -c --status; then
    log "bundle sha256 is $(sha256sum "$work/bundle.tar" | cut -d' ' -f1), expected $BUNDLE_SHA256"
    return 1
  fi
  mkdir "$work/bundle"
  tar -xf "$work/bundle.tar" -C "$work/bundle" --no-same-owner
}

# Swaps the bundle into place, keeping the current files to restore, then validates it where it
# will run (haproxy.cfg names its maps and pages by their final paths).
install_bundle() {
  mkdir -p "$CONFIG_DIR"
  rm -rf "$STATE_DIR/previous"
  cp -a "$CONFIG_DIR/." "$STATE_DIR/previous.tmp/" 2> /dev/null || mkdir -p "$STATE_DIR/previous.tmp"
  mv "$STATE_DIR/previous.tmp" "$STATE_DIR/previous"
  installed_new_config=1
  find "$CONFIG_DIR" -mindepth 1 -delete
  cp -a "$work/bundle/." "$CONFIG_DIR/"
  log "validating $CONFIG_DIR/haproxy.cfg"
  haproxy -c -f "$CONFIG_DIR/haproxy.cfg"
}

start_haproxy() {
  systemctl enable haproxy
  # A running HAProxy reloads seamlessly (master-worker, expose-fd listeners); else it starts.
  started_new_config=1
  systemctl reload-or-restart haproxy
}

wait_until_healthy() {
  local attempt
  for attempt in $(seq 1 "$HEALTH_ATTEMPTS"); do
    if curl -fsS --max-time 2 --haproxy-protocol -o /dev/null "http://127.0.0.1:$HEALTH_PORT$HEALTH_PATH"; then
      log "healthy after $attempt attempt(s)"
      return 0
    fi
    sleep "$HEALTH_INTERVAL"
  done
  log "not healthy after $HEALTH_ATTEMPTS attempts"
  return 1
}

log "starting on instance $(imds instance-id), bundle $BUNDLE_SHA256"
install_packages
tune_kernel
configure_systemd
configure_logs
fetch_bundle
install_bundle
start_haproxy
wait_until_healthy
printf '%s\n' "$BUNDLE_SHA256" > "$STATE_DIR/good.sha256"
rm -rf "$STATE_DIR/previous"
installed_new_config=0
signalled=1
cfn-signal -e 0 --stack "$STACK_NAME" --resource "$SIGNAL_RESOURCE" --region "$REGION"
log "done"
