/*
 * tsbuild-sandbox-init: the last step of the built-in sandbox
 * (src/runtime/run/sandbox.ts), run as pid 1 of the step's namespaces once
 * its mounts are in place. What runc's init does after its mounts, and what
 * util-linux cannot do from a shell:
 *
 *   1. close every fd but 0-2 (and the saved stderr, fd 3): a parent's fds
 *      (a CI runner's, the API host's) must not reach the step;
 *   1b. the user's mounts (RUN --mount, run -v/--mount, image VOLUMEs), in
 *      order, each target resolved inside the rootfs after the mounts before
 *      it (openat2 RESOLVE_IN_ROOT, then mount onto /proc/self/fd/N, as runc
 *      does): a symlink in an outer mount's source (a context's, a cache's)
 *      cannot put an inner mount on a host directory;
 *   2. pivot_root into the rootfs and detach the old root, so nothing of the
 *      host is left in the mount namespace: a chroot escape (CAP_SYS_CHROOT
 *      is Docker's) ends in the rootfs;
 *   3. chdir, groups, gid; drop the bounding set to Docker's capabilities;
 *   4. load the seccomp filter (classic BPF compiled by seccomp-bpf.ts from
 *      Docker's default profile) while CAP_SYS_ADMIN is still held, since
 *      BuildKit sets no no_new_privs;
 *   5. set the capabilities, then the uid (which clears them for a non-root
 *      user, as moby gives non-root users the bounding set only);
 *   6. exec the command with exactly the environment given.
 *
 * With --console-socket (a run with a terminal), between 2 and 3: a
 * pseudo-terminal made in the container's own devpts (its /dev/ptmx, so
 * `tty` names /dev/pts/0 as under runc), sized ROWSxCOLS, its slave bound
 * over /dev/console and owned by the user (runc's fixStdioPermissions), its
 * master sent over the socket (connected before pivot_root: the path is the
 * host's) with SCM_RIGHTS, as runc sends it; then a new session whose
 * controlling terminal is the slave, which becomes stdin, stdout and stderr.
 *
 * Usage (every value required but --groups, --env and the console's):
 *   tsbuild-sandbox-init --root DIR --cwd DIR --uid N --gid N [--groups G,G]
 *     --caps HEX --seccomp FILE [--console-socket PATH --console-size ROWSxCOLS]
 *     [--mount bind|tmpfs SOURCE TARGET OPTIONS]... [--env K=V]... -- ARGV...
 *   (OPTIONS: comma-separated, `ro`, `nosuid`… as flags, the rest tmpfs data)
 *
 * A failure before the exec is written to stderr (the setup log) and exits
 * 125; a failed exec is written to fd 3 (the step's stderr) and exits 127
 * (not found) or 126, as `docker run` does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define SETUP_FAILED 125
#define MAX_GROUPS 256
#define MAX_ENV 4096
#define MAX_MOUNTS 256

extern char **environ;

static void die(const char *what) {
  fprintf(stderr, "tsbuild-sandbox-init: %s: %s\n", what, strerror(errno));
  exit(SETUP_FAILED);
}

static void usage(const char *why) {
  fprintf(stderr, "tsbuild-sandbox-init: %s\n", why);
  exit(SETUP_FAILED);
}

static unsigned long number(const char *s, const char *flag) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno != 0 || *s == '\0' || *end != '\0' || v > 0xffffffffUL) usage(flag);
  return v;
}

/* The whole file: the filter is a few kilobytes. */
static struct sock_fprog read_filter(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open seccomp filter");
  struct stat st;
  if (fstat(fd, &st) != 0) die("stat seccomp filter");
  size_t n = (size_t)st.st_size;
  if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
    usage("seccomp filter: not a whole BPF program");
  struct sock_filter *insns = malloc(n);
  if (insns == NULL) die("malloc");
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)insns + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) die("read seccomp filter");
    got += (size_t)r;
  }
  close(fd);
  struct sock_fprog prog = {.len = (unsigned short)(n / sizeof(struct sock_filter)), .filter = insns};
  return prog;
}

/* Everything above fd 3; /proc/self/fd when close_range(2) is missing (Linux < 5.9). */
static void close_inherited(void) {
  if (syscall(SYS_close_range, 4U, ~0U, 0U) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = 4; fd < (max > 0 ? max : 1024); fd++) close((int)fd);
}

struct user_mount {
  const char *type, *source, *target, *options;
};

