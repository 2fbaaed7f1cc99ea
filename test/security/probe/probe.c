/*
 * The sandbox probe: a static program the security tests copy into an image
 * and run in a RUN step, under Docker's BuildKit and under each tsbuild
 * runtime, so that the two results can be compared as text.
 *
 *   probe MODE [FILE]     MODE's output goes to FILE (opened first) when given
 *
 *   probe syscalls        one line per system call below: "name errno" (0: it
 *                         succeeded); each is made in a child process of its own,
 *                         with harmless arguments, so one that succeeds changes
 *                         nothing for the next
 *   probe chroot-escape   the classic escape with CAP_SYS_CHROOT (chroot into a
 *                         subdirectory, climb past it with "..", chroot "."), then
 *                         prints the entries of the "/" it ended in, sorted
 *
 * The system calls are chosen so that Docker's default seccomp profile and
 * no profile at all give different answers (keyctl, userfaultfd, unshare of a
 * user namespace, ...), or so that the profile's exceptions show (personality,
 * clone's flags, clone3's ENOSYS). Their arguments are chosen so that even
 * unconfined, as root, nothing changes (sethostname with a length the kernel
 * refuses, acct with a bad pointer); calls that cannot be made harmless
 * (vhangup) are left out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe {
  const char *name;
  long nr;
  long args[6];
};

#define P(name, ...) {#name, SYS_##name, {__VA_ARGS__}}

/* Raw numbers for system calls newer than the headers (x86_64). */
#define NR_futex_waitv 449
#define NR_set_mempolicy_home_node 450
#define NR_cachestat 451
#define NR_fchmodat2 452

static const struct probe probes[] = {
    P(getpid),
    P(uname, 0),
    P(unshare, CLONE_NEWUSER),
    P(unshare, CLONE_NEWNS),
    P(clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
    P(clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0),
    P(clone, SIGCHLD, 0, 0, 0, 0),
    P(clone3, 0, 0),
    P(keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session keyring */, 0),
    P(add_key, 0, 0, 0, 0, 0),
    P(request_key, 0, 0, 0, 0),
    P(userfaultfd, 0),
    P(personality, 0xffffffff),
    P(personality, 0x0008),
    P(personality, 0x0400000 /* READ_IMPLIES_EXEC */),
    P(ptrace, 0 /* PTRACE_TRACEME */),
    P(bpf, 0, 0, 0),
    P(perf_event_open, 0, 0, -1, -1, 0),
    P(name_to_handle_at, AT_FDCWD, 0, 0, 0, 0),
    P(pkey_alloc, 0, 0),
    P(process_vm_readv, 0, 0, 0, 0, 0, 0),
    P(get_mempolicy, 0, 0, 0, 0, 0),
    P(set_mempolicy, 0, 0, 0),
    P(mbind, 0, 0, 0, 0, 0, 0),
    P(move_pages, 0, 0, 0, 0, 0, 0),
    P(kcmp, 0, 0, 0, 0, 0),
    P(io_uring_setup, 0, 0),
    P(socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0),
    P(syslog, 10 /* SIZE_BUFFER */, 0, 0),
    P(mount, 0, 0, 0, 0, 0),
    P(umount2, 0, 0),
    P(chroot, 0),
    P(setns, -1, 0),
    P(acct, 1),
    P(quotactl, 0, 0, 0, 0),
    P(lookup_dcookie, 0, 0, 0),
    P(fanotify_init, 0, 0),
    P(open_by_handle_at, -1, 0, 0),
    P(sysfs, 3),
    P(uselib, 0),
    P(ustat, 0, 0),
    P(iopl, 0),
    P(ioperm, 0, 0, 0),
    P(settimeofday, 0, 0),
    P(clock_settime, 0, 0),
    P(swapon, 0, 0),
    P(reboot, 0, 0, 0, 0),
    P(finit_module, -1, 0, 0),
    P(kexec_load, 0, 0, 0, 0),
    P(pidfd_getfd, -1, 0, 0),
    P(process_madvise, -1, 0, 0, 0, 0),
    P(memfd_secret, 0),
    P(landlock_create_ruleset, 0, 0, 1 /* VERSION */),
    P(close_range, 1000, 1001, 0),
    P(mount_setattr, -1, 0, 0, 0, 0),
    P(open_tree, -1, 0, 0),
    P(move_mount, -1, 0, -1, 0, 0),
    P(fsopen, 0, 0),
    P(fspick, -1, 0, 0),
    P(pivot_root, 0, 0),
    P(sethostname, 0, 1000),
    P(setdomainname, 0, 1000),
    P(mknodat, AT_FDCWD, 0, 0, 0),
    P(delete_module, 0, 0),
    P(vmsplice, -1, 0, 0, 0),
    P(io_pgetevents, 0, 0, 0, 0, 0, 0),
    /* Around the newest call the profile names: runc answers ENOSYS past it. */
    {"futex_waitv", NR_futex_waitv, {0, 0, 0, 0, 0}},
    {"set_mempolicy_home_node", NR_set_mempolicy_home_node, {0, 0, 0, 0}},
    {"fchmodat2", NR_fchmodat2, {AT_FDCWD, 0, 0, 0}},
    {"cachestat", NR_cachestat, {-1, 0, 0, 0}},
};

/* The errno of one call made in a fresh child (0 when it succeeded). */
static int errno_of(const struct probe *p) {
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    alarm(5);
    long r = syscall(p->nr, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4], p->args[5]);
    /* A clone that made a child: that child leaves at once, the parent reports. */
    if (r == 0 && p->nr == SYS_clone) _exit(0);
    _exit(r < 0 ? errno : 0);
  }
  int status;
  if (waitpid(child, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static int syscalls(void) {
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    const struct probe *p = &probes[i];
    printf("%s(0x%lx) %d\n", p->name, (unsigned long)p->args[0], errno_of(p));
  }
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int chroot_escape(void) {
  mkdir("/probe-escape", 0700);
  if (chroot("/probe-escape") != 0) {
    printf("chroot: %s\n", strerror(errno));
    return 1;
  }
  /* The cwd stayed outside the new root: ".." climbs up to the namespace's real root. */
  for (int i = 0; i < 64; i++)
    if (chdir("..") != 0) break;
  if (chroot(".") != 0) {
    printf("chroot .: %s\n", strerror(errno));
    return 1;
  }
  DIR *d = opendir("/");
  if (d == NULL) return 1;
  char *names[1024];
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < 1024;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names[n++] = strdup(e->d_name);
  qsort(names, n, sizeof names[0], by_name);
  for (size_t i = 0; i < n; i++) printf("%s\n", names[i]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && freopen(argv[2], "w", stdout) == NULL) return 3;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc >= 2 && strcmp(argv[1], "syscalls") == 0) return syscalls();
  if (argc >= 2 && strcmp(argv[1], "chroot-escape") == 0) return chroot_escape();
  fprintf(stderr, "usage: probe syscalls|chroot-escape [FILE]\n");
  return 2;
}
