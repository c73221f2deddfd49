// The tests drive real Linux tools (haproxy, chroot, unshare, overlayfs, shellcheck); they run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
