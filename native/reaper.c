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
 *   tsbuild-reaper PIDFILE -- RUNTIME ARG... [-- CLEANUP ARG...]
 *       RUNTIME and CLEANUP absolute paths; RUNTIME's arguments include
 *       `run -d --pid-file PIDFILE`; CLEANUP (`RUNTIME delete -f ID`) runs
 *       once the container's process has ended, as a foreground `runc run`
 *       deletes its container itself: its state and cgroups go even when
 *       tsbuild was killed meanwhile.
 *
 * Exit status: the runtime's when it failed (128+n for a signal), else the
 * container process's (128+n for a signal, as a shell reports it). 125 and
 * a line on stderr when it cannot do its part.
 *
 * Signals: as a foreground `runc run` does, HUP, INT, QUIT, TERM, USR1 and
 * USR2 sent here go to the container's process (once it exists), not to
 * this one. So a ^C at a terminal that is not in raw mode, or the SIGHUP of
 * a closed terminal that killed tsbuild, leaves this program to wait for the
 * container and delete it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
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

/* Every signal this program takes: those it passes on, and its children's ends. */
static const int FORWARDED[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
#define NFORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])

static sigset_t original;

/* Start `argv` with the signal mask and dispositions this program was given. */
static pid_t start(char **argv) {
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &original, NULL);
    execv(argv[0], argv);
    fprintf(stderr, "tsbuild-reaper: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return pid;
}

/* Run `argv` to its end, its status ignored: the caller deletes again what is left. */
static void cleanup(char **argv) {
  pid_t pid = start(argv);
  if (pid < 0) return;
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

/*
 * Start the runtime and reap until the container's process has ended. When
 * the runtime ends, its children come here, that process among them,
 * possibly ended already: what is reaped before its pid is known is kept
 * to look up, and so are the signals to pass on.
 */
static int run_and_wait(char **run, const char *pidfile, int signals) {
  pid_t runtime = start(run);
  if (runtime < 0) return fail("fork");
  struct {
    pid_t pid;
    int status;
  } early[64];
  size_t nearly = 0;
  int pending[NFORWARDED] = {0};
  pid_t container = -1;
  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(signals, &si, sizeof si);
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof si) return fail("read a signal");
    if (si.ssi_signo != SIGCHLD) {
      for (size_t i = 0; i < NFORWARDED; i++)
        if (FORWARDED[i] == (int)si.ssi_signo) pending[i] = 1;
    }
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0 && container < 0) return fail("wait for the runtime");
      if (pid < 0) {
        errno = ECHILD;
        return fail("the container's process was not reparented here");
      }
      if (pid == 0) break;
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
    for (size_t i = 0; i < NFORWARDED && container > 0; i++) {
      if (pending[i]) kill(container, FORWARDED[i]);
      pending[i] = 0;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0 || argv[3][0] != '/') {
    fprintf(stderr, "usage: tsbuild-reaper PIDFILE -- /path/to/runtime ARG... [-- /path/to/cleanup ARG...]\n");
    return SETUP_FAILED;
  }
  char **run = &argv[3], **after = NULL;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--") != 0) continue;
    argv[i] = NULL;
    if (i + 1 < argc && argv[i + 1][0] == '/') after = &argv[i + 1];
    break;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return fail("become a child subreaper");
  sigset_t taken;
  sigemptyset(&taken);
  sigaddset(&taken, SIGCHLD);
  for (size_t i = 0; i < NFORWARDED; i++) sigaddset(&taken, FORWARDED[i]);
  if (sigprocmask(SIG_BLOCK, &taken, &original) != 0) return fail("block signals");
  int signals = signalfd(-1, &taken, SFD_CLOEXEC);
  if (signals < 0) return fail("signalfd");
  int code = run_and_wait(run, argv[1], signals);
  if (after != NULL) cleanup(after);
  return code;
}
