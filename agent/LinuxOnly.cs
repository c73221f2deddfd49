// The agent runs on the nodes (Amazon Linux, under systemd) and in the local cluster, on Linux
// only: it may use Linux's file modes (a private key's file is its owner's alone).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
