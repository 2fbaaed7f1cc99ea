/*
 * tsbuild_terminal.node: the pseudo-terminal of a run with a terminal
 * (src/runtime/run/console.ts, terminal.ts), what Node cannot do itself.
 *
 *   listen(path)              a unix socket listening at `path` (0600): the console socket
 *   receive(fd)               Promise of the first descriptor a peer sends there (SCM_RIGHTS)
 *   cancel(fd)                shutdown(2) the listening socket: a pending receive rejects ECANCELED
 *   pump(master)              a socket's fd: a thread (pump.c) copies master <-> socket until the hang-up
 *   resize(master, rows, cols) TIOCSWINSZ: the kernel sends SIGWINCH to the terminal's foreground group
 *   makeRaw(fd)               the terminal's mode (a Buffer to give back), then cfmakeraw(3)'s
 *   setMode(fd, mode)         tcsetattr(3): a mode makeRaw returned
 *
 * makeRaw is Docker's raw mode (moby/term MakeRaw is cfmakeraw): output
 * processing off too, so the container's "\r\n" reaches the terminal as
 * it is. Node's setRawMode (libuv) keeps ONLCR on and would make it "\r\r\n".
 *
 * runc and crun (process.terminal with --console-socket) and the built-in
 * sandbox's helper (native/sandbox-init.c) make the terminal inside the
 * container's own devpts, as Docker's runc does, and send its master over
 * the console socket. Node can neither receive a descriptor nor drive a
 * terminal master well: libuv treats a master as a terminal it cannot reopen
 * and so writes to it blocking, which would stall the event loop as soon as
 * the container stops reading its input. So a thread of this addon moves the
 * bytes between the master (non-blocking) and one end of a socketpair, and
 * Node reads and writes the other end as an ordinary stream. When every
 * slave is closed (the container has ended), the master reads EIO after the
 * last output: the thread passes that output on, then shuts the socket's
 * write side, so Node sees end of file only once it has everything; it ends
 * when Node closes its end. The thread owns a duplicate of the master, the
 * caller keeps its own for resize(), so neither closes a number the other
 * still uses.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "pump.h"

static napi_value error_value(napi_env env, int err, const char *what) {
  const char *name = strerrorname_np(err);
  napi_value code, msg, error;
  char text[512];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char *what) {
  napi_throw(env, error_value(env, err, what));
  return NULL;
}

static int int_args(napi_env env, napi_callback_info info, size_t want, int32_t *out) {
  size_t argc = want;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) return -1;
  for (size_t i = 0; i < want; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) return -1;
  return 0;
}

static napi_value number(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* listen(path): bound, 0600, backlog 1: only the runtime connects. */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "listen(path)");
    return NULL;
  }
  if (len == 0 || len >= sizeof addr.sun_path) return throw_errno(env, ENAMETOOLONG, "listen");
  napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &len);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(addr.sun_path, 0600) != 0 ||
      listen(fd, 1) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "listen");
  }
  return number(env, fd);
}

struct receiving {
  int listener, fd, err;
  const char *what;
  napi_deferred deferred;
  napi_async_work work;
};

/* Wait for `fd` to be readable; ECANCELED once the listener is shut down. */
static int wait_readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (p.revents & POLLIN) return 0;
    return ECANCELED;
  }
}

/* On a pool thread: accept one connection and read until a descriptor comes, or its end. */
static void receive_work(napi_env env, void *data) {
  (void)env;
  struct receiving *r = data;
  r->what = "receive the terminal";
  if ((r->err = wait_readable(r->listener)) != 0) return;
  int conn = accept4(r->listener, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) {
    /* shutdown() while we were between poll and accept. */
    r->err = errno == EINVAL ? ECANCELED : errno;
    return;
  }
  for (;;) {
    char byte[256];
    char control[CMSG_SPACE(4 * sizeof(int))];
    struct iovec iov = {.iov_base = byte, .iov_len = sizeof byte};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r->err = n == 0 ? EPIPE : errno;
      r->what = "the runtime closed the console socket without sending a terminal";
      break;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < k; i++) {
        int got;
        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
        if (r->fd < 0) r->fd = got;
        else close(got);
      }
    }
    if (r->fd >= 0) break;
  }
  close(conn);
}

