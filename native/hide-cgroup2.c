/*
 * tsbuild-hide-cgroup2: start crun on a "hybrid" cgroup host, where crun 1.8
 * refuses to run while the cgroup v2 tree at /sys/fs/cgroup/unified has
 * controllers (src/runtime/run/cgroups.ts says why). In one process, what
 * `unshare --mount --propagation slave -- sh -c 'echo 0 > PROCS; umount -l
 * /sys/fs/cgroup/unified; exec RUNTIME ...'` did in four:
 *
 *   1. a mount namespace of its own, whose mounts are slaves of the host's
 *      (the host's later mounts still reach it, none of its own go back);
 *   2. join the device cgroup whose cgroup.procs is PROCS (skipped when
 *      PROCS is ''), before anything is forked, so the container is inside;
 *   3. detach the v2 tree there (the host keeps it);
 *   4. exec RUNTIME (an absolute path) with the arguments given.
 *
 * Usage: tsbuild-hide-cgroup2 PROCS RUNTIME [ARG]...
 *
 * A failure is written to stderr and exits 125, as a runtime that cannot
 * start the container does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define SETUP_FAILED 125

static void die(const char *what, const char *path) {
  fprintf(stderr, "tsbuild-hide-cgroup2: %s%s%s: %s\n", what, path ? " " : "", path ? path : "",
          strerror(errno));
  exit(SETUP_FAILED);
}

int main(int argc, char **argv) {
  if (argc < 3 || argv[2][0] != '/') {
    fprintf(stderr, "usage: tsbuild-hide-cgroup2 PROCS|'' /RUNTIME [ARG]...\n");
    return SETUP_FAILED;
  }
  const char *procs = argv[1];
  if (unshare(CLONE_NEWNS) != 0) die("unshare", "the mount namespace");
  if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) die("make / a slave", NULL);
  if (procs[0] != '\0') {
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("open", procs);
    if (write(fd, "0", 1) != 1) die("join the device cgroup", procs);
    close(fd);
  }
  if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) != 0) die("detach", "/sys/fs/cgroup/unified");
  execv(argv[2], &argv[2]);
  die("exec", argv[2]);
}
