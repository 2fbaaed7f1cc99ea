/*
 * tsbuild_xattr.node: extended attributes (src/layer/xattrs.ts).
 *
 *   get(target, name)          the value, a Buffer          lgetxattr / fgetxattr
 *   set(target, name, value)   create or replace            lsetxattr / fsetxattr
 *   list(target)               the names, string[]          llistxattr / flistxattr
 *   remove(target, name)                                    lremovexattr / fremovexattr
 *
 * `target` is a path (a string, UTF-8, or a Buffer, any bytes) or an open
 * descriptor (a number). A path's last component is never followed: a
 * symlink's own attributes are read, as a layer records them, and a symlink
 * swapped in cannot redirect a write out of a root being applied. A
 * descriptor reaches a file whose path could have changed since it was opened.
 *
 * Our own instead of the fs-xattr package: that one follows symlinks, takes
 * only text paths, and loaded eagerly, so a missing build crashed every
 * command. This one is loaded only when an attribute is needed.
 *
 * A failure throws an Error shaped like Node's: `code` the errno's name
 * (ENODATA: no such attribute; ENOTSUP: none on this file system), `errno`
 * negative, `syscall`, `path` when there is one.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <limits.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/xattr.h>

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  const char *name = strerrorname_np(err);
  if (name == NULL) name = "EUNKNOWN";
  char reason[128];
  snprintf(reason, sizeof reason, "%s", strerror(err));
  if (reason[0] >= 'A' && reason[0] <= 'Z') reason[0] = (char)(reason[0] - 'A' + 'a');
  size_t size = 256 + (path != NULL ? strlen(path) : 0);
  char *text = malloc(size);
  if (text == NULL) return NULL;
  if (path != NULL) snprintf(text, size, "%s: %s, %s '%s'", name, reason, syscall, path);
  else snprintf(text, size, "%s: %s, %s", name, reason, syscall);
  napi_value code, msg, error, errno_v, syscall_v;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  free(text);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v);
  napi_set_named_property(env, error, "syscall", syscall_v);
  if (path != NULL) {
    napi_value path_v;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_v);
    napi_set_named_property(env, error, "path", path_v);
  }
  napi_throw(env, error);
  return NULL;
}

/* A path or a descriptor; `path` is NULL for a descriptor, else `buf` or malloc'd. */
struct target {
  char *path;
  int fd;
  char buf[PATH_MAX];
};

static void target_free(struct target *t) {
  if (t->path != NULL && t->path != t->buf) free(t->path);
}

/* Fill `t` from `v`; false after throwing a TypeError (or ENOMEM). */
static bool target_arg(napi_env env, napi_value v, struct target *t) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  t->path = NULL;
  t->fd = -1;
  size_t len;
  if (type == napi_number) {
    int32_t fd;
    napi_get_value_int32(env, v, &fd);
    if (fd < 0) goto bad;
    t->fd = fd;
    return true;
  }
  char *s = t->buf;
  if (type == napi_string) {
    napi_get_value_string_utf8(env, v, NULL, 0, &len);
    if (len >= PATH_MAX && (s = malloc(len + 1)) == NULL) goto nomem;
    napi_get_value_string_utf8(env, v, s, len + 1, &len);
  } else {
    bool is_buffer = false;
    void *data;
    if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) goto bad;
    napi_get_buffer_info(env, v, &data, &len);
    if (len >= PATH_MAX && (s = malloc(len + 1)) == NULL) goto nomem;
    memcpy(s, data, len);
    s[len] = '\0';
  }
  t->path = s;
  /* As Node: a NUL inside the path would name another file. */
  if (strlen(s) != len) {
    target_free(t);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "path must not contain null bytes");
    return false;
  }
  return true;
bad:
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                        "target must be a path (string or Buffer) or a descriptor");
  return false;
nomem:
  napi_throw_error(env, "ENOMEM", "out of memory");
  return false;
}

/* An attribute name: a string of at most XATTR_NAME_MAX bytes, into `buf`. */
static bool name_arg(napi_env env, napi_value v, char *buf) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "name must be a string");
    return false;
  }
  if (len > XATTR_NAME_MAX) {
    napi_throw_range_error(env, "ERANGE", "attribute name longer than 255 bytes");
    return false;
  }
  napi_get_value_string_utf8(env, v, buf, XATTR_NAME_MAX + 1, &len);
  if (strlen(buf) != len) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "name must not contain null bytes");
    return false;
  }
  return true;
}