static void receive_done(napi_env env, napi_status status, void *data) {
  struct receiving *r = data;
  if (status == napi_ok && r->fd >= 0) napi_resolve_deferred(env, r->deferred, number(env, r->fd));
  else napi_reject_deferred(env, r->deferred, error_value(env, r->err ? r->err : ECANCELED, r->what));
  napi_delete_async_work(env, r->work);
  free(r);
}

/* receive(listener): Promise<number>, the descriptor close-on-exec. */
static napi_value js_receive(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (int_args(env, info, 1, &fd) != 0) {
    napi_throw_type_error(env, NULL, "receive(fd)");
    return NULL;
  }
  struct receiving *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, ENOMEM, "receive");
  r->listener = fd;
  r->fd = -1;
  napi_value promise, name;
  napi_create_promise(env, &r->deferred, &promise);
  napi_create_string_utf8(env, "tsbuild:console", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, receive_work, receive_done, r, &r->work);
  napi_queue_async_work(env, r->work);
  return promise;
}

static napi_value js_cancel(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (int_args(env, info, 1, &fd) != 0) {
    napi_throw_type_error(env, NULL, "cancel(fd)");
    return NULL;
  }
  if (shutdown(fd, SHUT_RDWR) != 0 && errno != ENOTCONN) return throw_errno(env, errno, "shutdown");
  return NULL;
}

/* pump(master): the socket end for Node; the master stays the caller's. */
static napi_value js_pump(napi_env env, napi_callback_info info) {
  int32_t master;
  if (int_args(env, info, 1, &master) != 0) {
    napi_throw_type_error(env, NULL, "pump(master)");
    return NULL;
  }
  int node_end;
  int err = start_pump(master, &node_end);
  if (err != 0) return throw_errno(env, err, "pump");
  return number(env, node_end);
}

static napi_value js_resize(napi_env env, napi_callback_info info) {
  int32_t a[3];
  if (int_args(env, info, 3, a) != 0 || a[1] < 0 || a[2] < 0 || a[1] > 65535 || a[2] > 65535) {
    napi_throw_type_error(env, NULL, "resize(fd, rows, cols)");
    return NULL;
  }
  struct winsize ws = {.ws_row = (unsigned short)a[1], .ws_col = (unsigned short)a[2]};
  if (ioctl(a[0], TIOCSWINSZ, &ws) != 0) return throw_errno(env, errno, "resize");
  return NULL;
}

static napi_value js_make_raw(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (int_args(env, info, 1, &fd) != 0) {
    napi_throw_type_error(env, NULL, "makeRaw(fd)");
    return NULL;
  }
  struct termios mode, raw;
  if (tcgetattr(fd, &mode) != 0) return throw_errno(env, errno, "tcgetattr");
  raw = mode;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSANOW, &raw) != 0) return throw_errno(env, errno, "tcsetattr");
  napi_value saved;
  void *data;
  napi_create_buffer_copy(env, sizeof mode, &mode, &data, &saved);
  return saved;
}

static napi_value js_set_mode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  void *data;
  size_t len;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len != sizeof(struct termios)) {
    napi_throw_type_error(env, NULL, "setMode(fd, mode)");
    return NULL;
  }
  struct termios mode;
  memcpy(&mode, data, sizeof mode);
  if (tcsetattr(fd, TCSANOW, &mode) != 0) return throw_errno(env, errno, "tcsetattr");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listen", NULL, js_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receive", NULL, js_receive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pump", NULL, js_pump, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resize", NULL, js_resize, NULL, NULL, NULL, napi_enumerable, NULL},
      {"makeRaw", NULL, js_make_raw, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMode", NULL, js_set_mode, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
