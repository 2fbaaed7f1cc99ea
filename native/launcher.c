/*
 * tsbuild-launcher: starts the OCI runtime for each RUN step of a process
 * (src/runtime/run/launcher.ts), so that Node forks once, not once a step.
 *
 * Forking Node copies the page tables of its whole heap, milliseconds on the
 * thread that runs the build; forking this small process costs microseconds.
 * And what a runtime needs from its parent is set up here once:
 *
 *   --hide-cgroup2 PROCS   crun 1.8 on a "hybrid" cgroup host (cgroups.ts
 *       says why): the device cgroup whose cgroup.procs is PROCS is joined
 *       here, once ('' for none). Joining a cgroup waits for an RCU grace
 *       period (tens of milliseconds); every runtime started from here is
 *       inside already. Each program then gets a mount namespace of its own,
 *       made as it starts (so it has every mount Node made until then: the
 *       step's rootfs), whose mounts are slaves of the host's, with the v2
 *       tree at /sys/fs/cgroup/unified detached in it (the host keeps it).
 *
 * Requests come on fd 3, a SOCK_SEQPACKET socket: one message each,
 *
 *   ID \0 PROGRAM \0 ARG \0 ... \0          PROGRAM an absolute path
 *
 * with three descriptors attached (SCM_RIGHTS): the program's stdin, stdout
 * and stderr. The program gets exactly these as 0, 1, 2 and no other
 * descriptor, and this process's environment. Answers go to stdout, one line
 * each, when the program has ended (or could not be started):
 *
 *   ID exit CODE | ID signal NUMBER | ID error MESSAGE
 *
 * End of file on fd 3 (the Node process is gone) ends the launcher, and
 * removes the device cgroup unless a program still runs in it; programs
 * still running go on, as they would after their parent died. SIGINT and
 * SIGQUIT are ignored here (not in the programs): on ^C Node cancels the
 * build and kills its containers through the runtime, started from here.
 *
 * A failed setup is written to stderr and exits 125.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETUP_FAILED 125
#define REQUESTS 3
#define MAX_REQUEST 65536
#define MAX_ARGS 1024
#define MAX_ID 128

struct running {
  pid_t pid;
  char id[MAX_ID];
};

static struct running *table;
static size_t used, size;

static void die(const char *what) {
  fprintf(stderr, "tsbuild-launcher: %s: %s\n", what, strerror(errno));
  exit(SETUP_FAILED);
}

/* One answer line, written whole (a pipe takes up to PIPE_BUF bytes at once). */
static void answer(const char *id, const char *what, const char *detail) {
  char line[512];
  int n = snprintf(line, sizeof line, "%s %s %s\n", id, what, detail);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) {
    n = sizeof line - 1;
    line[n - 1] = '\n';
  }
  while (write(STDOUT_FILENO, line, (size_t)n) < 0 && errno == EINTR) {
  }
}

/* Whether each program gets the v2 tree hidden (--hide-cgroup2). */
static int hide;

/* The device cgroup's cgroup.procs, '' for none. */
static const char *cgroup_procs = "";

static int join(const char *procs) {
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int ok = write(fd, "0", 1) == 1 ? 0 : -1;
  close(fd);
  return ok;
}

static void join_cgroup(const char *procs) {
  cgroup_procs = procs;
  if (procs[0] != '\0' && join(procs) != 0) die("join the device cgroup");
}

/*
 * At the end, the device cgroup goes with us: move to its parent and remove
 * it. A runtime still running in it keeps it (rmdir fails: EBUSY), and the
 * next tsbuild sweeps it once empty (device-cgroup.ts).
 */
static void leave_cgroup(void) {
  if (cgroup_procs[0] == '\0') return;
  char dir[4096], parent[4096];
  snprintf(dir, sizeof dir, "%s", cgroup_procs);
  char *slash = strrchr(dir, '/');
  if (slash == NULL) return;
  *slash = '\0';
  snprintf(parent, sizeof parent, "%s", dir);
  slash = strrchr(parent, '/');
  if (slash == NULL) return;
  snprintf(slash, sizeof parent - (size_t)(slash - parent), "/cgroup.procs");
  if (join(parent) == 0) rmdir(dir);
}

/* In the child, before the exec: a failure goes to the program's stderr, exit 125. */
static void fail(const char *what) {
  dprintf(2, "tsbuild-launcher: %s: %s\n", what, strerror(errno));
  _exit(SETUP_FAILED);
}

