{
  "targets": [
    {
      "target_name": "tsbuild-sandbox-init",
      "type": "executable",
      "sources": ["native/sandbox-init.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild-hide-cgroup2",
      "type": "executable",
      "sources": ["native/hide-cgroup2.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbuild_mount",
      "sources": ["native/mount.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