/* `target` (absolute in the container) resolved inside the root, never outside it. */
static int open_in_root(int rootfd, const char *target) {
  while (*target == '/') target++;
  struct open_how how = {
      .flags = O_PATH | O_CLOEXEC,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int)syscall(SYS_openat2, rootfd, *target ? target : ".", &how, sizeof how);
}

/* mount(8)'s option words as MS_ flags; the rest goes to the filesystem (tmpfs's size=, mode=). */
static unsigned long mount_flags(const char *options, char *data, size_t cap) {
  unsigned long flags = 0;
  char *copy = strdup(options), *save = NULL;
  if (copy == NULL) die("strdup");
  data[0] = '\0';
  for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
    if (strcmp(o, "ro") == 0) flags |= MS_RDONLY;
    else if (strcmp(o, "nosuid") == 0) flags |= MS_NOSUID;
    else if (strcmp(o, "nodev") == 0) flags |= MS_NODEV;
    else if (strcmp(o, "noexec") == 0) flags |= MS_NOEXEC;
    else if (strcmp(o, "rw") == 0 || strcmp(o, "rbind") == 0 || strcmp(o, "rprivate") == 0 ||
             strcmp(o, "defaults") == 0)
      continue;
    else {
      size_t used = strlen(data);
      if (used + strlen(o) + 2 > cap) usage("mount options too long");
      if (used > 0) strcat(data, ",");
      strcat(data, o);
    }
  }
  free(copy);
  return flags;
}

static void mount_at(const struct user_mount *m, int rootfd) {
  char what[4200], at[64], data[4096];
  snprintf(what, sizeof what, "mount on %s", m->target);
  unsigned long flags = mount_flags(m->options, data, sizeof data);
  int fd = open_in_root(rootfd, m->target);
  if (fd < 0) die(what);
  snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
  if (strcmp(m->type, "tmpfs") == 0) {
    if (mount("tmpfs", at, "tmpfs", flags, data) != 0) die(what);
  } else if (strcmp(m->type, "bind") == 0) {
    if (mount(m->source, at, NULL, MS_BIND | MS_REC, NULL) != 0) die(what);
    if (flags != 0) {
      /* The bind takes no flags: remount its top, found again through the new mount. */
      int top = open_in_root(rootfd, m->target);
      if (top < 0) die(what);
      snprintf(at, sizeof at, "/proc/self/fd/%d", top);
      if (mount(NULL, at, NULL, MS_REMOUNT | MS_BIND | flags, NULL) != 0) die(what);
      close(top);
    }
  } else usage("--mount: the type is bind or tmpfs");
  close(fd);
}

/* runc's pivotRoot: pivot_root(".", ".") stacks the old root over the new one; detach it. */
static void enter_root(const char *root) {
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) die("open /");
  int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) die("open rootfs");
  if (fchdir(newroot) != 0) die("chdir rootfs");
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root");
  if (fchdir(oldroot) != 0) die("chdir old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) != 0) die("make old root a slave");
  if (umount2(".", MNT_DETACH) != 0) die("detach old root");
  if (chdir("/") != 0) die("chdir /");
  close(oldroot);
  close(newroot);
}

static void drop_bounding(uint64_t keep) {
  for (int cap = 0; cap < 64; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("drop bounding capability");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    die("clear ambient capabilities");
}

static void set_caps(uint64_t keep) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = (uint32_t)(keep >> (32 * i));
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &hdr, data) != 0) die("capset");
}

/* Before pivot_root: the socket's path is the host's. */
static int connect_console(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) usage("--console-socket: path too long");
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("console socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect to the console socket");
  return fd;
}

/* The master and the terminal's name, as runc's utils.SendRawFd sends them. */
static void send_master(int sock, int master, const char *name) {
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof master);
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) die("send the terminal");
}

/* After pivot_root; fd 2 is still the setup log, the slave becomes 0, 1 and the saved stderr 3. */
static void open_terminal(int sock, unsigned rows, unsigned cols, uid_t uid) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die("open /dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) die("unlock the terminal");
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(master, TIOCSWINSZ, &ws) != 0) die("size the terminal");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) die("open the terminal");
  char name[64];
  if (ptsname_r(master, name, sizeof name) != 0) die("name the terminal");
  int console = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (console < 0) die("create /dev/console");
  close(console);
  if (mount(name, "/dev/console", NULL, MS_BIND, NULL) != 0) die("bind the terminal to /dev/console");
  send_master(sock, master, name);
  close(master);
  close(sock);
  if (setsid() < 0) die("setsid");
  if (ioctl(slave, TIOCSCTTY, 0) != 0) die("make the terminal the controlling one");
  if (uid != 0 && fchown(slave, uid, (gid_t)-1) != 0) die("chown the terminal");
  if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 3) < 0) die("dup the terminal");
  close(slave);
}