static void hide_cgroup2(void) {
  if (unshare(CLONE_NEWNS) != 0) fail("unshare the mount namespace");
  if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) fail("make / a slave");
  /* Not a mount point (EINVAL) or not there (ENOENT): nothing to hide. */
  if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    fail("detach /sys/fs/cgroup/unified");
}

/* In the child: the three descriptors as 0-2, nothing else, default signals; then exec. */
static void start(char **argv, const int fds[3], const sigset_t *mask) {
  /* Each is 3 or above (0-2 are open here, checked at start), so no dup2 overwrites another. */
  for (int i = 0; i < 3; i++)
    if (dup2(fds[i], i) < 0) _exit(127);
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 ? max : 1024); fd++) close((int)fd);
  }
  if (hide) hide_cgroup2();
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGQUIT, SIG_DFL);
  sigprocmask(SIG_SETMASK, mask, NULL);
  execv(argv[0], argv);
  dprintf(2, "tsbuild-launcher: exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* Read one request and start it. Returns 0 at end of file. */
static int serve(const sigset_t *mask) {
  static char buf[MAX_REQUEST];
  char control[CMSG_SPACE(3 * sizeof(int))];
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(REQUESTS, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return 1;
    die("read a request");
  }
  if (n == 0) return 0;
  buf[n] = '\0';
  int fds[3] = {-1, -1, -1};
  int nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < k; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (nfds < 3) fds[nfds++] = fd;
      else close(fd);
    }
  }
  /* ID, then the arguments, each ended by a NUL. */
  char *args[MAX_ARGS + 1];
  int argc = 0;
  const char *id = buf;
  size_t idlen = strnlen(buf, (size_t)n);
  for (char *p = buf + idlen + 1; p < buf + n && argc < MAX_ARGS; p += strlen(p) + 1) args[argc++] = p;
  args[argc] = NULL;
  const char *bad = NULL;
  if (idlen == 0 || idlen >= MAX_ID || strpbrk(id, " \n") != NULL) bad = "a request without a valid id";
  else if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) bad = "a request too long";
  else if (nfds != 3) bad = "a request without three descriptors";
  else if (argc == 0 || args[0][0] != '/') bad = "a program that is not an absolute path";
  if (bad != NULL) {
    for (int i = 0; i < nfds; i++) close(fds[i]);
    answer(idlen > 0 && idlen < MAX_ID && strpbrk(id, " \n") == NULL ? id : "-", "error", bad);
    return 1;
  }
  if (used == size) {
    size_t grown = size == 0 ? 8 : size * 2;
    struct running *t = realloc(table, grown * sizeof *t);
    if (t == NULL) die("malloc");
    table = t;
    size = grown;
  }
  pid_t pid = fork();
  if (pid == 0) start(args, fds, mask);
  for (int i = 0; i < 3; i++) close(fds[i]);
  if (pid < 0) {
    answer(id, "error", strerror(errno));
    return 1;
  }
  table[used].pid = pid;
  snprintf(table[used].id, MAX_ID, "%s", id);
  used++;
  return 1;
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < used; i++) {
      if (table[i].pid != pid) continue;
      char detail[16];
      if (WIFSIGNALED(status)) {
        snprintf(detail, sizeof detail, "%d", WTERMSIG(status));
        answer(table[i].id, "signal", detail);
      } else {
        snprintf(detail, sizeof detail, "%d", WEXITSTATUS(status));
        answer(table[i].id, "exit", detail);
      }
      table[i] = table[--used];
      break;
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--hide-cgroup2") == 0) {
    hide = 1;
    join_cgroup(argv[2]);
  } else if (argc != 1) {
    fprintf(stderr, "usage: tsbuild-launcher [--hide-cgroup2 PROCS]\n");
    return SETUP_FAILED;
  }
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0) die("descriptors 0, 1 and 2 must be open");
  /* An answer to a Node process that is gone must not kill us before we read end of file. */
  signal(SIGPIPE, SIG_IGN);
  /* ^C reaches the whole process group: Node cancels the build, and kills its containers through us. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, &old) != 0) die("block SIGCHLD");
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
  if (sfd < 0) die("signalfd");
  if (fcntl(REQUESTS, F_SETFD, FD_CLOEXEC) != 0) die("no request socket on fd 3");
  struct pollfd p[2] = {{.fd = REQUESTS, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) < 0 && errno == EINTR) {
      }
      reap();
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (serve(&old) == 0) {
        leave_cgroup();
        return 0;
      }
    }
  }
}
