/*
 * tsbuild_syscalls.node: the system calls Node lacks (src/runtime/native.ts).
 *
 *   mount(source, target, fstype, data, cwd?)   flags 0 (snapshot/mount.ts)
 *   umount(target, detach)                      umount2(target, detach ? MNT_DETACH : 0)
 *   pipe()                                      [read, write], close-on-exec
 *   socketpair()                                [a, b], SOCK_SEQPACKET, close-on-exec
 *   send(fd, bytes, fds)                        one message with fds attached (SCM_RIGHTS)
 *
 * The last three serve run/launcher.ts, which hands a runtime's stdio to the
 * launcher process. Spawning mount(8) and umount(8), and the runtime, forked
 * the whole Node process three times per RUN step.
 *
 * A failure throws an Error whose `code` is the errno's name ('EINVAL') and
 * whose message is "<call>: " and strerror's text.
 *
 * `cwd`: overlayfs resolves relative lowerdir/upperdir/workdir paths against
 * the mounting thread's working directory (snapshot/overlay.ts shortens long
 * mount data that way). Changing Node's own would race its other threads, so
 * such a mount runs on a thread of its own that first unshares its fs_struct
 * (CLONE_FS): its chdir reaches no other thread, and ends with it.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

struct mount_call {
  char *source, *target, *fstype, *data, *cwd;
  int err;
};

static void do_mount(struct mount_call *c) {
  c->err = mount(c->source, c->target, c->fstype, 0, c->data) == 0 ? 0 : errno;
}

static void *mount_in_cwd(void *arg) {
  struct mount_call *c = arg;
  if (unshare(CLONE_FS) != 0 || chdir(c->cwd) != 0) {
    c->err = errno;
    return NULL;
  }
  do_mount(c);
  return NULL;
}

static napi_value throw_errno(napi_env env, int err, const char *what) {
  const char *name = strerrorname_np(err);
  napi_value code, msg, error;
  char text[512];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

/* A string argument as a malloc'd C string; NULL for undefined or null (and on error). */
static char *string_arg(napi_env env, napi_value v, int *bad) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) return NULL;
  size_t len;
  if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    *bad = 1;
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    *bad = 1;
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "mount(source, target, fstype, data, cwd?)");
    return NULL;
  }
  int bad = 0;
  struct mount_call c = {0};
  c.source = string_arg(env, argv[0], &bad);
  c.target = string_arg(env, argv[1], &bad);
  c.fstype = string_arg(env, argv[2], &bad);
  c.data = string_arg(env, argv[3], &bad);
  c.cwd = argc > 4 ? string_arg(env, argv[4], &bad) : NULL;
  napi_value result = NULL;
  if (bad || c.target == NULL || c.fstype == NULL) {
    napi_throw_type_error(env, NULL, "mount: target and fstype must be strings");
  } else if (c.cwd == NULL) {
    do_mount(&c);
  } else {
    pthread_t t;
    int e = pthread_create(&t, NULL, mount_in_cwd, &c);
    if (e != 0) c.err = e;
    else pthread_join(t, NULL);
  }
  if (!bad && c.target != NULL && c.fstype != NULL && c.err != 0) throw_errno(env, c.err, "mount");
  free(c.source);
  free(c.target);
  free(c.fstype);
  free(c.data);
  free(c.cwd);
  return result;
}

static napi_value js_umount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int bad = 0;
  char *target = argc > 0 ? string_arg(env, argv[0], &bad) : NULL;
  bool detach = false;
  if (argc > 1) napi_get_value_bool(env, argv[1], &detach);
  if (bad || target == NULL) {
    free(target);
    napi_throw_type_error(env, NULL, "umount(target, detach)");
    return NULL;
  }
  if (umount2(target, detach ? MNT_DETACH : 0) != 0) throw_errno(env, errno, "umount");
  free(target);
  return NULL;
}

static napi_value fd_pair(napi_env env, const int fds[2]) {
  napi_value out, a, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, fds[0], &a);
  napi_create_int32(env, fds[1], &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}

static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe");
  return fd_pair(env, fds);
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return throw_errno(env, errno, "socketpair");
  return fd_pair(env, fds);
}

#define MAX_SEND_FDS 8

/* send(fd, bytes: Buffer, fds: number[]): one sendmsg, retried on EINTR. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t sock;
  void *data;
  size_t len;
  uint32_t nfds;
  bool is_array = false;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &sock) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &nfds) != napi_ok || nfds > MAX_SEND_FDS) {
    napi_throw_type_error(env, NULL, "send(fd, buffer, fds[])");
    return NULL;
  }
  int fds[MAX_SEND_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    napi_get_element(env, argv[2], i, &v);
    if (napi_get_value_int32(env, v, &fds[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "send: fds must be numbers");
      return NULL;
    }
  }
  char control[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendmsg");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount", NULL, js_umount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipe", NULL, js_pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
