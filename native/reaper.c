/*
 * tsbuild-reaper: waits for a container that its OCI runtime started
 * detached, and exits with that container's status: what containerd's shim
 * does for `docker run -t`, for the one reason tsbuild needs it.
 *
 * runc hands a terminal's master over --console-socket only when it
 * detaches ("cannot use console socket if runc will not detach or allocate
 * tty"; allocating one itself needs its own stdio to be a terminal). A
 * detached runtime exits once the container has started, and its process
 * is reparented to the nearest child subreaper: this program, which
 * becomes one, runs the runtime, reads the process id it wrote, and reaps
 * until that process has ended.
 *
 *   tsbuild-reaper PIDFILE -- RUNTIME ARG...     RUNTIME an absolute path,
 *       its arguments including `run -d --pid-file PIDFILE`
 *
 * Exit status: the runtime's when it failed (128+n for a signal), else the
 * container process's (128+n for a signal, as a shell reports it). 125 and
 * a line on stderr when it cannot do its part. SIGINT and SIGQUIT are
 * ignored here, as in the launcher: a ^C typed at a terminal that is not in
 * raw mode reaches the whole process group, and the caller decides what
 * the container gets; the runtime keeps the default actions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETUP_FAILED 125

static int fail(const char *what) {
  fprintf(stderr, "tsbuild-reaper: %s: %s\n", what, strerror(errno));
  return SETUP_FAILED;
}

static int status_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The first line of the pid file the runtime wrote. */
static pid_t read_pid(const char *path) {
  FILE *f = fopen(path, "re");
  if (f == NULL) return -1;
  long pid = -1;
  if (fscanf(f, "%ld", &pid) != 1) pid = -1;
  fclose(f);
  return pid > 0 ? (pid_t)pid : -1;
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0 || argv[3][0] != '/') {
    fprintf(stderr, "usage: tsbuild-reaper PIDFILE -- /path/to/runtime ARG...\n");
    return SETUP_FAILED;
  }
  const char *pidfile = argv[1];
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return fail("become a child subreaper");
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  pid_t runtime = fork();
  if (runtime < 0) return fail("fork");
  if (runtime == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execv(argv[3], &argv[3]);
    fprintf(stderr, "tsbuild-reaper: exec %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  /*
   * When the runtime ends, its children come here, the container's process
   * among them, possibly ended already: what is reaped before the pid is
   * known is kept to look up.
   */
  struct {
    pid_t pid;
    int status;
  } early[64];
  size_t nearly = 0;
  pid_t container = -1;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (container < 0) return fail("wait for the runtime");
      errno = ECHILD;
      return fail("the container's process was not reparented here");
    }
    if (pid == runtime) {
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return status_code(status);
      container = read_pid(pidfile);
      if (container < 0) return fail("read the container's pid file");
      for (size_t i = 0; i < nearly; i++)
        if (early[i].pid == container) return status_code(early[i].status);
    } else if (container > 0 && pid == container) {
      return status_code(status);
    } else if (container < 0 && nearly < sizeof early / sizeof early[0]) {
      early[nearly].pid = pid;
      early[nearly].status = status;
      nearly++;
    }
  }
}
