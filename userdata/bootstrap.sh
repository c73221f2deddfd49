# --- Everything below is the fixed body of the bootstrap; the settings above are generated. ---
#
# Turns a blank Amazon Linux 2023 instance into a cluster node, failing closed: any error
# signals failure to CloudFormation and leaves HAProxy stopped or on its previous good config.
# Running it twice leaves the same state.

readonly STATE_DIR=/var/lib/haproxy-bootstrap
readonly BOOT_LOG=/var/log/haproxy-bootstrap.log
readonly CONFIG_DIR=@CONFIG_DIR@
readonly IMDS=http://169.254.169.254/latest
readonly AGENT_BIN=/usr/local/bin/haproxy-cluster-agent
readonly AGENT_LOG=/var/log/haproxy-cluster-agent.log
export PATH="/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin:/opt/aws/bin:/opt/aws/amazon-cloudwatch-agent/bin"

mkdir -p "$STATE_DIR" "$(dirname "$BOOT_LOG")"
exec > >(tee -a "$BOOT_LOG") 2>&1

log() { printf '%s haproxy-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

signalled=0
work=$(mktemp -d)

on_exit() {
  local rc=$?
  rm -rf "$work"
  if [ "$rc" -eq 0 ] || [ "$signalled" -eq 1 ]; then
    return
  fi
  log "FAILED (exit $rc)"
  # The agent already put the previous config back; a node that never ran a good one serves nothing.
  if [ ! -f "$STATE_DIR/good" ]; then
    log "no rules version was ever good on this node: keeping HAProxy and its agent stopped"
    systemctl stop haproxy-cluster-agent 2> /dev/null || true
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
  local arch
  case "$(uname -m)" in aarch64) arch=arm64 ;; *) arch=x86_64 ;; esac
  log "installing haproxy, aws-cfn-bootstrap, amazon-cloudwatch-agent, rsyslog and the AWS AppConfig Agent"
  dnf install -y haproxy aws-cfn-bootstrap amazon-cloudwatch-agent rsyslog \
    "https://s3.amazonaws.com/aws-appconfig-downloads/aws-appconfig-agent/linux/$arch/latest/aws-appconfig-agent.rpm"
}

