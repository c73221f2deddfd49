# The commands users type. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := synth

# jsii prints a large end-of-life banner for Node 20 on every run. This silences that banner for
# Node 20 only; any other warning or error from jsii or the CDK still prints.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

CDK := npx --no-install cdk
# Every process make test's tests start carries this in its environment, so that a daemon one of
# them leaves behind is found and stopped at the end (local leftovers), forked away or not.
TEST_MARK := HAPROXY_CLUSTER_TEST=1
CDK_OUT ?= cdk.out
# HAProxy 3.0 (Debian 13), run through chroot: Amazon Linux 2023 ships up to 3.0, Debian 12 has 2.6.
# The bootstrap script also runs in it (through an overlay), so it holds curl too.
# make diff and its test synthesize other checkouts; they share this root through the environment.
HAPROXY30_ROOT ?= $(CURDIR)/.tools/debian-trixie
export HAPROXY30_ROOT

# The node agent, one self-contained file per architecture a node can have (make agent); the
# construct ships the one its instance type needs as an asset of its own. The build properties are
# set for every project it compiles, and it is compiled afresh, so the same sources give the same
# bytes in any folder, CI or not, whatever an earlier build left in obj/.
AGENT_OUT := .build/agent
AGENT_RIDS := linux-x64 linux-arm64
# Everything it compiles in: the agent and the node contract (it references nothing else).
AGENT_SOURCES := $(shell find agent node-contract -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*') \
  agent/NodeAgent.csproj node-contract/NodeContract.csproj Directory.Build.props Directory.Packages.props
AGENT_FILES := $(AGENT_RIDS:%=$(AGENT_OUT)/%/haproxy-cluster-agent)

.PHONY: synth build app agent refresh-ami test tools check-determinism nag format-check scripts-check workflows-check diff diff-test local local-down scale burst rollout local-test chaos chaos-short bench bench-smoke fleet-scale fleet-scale-smoke clean

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

build:
	dotnet build HaproxyCluster.sln --nologo -v quiet -clp:NoSummary

# What synthesis and the local commands run: the CDK app and the local tool, without the tests.
app:
	dotnet build local/LocalCluster.csproj --nologo -v quiet -clp:NoSummary

agent: $(AGENT_FILES)

$(AGENT_OUT)/%/haproxy-cluster-agent: $(AGENT_SOURCES)
	rm -rf agent/obj/Release agent/bin/Release node-contract/obj/Release node-contract/bin/Release
	dotnet publish agent/NodeAgent.csproj --nologo -v quiet -c Release -r $* -o $(AGENT_OUT)/$* \
	  -p:ContinuousIntegrationBuild=true -p:DebugType=none
	@ls -l $@ | awk '{ print "agent: " $$NF ", " $$5 " bytes" }'

# Synthesizes every environment's stack into $(CDK_OUT)/ (one stack: make synth ENV=prod), then
# proves each environment's bundle with haproxy -c on the nodes' HAProxy (3.0), at a node's paths.
synth: node_modules/.package-lock.json app agent $(HAPROXY30_ROOT)/usr/sbin/rsyslogd
	$(CDK) synth --quiet --output $(CDK_OUT) $(if $(ENV),-c env=$(ENV))
	dotnet local/bin/Debug/net10.0/HaproxyCluster.Local.dll check-bundles $(CDK_OUT) --root $(HAPROXY30_ROOT)
	@ls $(CDK_OUT)/*.template.json

# The nodes' Amazon Linux 2023 image is pinned per account and region in cdk.context.json, so no
# deploy replaces the nodes because AWS published a newer image. This pins the newest one again,
# looking it up with your AWS credentials; review the change with make diff, then commit it.
refresh-ami: node_modules/.package-lock.json app agent
	node -e 'for (const k of Object.keys(require("./cdk.context.json"))) if (k.startsWith("ssm:") && k.includes("/aws/service/ami-amazon-linux-latest/")) console.log(k)' \
	  | while read -r key; do $(CDK) context --reset "$$key" > /dev/null; done
	$(CDK) synth --quiet --output $(CDK_OUT)
	git diff --stat cdk.context.json

# Installs what the tests need when it is missing: Debian's haproxy 2.6, shellcheck, wrk, gnuplot,
# socat (the scripts' Runtime API client), python3 (runs the scale-in function's code), valgrind
# (the bench's instruction counts), and a Debian 13 root holding haproxy 3.0 and rsyslog.
tools: node_modules/.package-lock.json $(HAPROXY30_ROOT)/usr/sbin/rsyslogd
	@command -v haproxy >/dev/null && command -v shellcheck >/dev/null && command -v wrk >/dev/null && command -v gnuplot >/dev/null && command -v socat >/dev/null && command -v python3 >/dev/null && command -v valgrind >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy shellcheck wrk gnuplot-nox iproute2 socat python3 valgrind; }
	@haproxy -v | awk "NR == 1"
	@chroot $(HAPROXY30_ROOT) haproxy -v | awk "NR == 1"

$(HAPROXY30_ROOT)/usr/sbin/rsyslogd:
	@command -v debootstrap >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap debian-archive-keyring; }
	rm -rf $(HAPROXY30_ROOT)
	debootstrap --variant=minbase --include=haproxy,curl,rsyslog trixie $(HAPROXY30_ROOT) >/dev/null

# Two syntheses of the same commit must give byte-identical output.
check-determinism: synth
	rm -rf $(CDK_OUT).again
	$(CDK) synth --quiet --output $(CDK_OUT).again >/dev/null
	diff -r $(CDK_OUT) $(CDK_OUT).again
	rm -rf $(CDK_OUT).again
	@echo "determinism: two syntheses are byte-identical"

# The whole request path on this machine: make local ENV=<env> (default dev); make local-down.
local: app agent tools
	scripts/local.sh up $(or $(ENV),dev)

local-down:
	scripts/local.sh down

# Scales an EC2-discovered pool of the running local cluster (POOL: the first one): EC2 lists its
# first INSTANCES instances as running, and LEAVING more tagged as leaving (as the scale-in hook does).
scale: app
	scripts/local.sh scale "$(POOL)" "$(INSTANCES)" "$(or $(LEAVING),0)"

# REQUESTS (4000) through the running local cluster from an address no rate limit exempts, the
# answers counted: past the limit they are 429s.
burst:
	scripts/local.sh burst "$(or $(REQUESTS),4000)" "$(HOST)"

# Rolls the working tree's rules out to the running local cluster through the AppConfig stand-in
# (scripts/rollout.sh); ARGS passes options such as --tenants 10000 or --rules-version 2.
rollout: app
	ENV=$(or $(ENV),dev) scripts/rollout.sh $(ARGS)

# make local works with an environment whose ports and health path are not the defaults.
local-test: app agent tools
	env $(TEST_MARK) scripts/test-local.sh

# Faults under load through the local cluster (phases and budgets in scripts/chaos.sh).
chaos: app agent tools
	ENV=$(or $(ENV),dev) scripts/chaos.sh

# The same in seconds, for make test: 6 s of load a phase, the front checking nodes every second.
chaos-short: app agent tools
	env $(TEST_MARK) ENV=dev CHAOS_SECONDS=6 CHAOS_OUTAGE_SECONDS=6 FRONT_CHECK_MS=1000 scripts/chaos.sh

# Throughput and latency of the generated config against a minimal one, and 10 against 10,000
# host routes; figures in bench-results/ (scripts/bench.sh).
bench: app tools
	ENV=$(or $(ENV),dev) scripts/bench.sh

# The bench script runs end to end (one 1-second round; its figures mean nothing at that length).
bench-smoke: app tools
	env $(TEST_MARK) ENV=dev BENCH_ROUNDS=1 BENCH_SECONDS=1 scripts/bench.sh

# Discovery at fleet size (local/FleetScale.cs): for NODES (3 10 30 100) agents on real HAProxies
# against one EC2 stand-in, the calls a second it answers and how fast a group change reaches every
# node; about ten minutes. The nodes' files and logs are left in .build/fleet-scale/.
fleet-scale: app agent tools
	rm -rf .build/fleet-scale
	env $(TEST_MARK) dotnet local/bin/Debug/net10.0/HaproxyCluster.Local.dll fleet-scale --out .build/fleet-scale \
	  --agent $(AGENT_OUT)/linux-$(if $(filter aarch64,$(shell uname -m)),arm64,x64)/haproxy-cluster-agent $(if $(NODES),--nodes $(NODES))

# The same for 12 nodes, for make test: past the minimum interval, so the budget is judged.
fleet-scale-smoke:
	$(MAKE) fleet-scale NODES=12

# Every script passes shellcheck at its strictest severity.
scripts-check: tools
	shellcheck --severity=style scripts/*.sh

# What a change does, offline: make diff BASE=<git ref> (default origin/main, else HEAD~1).
diff: node_modules/.package-lock.json
	BASE=$(BASE) scripts/diff.sh

# cdk-nag's AwsSolutions pack over every synthesized template (scripts/nag.js says how), and every
# IAM statement against AWS's service authorization data (scripts/iam-check.js).
nag: synth
	node scripts/nag.js $(CDK_OUT)
	node scripts/iam-check.js $(CDK_OUT)

# The code is formatted as .editorconfig says.
format-check:
	dotnet format HaproxyCluster.sln --verify-no-changes --no-restore

# The GitHub workflows are valid workflow files.
workflows-check: node_modules/.package-lock.json
	for f in .github/workflows/*.yml; do npx --no-install action-validator "$$f"; done
	@echo "workflows: $$(ls .github/workflows/*.yml | wc -l) files valid"

# make diff, proved on a scratch clone (scripts/test-diff.sh).
diff-test: node_modules/.package-lock.json
	scripts/test-diff.sh

# Ends by failing if a process the tests started is still running, whether they passed or not.
test: tools build check-determinism nag format-check scripts-check workflows-check diff-test local-test chaos-short bench-smoke fleet-scale-smoke
	status=0; env $(TEST_MARK) MSBUILDDISABLENODEREUSE=1 \
	  dotnet test HaproxyCluster.sln --nologo --no-build -v quiet --logger "console;verbosity=minimal" || status=$$?; \
	dotnet local/bin/Debug/net10.0/HaproxyCluster.Local.dll leftovers $(TEST_MARK) || status=1; \
	exit $$status

clean:
	rm -rf $(CDK_OUT) $(CDK_OUT).again node_modules $(AGENT_OUT)
	dotnet clean HaproxyCluster.sln --nologo -v quiet
