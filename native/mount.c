/*
 * tsbuild_mount.node: mount(2) and umount2(2) for the overlay snapshotter
 * (src/runtime/snapshot/mount.ts). Node has neither, and spawning mount(8)
 * and umount(8) forked the whole Node process twice per RUN step.
 *
 *   mount(source, target, fstype, data, cwd?)   flags 0; throws on failure
 *   umount(target, detach)                      umount2(target, detach ? MNT_DETACH : 0)
 *
 * A failure throws an Error whose `code` is the errno's name ('EINVAL') and
 * whose message is strerror's text.
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
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount", NULL, js_umount, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