/* ROWSxCOLS, each 0-65535. */
static void console_size(const char *v, unsigned *rows, unsigned *cols) {
  char *end;
  errno = 0;
  unsigned long r = strtoul(v, &end, 10);
  if (errno != 0 || end == v || *end != 'x' || r > 65535) usage("--console-size");
  const char *c = end + 1;
  unsigned long k = strtoul(c, &end, 10);
  if (errno != 0 || end == c || *end != '\0' || k > 65535) usage("--console-size");
  *rows = (unsigned)r;
  *cols = (unsigned)k;
}

int main(int argc, char **argv) {
  const char *root = NULL, *cwd = NULL, *filter_path = NULL, *caps = NULL, *console_path = NULL;
  unsigned rows = 0, cols = 0;
  long uid = -1, gid = -1;
  gid_t groups[MAX_GROUPS];
  size_t ngroups = 0;
  static char *env[MAX_ENV + 1];
  size_t nenv = 0;
  static struct user_mount mounts[MAX_MOUNTS];
  size_t nmounts = 0;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--mount") == 0) {
      if (i + 4 >= argc) usage("--mount lacks its type, source, target or options");
      if (nmounts == MAX_MOUNTS) usage("too many --mount");
      mounts[nmounts++] = (struct user_mount){argv[i + 1], argv[i + 2], argv[i + 3], argv[i + 4]};
      i += 4;
      continue;
    }
    if (i + 1 >= argc) usage("a flag lacks its value");
    const char *v = argv[++i];
    if (strcmp(a, "--root") == 0) root = v;
    else if (strcmp(a, "--cwd") == 0) cwd = v;
    else if (strcmp(a, "--uid") == 0) uid = (long)number(v, "--uid");
    else if (strcmp(a, "--gid") == 0) gid = (long)number(v, "--gid");
    else if (strcmp(a, "--caps") == 0) caps = v;
    else if (strcmp(a, "--seccomp") == 0) filter_path = v;
    else if (strcmp(a, "--console-socket") == 0) console_path = v;
    else if (strcmp(a, "--console-size") == 0) console_size(v, &rows, &cols);
    else if (strcmp(a, "--env") == 0) {
      if (nenv == MAX_ENV) usage("too many --env");
      env[nenv++] = (char *)v;
    } else if (strcmp(a, "--groups") == 0) {
      char *copy = strdup(v), *save = NULL;
      for (char *g = strtok_r(copy, ",", &save); g != NULL; g = strtok_r(NULL, ",", &save)) {
        if (ngroups == MAX_GROUPS) usage("too many --groups");
        groups[ngroups++] = (gid_t)number(g, "--groups");
      }
    } else usage("unknown flag");
  }
  if (!root || !cwd || uid < 0 || gid < 0 || !caps || !filter_path || i >= argc)
    usage("missing --root, --cwd, --uid, --gid, --caps, --seccomp or the command");
  char *end;
  errno = 0;
  uint64_t keep = strtoull(caps, &end, 16);
  if (errno != 0 || *end != '\0') usage("--caps");
  char **command = &argv[i];

  struct sock_fprog filter = read_filter(filter_path);
  close_inherited();
  int console = console_path == NULL ? -1 : connect_console(console_path);
  if (nmounts > 0) {
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) die("open rootfs");
    for (size_t m = 0; m < nmounts; m++) mount_at(&mounts[m], rootfd);
    close(rootfd);
  }
  enter_root(root);
  if (console >= 0) open_terminal(console, rows, cols, (uid_t)uid);
  if (chdir(cwd) != 0) die("chdir to the working directory");
  if (setgroups(ngroups, groups) != 0) die("setgroups");
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) die("setresgid");
  drop_bounding(keep);
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0) != 0) die("load seccomp filter");
  set_caps(keep);
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) die("setresuid");

  if (dup2(3, 2) < 0) die("restore stderr");
  close(3);
  env[nenv] = NULL;
  environ = env;
  execvp(command[0], command);
  int err = errno;
  fprintf(stderr, "exec %s: %s\n", command[0], strerror(err));
  return err == ENOENT ? 127 : 126;
}
