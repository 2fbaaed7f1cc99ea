{
  "targets": [
    {
      "target_name": "tsbuild-sandbox-init",
      "type": "executable",
      "sources": ["native/sandbox-init.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild-launcher",
      "type": "executable",
      "sources": ["native/launcher.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild-reaper",
      "type": "executable",
      "sources": ["native/reaper.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild_syscalls",
      "sources": ["native/syscalls.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild_terminal",
      "sources": ["native/terminal.c", "native/pump.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild_stat",
      "sources": ["native/stat.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild_xattr",
      "sources": ["native/xattr.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
