/*
 * The thread behind tsbuild_terminal's pump() (native/terminal.c says why):
 * it copies a terminal master <-> one end of a socketpair until the
 * terminal hangs up and Node has closed the other end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pump.h"

#define CHUNK 16384

/* Bytes on their way from one descriptor to the other. */
struct flow {
  char buf[CHUNK];
  size_t start, end;
};

static int drained(const struct flow *f) { return f->start == f->end; }

static void drop(struct flow *f) { f->start = f->end = 0; }

/* Write what is buffered (send(2) to a socket: no SIGPIPE); -1 when the reader is gone. */
static int flush(struct flow *f, int to, int is_socket) {
  while (!drained(f)) {
    size_t len = f->end - f->start;
    ssize_t n = is_socket ? send(to, f->buf + f->start, len, MSG_NOSIGNAL) : write(to, f->buf + f->start, len);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    f->start += (size_t)n;
  }
  drop(f);
  return 0;
}

/* Read into an empty buffer: 1 data or nothing yet, 0 the end (EIO: every slave closed), -1 an error. */
static int fill(struct flow *f, int from) {
  ssize_t n = read(from, f->buf, sizeof f->buf);
  if (n > 0) {
    f->start = 0;
    f->end = (size_t)n;
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  return n == 0 || errno == EIO ? 0 : -1;
}

struct pumping {
  int master, sock;
};

/*
 * out: master -> Node, in: Node -> master. Input that the terminal can no
 * longer take (it hung up) is dropped; after the hang-up only Node's close
 * is awaited. Each descriptor is polled only for what can be done now, so
 * nothing spins while one side is slow.
 */
static void *pump(void *arg) {
  struct pumping p = *(struct pumping *)arg;
  free(arg);
  struct flow *out = malloc(sizeof *out), *in = malloc(sizeof *in);
  int hung_up = 0, shut = 0, node_gone = out == NULL || in == NULL;
  if (!node_gone) {
    drop(out);
    drop(in);
  }
  while (!node_gone) {
    short mev = 0, sev = 0;
    if (!hung_up && drained(out)) mev |= POLLIN;
    if (!hung_up && !drained(in)) mev |= POLLOUT;
    if (drained(in) || hung_up) sev |= POLLIN;
    if (!drained(out)) sev |= POLLOUT;
    struct pollfd f[2] = {{.fd = mev ? p.master : -1, .events = mev}, {.fd = p.sock, .events = sev}};
    if (poll(f, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (f[1].revents & POLLIN) {
      if (fill(in, p.sock) <= 0) node_gone = 1;
      if (hung_up) drop(in);
    } else if (f[1].revents & (POLLHUP | POLLERR)) {
      node_gone = 1;
    }
    short m = f[0].revents;
    if ((m & (POLLIN | POLLHUP | POLLERR)) && !hung_up && drained(out) && fill(out, p.master) <= 0) {
      hung_up = 1;
      drop(in);
    }
    if ((m & POLLOUT) && flush(in, p.master, 0) != 0) drop(in);
    else if ((m & (POLLHUP | POLLERR)) && !(m & POLLOUT)) drop(in);
    if (!drained(out) && flush(out, p.sock, 1) != 0) node_gone = 1;
    /* All output passed on: Node reads end of file, then closes its end. */
    if (hung_up && drained(out) && !shut) {
      shutdown(p.sock, SHUT_WR);
      shut = 1;
    }
  }
  free(out);
  free(in);
  close(p.master);
  close(p.sock);
  return NULL;
}

int start_pump(int master, int *node_end) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return errno;
  struct pumping *p = malloc(sizeof *p);
  int own = fcntl(master, F_DUPFD_CLOEXEC, 3);
  int err = p == NULL ? ENOMEM : own < 0 ? errno : 0;
  if (err == 0 && (fcntl(own, F_SETFL, fcntl(own, F_GETFL) | O_NONBLOCK) != 0 ||
                   fcntl(pair[1], F_SETFL, fcntl(pair[1], F_GETFL) | O_NONBLOCK) != 0))
    err = errno;
  if (err == 0) {
    p->master = own;
    p->sock = pair[1];
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&t, &attr, pump, p);
    pthread_attr_destroy(&attr);
  }
  if (err != 0) {
    free(p);
    if (own >= 0) close(own);
    close(pair[0]);
    close(pair[1]);
    return err;
  }
  *node_end = pair[0];
  return 0;
}
