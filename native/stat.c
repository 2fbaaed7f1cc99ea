/*
 * tsbuild_stat.node: lstat(2) and fstat(2) into a Float64Array (src/util/lstat.ts).
 *
 *   lstatInto(path, out)   true, or false when nothing is there (ENOENT)
 *   fstatInto(fd, out)     true
 *
 * Node 20's lstatSync builds a Stats object with four Dates on every call,
 * with `bigint` as well: walking a 10,000-file tree spent about half its CPU
 * there. These fill the caller's array instead, and allocate nothing.
 *
 * out[0..13]: dev, ino, mode, nlink, uid, gid, rdev, size, then atime, mtime
 * and ctime as seconds and nanoseconds. A double holds integers exactly up to
 * 2^53; a value past that (an inode number of some file systems, a sparse
 * file's size) is rounded, and out[14] is then 1, else 0: the caller asks
 * again through lstatSync's bigint form.
 *
 * `path` is a string (UTF-8) or a Buffer (any bytes). A failure throws an
 * Error shaped like Node's: `code` the errno's name, `errno` negative,
 * `syscall`, `path`, message "ENOTDIR: not a directory, lstat '/a/b'".
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
#include <sys/stat.h>

#define FIELDS 15
#define EXACT_MAX (((uint64_t)1) << 53)

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

/*
 * `v` (a string or a Buffer) as a C string: in `buf` (PATH_MAX bytes) when it
 * fits, else malloc'd (the kernel then says ENAMETOOLONG, as it would to
 * Node). NULL after throwing a TypeError.
 */
static char *path_arg(napi_env env, napi_value v, char *buf) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  char *s = buf;
  size_t len;
  if (t == napi_string) {
    /* Copied whole when `len` leaves room for one more character (none is ever split). */
    if (napi_get_value_string_utf8(env, v, buf, PATH_MAX, &len) != napi_ok) goto bad;
    if (len + 4 >= PATH_MAX - 1) {
      napi_get_value_string_utf8(env, v, NULL, 0, &len);
      if (len >= PATH_MAX && (s = malloc(len + 1)) == NULL) goto nomem;
      napi_get_value_string_utf8(env, v, s, len + 1, &len);
    }
  } else {
    bool is_buffer = false;
    void *data;
    if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) goto bad;
    napi_get_buffer_info(env, v, &data, &len);
    if (len >= PATH_MAX && (s = malloc(len + 1)) == NULL) goto nomem;
    memcpy(s, data, len);
    s[len] = '\0';
  }
  /* As Node: a NUL inside the path would name another file. */
  if (strlen(s) != len) {
    if (s != buf) free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "path must not contain null bytes");
    return NULL;
  }
  return s;
bad:
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "path must be a string or a Buffer");
  return NULL;
nomem:
  napi_throw_error(env, "ENOMEM", "out of memory");
  return NULL;
}

static double *out_arg(napi_env env, napi_value v) {
  bool is_typedarray = false;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_is_typedarray(env, v, &is_typedarray) != napi_ok || !is_typedarray) goto bad;
  napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL);
  if (type != napi_float64_array || length < FIELDS) goto bad;
  return data;
bad:
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "out must be a Float64Array of 15 or more");
  return NULL;
}

static double wide(uint64_t v, bool *inexact) {
  if (v > EXACT_MAX) *inexact = true;
  return (double)v;
}

static void fill(double *out, const struct stat *st) {
  bool inexact = false;
  out[0] = wide(st->st_dev, &inexact);
  out[1] = wide(st->st_ino, &inexact);
  out[2] = st->st_mode;
  out[3] = wide(st->st_nlink, &inexact);
  out[4] = st->st_uid;
  out[5] = st->st_gid;
  out[6] = wide(st->st_rdev, &inexact);
  /* st_size is signed; a negative one (never seen on Linux) is no count at all. */
  out[7] = wide((uint64_t)st->st_size, &inexact);
  out[8] = (double)st->st_atim.tv_sec;
  out[9] = (double)st->st_atim.tv_nsec;
  out[10] = (double)st->st_mtim.tv_sec;
  out[11] = (double)st->st_mtim.tv_nsec;
  out[12] = (double)st->st_ctim.tv_sec;
  out[13] = (double)st->st_ctim.tv_nsec;
  out[14] = inexact ? 1 : 0;
}

static napi_value boolean(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

static napi_value js_lstat_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "lstatInto(path, out)");
    return NULL;
  }
  double *out = out_arg(env, argv[1]);
  if (out == NULL) return NULL;
  char buf[PATH_MAX];
  char *path = path_arg(env, argv[0], buf);
  if (path == NULL) return NULL;
  struct stat st;
  int err = lstat(path, &st) == 0 ? 0 : errno;
  napi_value result = NULL;
  if (err == ENOENT) result = boolean(env, false);
  else if (err != 0) throw_errno(env, err, "lstat", path);
  else {
    fill(out, &st);
    result = boolean(env, true);
  }
  if (path != buf) free(path);
  return result;
}

static napi_value js_fstat_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "fstatInto(fd, out)");
    return NULL;
  }
  double *out = out_arg(env, argv[1]);
  if (out == NULL) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) return throw_errno(env, errno, "fstat", NULL);
  fill(out, &st);
  return boolean(env, true);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"lstatInto", NULL, js_lstat_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fstatInto", NULL, js_fstat_into, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