# The AWS AppConfig Agent keeps the rules configuration cached on localhost, asking AppConfig for a
# new version every APPCONFIG_POLL_SECONDS; the node agent reads it there.
start_appconfig_agent() {
  local profile=${RULES_URL#http://localhost:"$APPCONFIG_PORT"}
  mkdir -p /etc/systemd/system/aws-appconfig-agent.service.d
  cat > /etc/systemd/system/aws-appconfig-agent.service.d/haproxy-cluster.conf <<UNIT
[Service]
Environment=SERVICE_REGION=$REGION
Environment=HTTP_PORT=$APPCONFIG_PORT
Environment=POLL_INTERVAL=$APPCONFIG_POLL_SECONDS
Environment=PREFETCH_LIST=$profile
UNIT
  systemctl daemon-reload
  systemctl enable aws-appconfig-agent
  systemctl restart aws-appconfig-agent
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
  # Probes well inside the NLB's 350 s idle timeout, for every socket that asks for keepalive.
  printf 'net.ipv4.tcp_keepalive_time = %s\nnet.ipv4.tcp_keepalive_intvl = %s\nnet.ipv4.tcp_keepalive_probes = %s\n' \
    "$KEEPALIVE_TIME" "$KEEPALIVE_INTERVAL" "$KEEPALIVE_PROBES" >> /etc/sysctl.d/90-haproxy.conf
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
  mkdir -p /etc/rsyslog.d "$(dirname "$ACCESS_LOG")"
  # HAProxy's access log over loopback TCP (BootstrapScript.RsyslogConfig, make bench's too).
  cat > /etc/rsyslog.d/49-haproxy.conf <<'RSYSLOG'
@RSYSLOG_CONF@
RSYSLOG
  systemctl enable rsyslog
  systemctl restart rsyslog
  mkdir -p /opt/aws/amazon-cloudwatch-agent/etc
  # Load to scale on: the CloudWatch agent scrapes HAProxy's Prometheus endpoint and publishes the
  # NLB-facing frontend's sessions and requests with the node's group as their dimension (EC2
  # tags the instance with it; the launch template lets IMDS show tags).
  local group
  group=$(imds tags/instance/aws:autoscaling:groupName)
  [[ $group =~ ^[A-Za-z0-9._-]{1,255}$ ]] || { log "IMDS names no usable auto-scaling group: '$group'"; return 1; }
  cat > /opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml <<PROMETHEUS
global:
  scrape_interval: ${METRICS_SCRAPE_SECONDS}s
  scrape_timeout: 10s
scrape_configs:
  - job_name: haproxy
    metrics_path: $METRICS_PATH
    static_configs:
      - targets: ["$METRICS_TARGET"]
        labels:
          $LOAD_DIMENSION: "$group"
PROMETHEUS
  # The node agent's log and metrics (EMF), the access and bootstrap logs, and the load metrics.
  cat > /opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json <<AGENT
{"logs":{"metrics_collected":{"emf":{},"prometheus":{"log_group_name":"$LOG_GROUP",
"prometheus_config_path":"/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml",
"emf_processor":{"metric_namespace":"$AGENT_METRICS_NAMESPACE","metric_declaration":[
{"source_labels":["job","proxy"],"label_matcher":"^haproxy;$LOAD_FRONTEND\$","dimensions":[["$LOAD_DIMENSION"]],"metric_selectors":["$LOAD_METRICS"]}]}}},
"logs_collected":{"files":{"collect_list":[
{"file_path":"$ACCESS_LOG","log_group_name":"$LOG_GROUP","log_stream_name":"{instance_id}/access"},
{"file_path":"$BOOT_LOG","log_group_name":"$LOG_GROUP","log_stream_name":"{instance_id}/bootstrap"},
{"file_path":"$AGENT_LOG","log_group_name":"$LOG_GROUP","log_stream_name":"{instance_id}/agent"}]}}}}
AGENT
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json
}

# fetch <s3 uri> <file> <sha256>: the object, refused unless its hash is the expected one.
fetch() {
  log "fetching $1"
  aws s3 cp "$1" "$2" --region "$REGION" --only-show-errors
  if ! printf '%s  %s\n' "$3" "$2" | sha256sum -c --status; then
    log "$(basename "$2") sha256 is $(sha256sum "$2" | cut -d' ' -f1), expected $3"
    return 1
  fi
}

# The rules version AppConfig deploys now, installed by the node agent with the code that applies
# every later one: it verifies the payload's SHA-256, checks the config where it will run, starts
# HAProxy, fills the discovered pools and checks health; on failure it puts the previous config back.
install_rules() {
  systemctl enable haproxy
  log "installing the rules version deployed at $RULES_URL"
  "$AGENT_BIN" install-rules --settings "$AGENT_SETTINGS" --wait-seconds "$AGENT_READY_SECONDS"
}

# The node agent applies every later rules version, fills discovered pools' slots and sets
# fleet-wide limits, through HAProxy's Runtime API. HAProxy loads its servers from the state file
# the agent keeps: an empty one (version line only) until then.
install_agent() {
  fetch "$AGENT_URI" "$work/agent" "$AGENT_SHA256"
  install -m 0755 "$work/agent" "$AGENT_BIN"
  if [ ! -s "$SERVER_STATE_FILE" ]; then
    mkdir -p "$(dirname "$SERVER_STATE_FILE")"
    printf '1\n' > "$SERVER_STATE_FILE"
  fi
  # The agent's settings, written at synth time from the same C# as this script's.
  mkdir -p "$(dirname "$AGENT_SETTINGS")"
  cat > "$AGENT_SETTINGS" <<'SETTINGS'
@AGENT_SETTINGS_JSON@
SETTINGS
  cat > /etc/systemd/system/haproxy-cluster-agent.service <<UNIT
[Unit]
Description=HaproxyCluster node agent (rules rollout, discovered pools, fleet-wide rate limits)
After=haproxy.service aws-appconfig-agent.service

[Service]
ExecStart=$AGENT_BIN --settings $AGENT_SETTINGS
Restart=always
RestartSec=5
RuntimeDirectory=haproxy-cluster-agent
StandardOutput=append:$AGENT_LOG
StandardError=append:$AGENT_LOG
NoNewPrivileges=yes
# Not 'full': the agent swaps $CONFIG_DIR for a new rules version, which writes in /etc.
ProtectSystem=true
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
}

# Starts the agent and waits for its first pass over every pool: a node whose discovered pools
# are still empty does not report ready.
start_agent() {
  rm -f "$AGENT_READY"
  systemctl enable haproxy-cluster-agent
  systemctl restart haproxy-cluster-agent
  local waited
  for waited in $(seq 1 "$AGENT_READY_SECONDS"); do
    if [ -f "$AGENT_READY" ]; then
      log "node agent ready after ${waited} s"
      return 0
    fi
    sleep 1
  done
  log "node agent: no pass read every pool in $AGENT_READY_SECONDS s; see $AGENT_LOG"
  return 1
}

log "starting on instance $(imds instance-id)"
install_packages
tune_kernel
configure_systemd
configure_logs
start_appconfig_agent
install_agent
install_rules
start_agent
touch "$STATE_DIR/good"
signalled=1
cfn-signal -e 0 --stack "$STACK_NAME" --resource "$SIGNAL_RESOURCE" --region "$REGION"
log "done"