/* argc arguments, the first a target and (when with_name) the second a name. */
static bool args(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                 struct target *t, char *name, const char *usage) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  if (name != NULL && !name_arg(env, argv[1], name)) return false;
  return target_arg(env, argv[0], t);
}

static ssize_t get_once(struct target *t, const char *name, void *value, size_t size) {
  return t->path != NULL ? lgetxattr(t->path, name, value, size)
                         : fgetxattr(t->fd, name, value, size);
}

static ssize_t list_once(struct target *t, char *list, size_t size) {
  return t->path != NULL ? llistxattr(t->path, list, size) : flistxattr(t->fd, list, size);
}

/*
 * Ask for the size, then for the bytes; ERANGE means the value grew in
 * between (another process set it), so ask again. malloc'd into *out.
 */
static ssize_t read_sized(struct target *t, const char *name, char **out) {
  for (;;) {
    ssize_t size = name != NULL ? get_once(t, name, NULL, 0) : list_once(t, NULL, 0);
    if (size < 0) return -1;
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL) {
      errno = ENOMEM;
      return -1;
    }
    ssize_t got = name != NULL ? get_once(t, name, buf, (size_t)size)
                               : list_once(t, buf, (size_t)size);
    if (got >= 0) {
      *out = buf;
      return got;
    }
    free(buf);
    if (errno != ERANGE) return -1;
  }
}

static void free_bytes(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_value js_get(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct target t;
  char name[XATTR_NAME_MAX + 1];
  if (!args(env, info, 2, argv, &t, name, "get(target, name)")) return NULL;
  char *bytes;
  ssize_t n = read_sized(&t, name, &bytes);
  napi_value result = NULL;
  if (n < 0) throw_errno(env, errno, t.path != NULL ? "lgetxattr" : "fgetxattr", t.path);
  else napi_create_external_buffer(env, (size_t)n, bytes, free_bytes, NULL, &result);
  target_free(&t);
  return result;
}

static napi_value js_list(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct target t;
  if (!args(env, info, 1, argv, &t, NULL, "list(target)")) return NULL;
  char *names;
  ssize_t n = read_sized(&t, NULL, &names);
  napi_value result = NULL;
  if (n < 0) throw_errno(env, errno, t.path != NULL ? "llistxattr" : "flistxattr", t.path);
  else {
    napi_create_array(env, &result);
    uint32_t i = 0;
    for (ssize_t at = 0; at < n; at += (ssize_t)strlen(names + at) + 1) {
      napi_value s;
      napi_create_string_utf8(env, names + at, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, result, i++, s);
    }
    free(names);
  }
  target_free(&t);
  return result;
}

static napi_value js_set(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  struct target t;
  char name[XATTR_NAME_MAX + 1];
  if (!args(env, info, 3, argv, &t, name, "set(target, name, value)")) return NULL;
  bool is_buffer = false;
  void *value;
  size_t size;
  if (napi_is_buffer(env, argv[2], &is_buffer) != napi_ok || !is_buffer) {
    target_free(&t);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "value must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, argv[2], &value, &size);
  int r = t.path != NULL ? lsetxattr(t.path, name, value, size, 0)
                         : fsetxattr(t.fd, name, value, size, 0);
  if (r != 0) throw_errno(env, errno, t.path != NULL ? "lsetxattr" : "fsetxattr", t.path);
  target_free(&t);
  return NULL;
}

static napi_value js_remove(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct target t;
  char name[XATTR_NAME_MAX + 1];
  if (!args(env, info, 2, argv, &t, name, "remove(target, name)")) return NULL;
  int r = t.path != NULL ? lremovexattr(t.path, name) : fremovexattr(t.fd, name);
  if (r != 0) throw_errno(env, errno, t.path != NULL ? "lremovexattr" : "fremovexattr", t.path);
  target_free(&t);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"get", NULL, js_get, NULL, NULL, NULL, napi_enumerable, NULL},
      {"set", NULL, js_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"list", NULL, js_list, NULL, NULL, NULL, napi_enumerable, NULL},
      {"remove", NULL, js_remove, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
