# --- Everything below is the fixed body of the bootstrap; the settings above are generated. ---
#
# Turns a blank Amazon Linux 2023 instance into a cluster node, failing closed: any error
# signals failure to CloudFormation and leaves HAProxy stopped or on its previous good config.
# Running it twice leaves the same state.

readonly STATE_DIR=/var/lib/haproxy-bootstrap
readonly IMDS=http://169.254.169.254/latest
export PATH="/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin:/opt/aws/bin:/opt/aws/amazon-cloudwatch-agent/bin"

mkdir -p "$STATE_DIR" "$(dirname "$BOOT_LOG")"
exec > >(tee -a "$BOOT_LOG") 2>&1

log() { printf '%s haproxy-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

signalled=0
work=$(mktemp -d)

on_exit() {
  local rc=$? reason
  # A failed bake's verdict is the signal's reason.
  reason=$(head -n 1 "$work/bake-reason" 2> /dev/null || echo "bootstrap failed (exit $rc), see $BOOT_LOG")
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
    --reason "$reason" || log "cfn-signal failed too"
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

# The files are in place: sysctl, the units' drop-ins, rsyslog, and the CloudWatch agent and the
# node agent with the group IMDS names (the launch template lets IMDS show tags), then the AWS AppConfig Agent.
start_services() {
  sysctl --system > /dev/null
  systemctl daemon-reload
  systemctl enable rsyslog
  systemctl restart rsyslog
  local group
  group=$(imds tags/instance/aws:autoscaling:groupName)
  [[ $group =~ ^[A-Za-z0-9._-]{1,255}$ ]] || { log "IMDS names no usable auto-scaling group: '$group'"; return 1; }
  sed -i "s/$GROUP_TOKEN/$group/" "$PROMETHEUS_CONFIG" "$AGENT_SETTINGS"
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$CLOUDWATCH_CONFIG"
  systemctl enable aws-appconfig-agent
  systemctl restart aws-appconfig-agent
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

# The node agent applies every rules version, fills discovered pools' slots and sets fleet-wide
# limits, through HAProxy's Runtime API. HAProxy loads its servers from the state file the agent
# keeps: an empty one (version line only) until then.
install_agent() {
  fetch "$AGENT_URI" "$work/agent" "$AGENT_SHA256"
  install -m 0755 "$work/agent" "$AGENT_BIN"
  if [ ! -s "$SERVER_STATE_FILE" ]; then
    mkdir -p "$(dirname "$SERVER_STATE_FILE")"
    printf '1\n' > "$SERVER_STATE_FILE"
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

# Starts the agent; systemd waits for its READY=1 (Type=notify), sent after its first pass over
# every pool: a node whose discovered pools are still empty does not report ready.
start_agent() {
  systemctl enable haproxy-cluster-agent
  if ! systemctl restart haproxy-cluster-agent; then
    log "node agent: no pass read every pool in $AGENT_READY_SECONDS s; see $AGENT_LOG"
    return 1
  fi
  log "node agent ready"
}

log "starting on instance $(imds instance-id)"
install_packages
write_node_files
start_services
install_agent
install_rules
start_agent
# The bake: the node serves the NLB's real traffic for the environment's bake time, judged on its own
# failures, its worker and its agent (the agent's events, in this log); a failed one signals failure.
"$AGENT_BIN" bake --settings "$AGENT_SETTINGS" --reason-file "$work/bake-reason"
touch "$STATE_DIR/good"
signalled=1
cfn-signal -e 0 --stack "$STACK_NAME" --resource "$SIGNAL_RESOURCE" --region "$REGION"
log "done"
