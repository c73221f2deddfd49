#!/usr/bin/env bash
# One upgraded connection for the local cluster (socat runs this per connection, on its stdio):
# reads the request head, answers 101 Switching Protocols, then echoes every byte back until the
# client closes: a WebSocket's life through the cluster, without its framing.
set -euo pipefail
while IFS= read -r line && [ -n "${line%$'\r'}" ]; do :; done
printf 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n'
exec cat
