// batched_udp: recvmmsg/sendmmsg for banwall's UDP DNS front end (issue 17 item 6).
//
// Why: on this 2-core machine Node's dgram costs ~22 us of CPU per reply sent (one sendto syscall, a
// SendWrap, a callback) and ~8 us per datagram received (one uv_udp recv callback into JS per
// packet); a bare dgram responder tops out at ~64 k q/s. Here one libuv poll wakeup reads up to
// `inSlots` datagrams with one recvmmsg, calls JS once per batch, and JS sends the whole batch's
// replies with one sendmmsg (bench/batched-floor.ts has the figures).
//
// The answer logic stays in TypeScript. This file only moves bytes between the socket and one
// ArrayBuffer the JS side owns and lays out (src/net/batched-udp-addon.ts):
//   in data  [inSlots  x inSlotSize]  in addr  [inSlots  x 32] (a sockaddr_in/sockaddr_in6)  in len  [int32 x inSlots]
//   out data [outSlots x outSlotSize] out addr [outSlots x 32]                                out len [int32 x outSlots]
// A received datagram longer than inSlotSize (MSG_TRUNC) is reported with length -1.
//
// Build: native/build.ts (plain `cc`, no node-gyp). Node-API only (ABI-stable) plus libuv's stable
// uv_poll_* API, which Node exports.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define ADDR_STRIDE 32
// How many recvmmsg rounds one readiness wakeup may run before yielding to the event loop (timers,
// upstream answers, TCP): 4 x 64 datagrams.
#define MAX_ROUNDS 4

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int closed;      // close() was called: nothing more is read or sent
  int released;    // uv_close finished: the socket and the arrays are gone
  int finalized;   // the JS handle was collected
  napi_ref memory_ref;
  napi_ref callback_ref;
  napi_async_context async_ctx;
  uint8_t *base;
  int in_slots, in_slot_size, out_slots, out_slot_size;
  uint8_t *in_data, *in_addr, *out_data, *out_addr;
  int32_t *in_len, *out_len;
  struct mmsghdr *in_msgs, *out_msgs;
  struct iovec *in_iov, *out_iov;
} batched_udp;

static void on_finalize(napi_env env, void *data, void *hint);

#define CHECK(call)                                                                                 \
  do {                                                                                              \
    if ((call) != napi_ok) {                                                                        \
      napi_throw_error(env, NULL, "batched_udp: " #call " failed");                               \
      return NULL;                                                                                  \
    }                                                                                               \
  } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[128];
  const char *code = uv_err_name(uv_translate_sys_error(err));
  snprintf(msg, sizeof msg, "%s %s", syscall, code);
  napi_value m, c, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_throw(env, e);
  return NULL;
}

// An out slot whose family is 0 has no destination: the socket is connected (upstream queries).
static socklen_t addr_len(const uint8_t *a) {
  sa_family_t f;
  memcpy(&f, a, sizeof f);
  return f == AF_INET6 ? sizeof(struct sockaddr_in6) : f == AF_INET ? sizeof(struct sockaddr_in) : 0;
}

// The socket address of an IP literal and port; 0 when `host` is not a literal of that family.
static socklen_t socket_address(struct sockaddr_storage *ss, const char *host, int32_t port, bool v6) {
  memset(ss, 0, sizeof *ss);
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? sizeof *s6 : 0;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? sizeof *s4 : 0;
}

// Datagrams wait in the receive buffer while the loop is busy (a reload's swap, a GC pause, a burst
// of upstream answers): with the default 208 KiB, test/policy/reload-e2e's 2,000 q/s stream lost 65
// of 4,760 queries across five reloads on a loaded machine. The kernel caps it at net.core.rmem_max.
static void large_receive_buffer(int fd) {
  int rcvbuf = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
}

// bind(host, port, v6, reusePort) -> [fd, boundPort]. IPv6 sockets are v6-only, as dgram's are here.
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[64];
  size_t hl;
  int32_t port;
  bool v6, reuse;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &v6));
  CHECK(napi_get_value_bool(env, argv[3], &reuse));
  struct sockaddr_storage ss;
  socklen_t sl = socket_address(&ss, host, port, v6);
  if (sl == 0) return throw_errno(env, "bind", EINVAL);
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) goto fail;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) goto fail;
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0) goto fail;
  large_receive_buffer(fd);
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) goto fail;
  int bound = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
  napi_value out, a, b;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_int32(env, fd, &a));
  CHECK(napi_create_int32(env, bound, &b));
  CHECK(napi_set_element(env, out, 0, a));
  CHECK(napi_set_element(env, out, 1, b));
  return out;
fail: {
  int err = errno;
  close(fd);
  return throw_errno(env, "bind", err);
}
}

// connect(fd, host, port, v6): a connected socket (upstream queries) takes answers from that peer only.
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, port;
  char host[64];
  size_t hl;
  bool v6;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_bool(env, argv[3], &v6));
  struct sockaddr_storage ss;
  socklen_t sl = socket_address(&ss, host, port, v6);
  if (sl == 0) return throw_errno(env, "connect", EINVAL);
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0) return throw_errno(env, "connect", errno);
  large_receive_buffer(fd);
  return NULL;
}

// Calls onBatch(n) the way Node calls its own I/O callbacks (make_callback: the microtask queue and
// nextTicks run afterwards). Returns false when the callback threw (it is reported as uncaught).
static bool call_js(batched_udp *u, napi_value recv, napi_value cb, int n) {
  napi_env env = u->env;
  napi_value argv[1], result;
  napi_create_int32(env, n, &argv[0]);
  if (napi_make_callback(env, u->async_ctx, recv, cb, 1, argv, &result) != napi_ok) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    return false;
  }
  return true;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  batched_udp *u = handle->data;
  if (u->closed) return;
  napi_env env = u->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv;
  napi_get_reference_value(env, u->callback_ref, &cb);
  napi_get_global(env, &recv); // make_callback wants an object receiver
  if (status < 0) {
    // POLLERR: a connected socket's ICMP error (ECONNREFUSED: nobody listens at the upstream).
    // libuv has stopped the watcher: read the error (which clears it), restart, tell JS (n < 0).
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
      napi_close_handle_scope(env, scope); // not a socket any more: stay stopped
      return;
    }
    uv_poll_start(&u->poll, UV_READABLE, on_poll);
    if (err != 0) call_js(u, recv, cb, -err);
    napi_close_handle_scope(env, scope);
    return;
  }
  for (int round = 0; round < MAX_ROUNDS && !u->closed; round++) {
    for (int i = 0; i < u->in_slots; i++) {
      u->in_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
      u->in_msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(u->fd, u->in_msgs, (unsigned)u->in_slots, MSG_DONTWAIT, NULL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break; // drained
    if (n < 0) n = -errno; // told to JS as a negative count: ECONNREFUSED on a connected socket
    for (int i = 0; i < n; i++) {
      u->in_len[i] = (u->in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)u->in_msgs[i].msg_len;
    }
    if (!call_js(u, recv, cb, n)) break;
    if (n < u->in_slots) break;
  }
  napi_close_handle_scope(env, scope);
}

// open(fd, memory, layout[10], onBatch) -> handle. layout: inSlots, inSlotSize, outSlots, outSlotSize,
// byte offsets of in data, in addr, in len, out data, out addr, out len.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  void *data;
  size_t size;
  CHECK(napi_get_arraybuffer_info(env, argv[1], &data, &size));
  int32_t l[10];
  for (uint32_t i = 0; i < 10; i++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[2], i, &v));
    CHECK(napi_get_value_int32(env, v, &l[i]));
    if (l[i] < 0) {
      napi_throw_range_error(env, NULL, "batched_udp: negative layout value");
      return NULL;
    }
  }
  size_t need_in = (size_t)l[4] + (size_t)l[0] * l[1], need_out = (size_t)l[7] + (size_t)l[2] * l[3];
  if (l[0] < 1 || l[2] < 1 || need_in > size || need_out > size || l[5] + (size_t)l[0] * ADDR_STRIDE > size ||
      l[8] + (size_t)l[2] * ADDR_STRIDE > size || l[6] + (size_t)l[0] * 4 > size || l[9] + (size_t)l[2] * 4 > size ||
      l[6] % 4 || l[9] % 4) {
    napi_throw_range_error(env, NULL, "batched_udp: layout does not fit the memory");
    return NULL;
  }
  batched_udp *u = calloc(1, sizeof *u);
  if (u == NULL) return throw_errno(env, "open", ENOMEM);
  u->env = env;
  u->fd = fd;
  u->base = data;
  u->in_slots = l[0], u->in_slot_size = l[1], u->out_slots = l[2], u->out_slot_size = l[3];
  u->in_data = u->base + l[4], u->in_addr = u->base + l[5], u->in_len = (int32_t *)(u->base + l[6]);
  u->out_data = u->base + l[7], u->out_addr = u->base + l[8], u->out_len = (int32_t *)(u->base + l[9]);
  u->in_msgs = calloc(u->in_slots, sizeof *u->in_msgs);
  u->in_iov = calloc(u->in_slots, sizeof *u->in_iov);
  u->out_msgs = calloc(u->out_slots, sizeof *u->out_msgs);
  u->out_iov = calloc(u->out_slots, sizeof *u->out_iov);
  if (!u->in_msgs || !u->in_iov || !u->out_msgs || !u->out_iov) return throw_errno(env, "open", ENOMEM);
  for (int i = 0; i < u->in_slots; i++) {
    u->in_iov[i].iov_base = u->in_data + (size_t)i * u->in_slot_size;
    u->in_iov[i].iov_len = u->in_slot_size;
    u->in_msgs[i].msg_hdr.msg_iov = &u->in_iov[i];
    u->in_msgs[i].msg_hdr.msg_iovlen = 1;
    u->in_msgs[i].msg_hdr.msg_name = u->in_addr + (size_t)i * ADDR_STRIDE;
  }
  for (int i = 0; i < u->out_slots; i++) {
    u->out_iov[i].iov_base = u->out_data + (size_t)i * u->out_slot_size;
    u->out_msgs[i].msg_hdr.msg_iov = &u->out_iov[i];
    u->out_msgs[i].msg_hdr.msg_iovlen = 1;
    u->out_msgs[i].msg_hdr.msg_name = u->out_addr + (size_t)i * ADDR_STRIDE;
  }
  CHECK(napi_create_reference(env, argv[1], 1, &u->memory_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &u->callback_ref));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "BANWALL_BATCHED_UDP", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &u->async_ctx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int r = uv_poll_init(loop, &u->poll, fd);
  if (r == 0) r = uv_poll_start(&u->poll, UV_READABLE, on_poll);
  if (r != 0) return throw_errno(env, "uv_poll", -r);
  u->poll.data = u;
  napi_value handle;
  CHECK(napi_create_external(env, u, on_finalize, NULL, &handle));
  return handle;
}

static batched_udp *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

// flush(handle, n) -> how many of out slots 0..n-1 the kernel took. A datagram the kernel refuses
// (unreachable, EMSGSIZE) is skipped; a full send buffer (EAGAIN) drops the rest: UDP's own contract,
// and the client retries, as with a lost packet.
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batched_udp *u = unwrap(env, argv[0]);
  int32_t n;
  CHECK(napi_get_value_int32(env, argv[1], &n));
  if (u == NULL || u->closed) n = 0;
  else if (n > u->out_slots) n = u->out_slots;
  for (int i = 0; i < n; i++) {
    int32_t len = u->out_len[i];
    u->out_iov[i].iov_len = len < 0 ? 0 : (len > u->out_slot_size ? u->out_slot_size : len);
    uint8_t *a = u->out_addr + (size_t)i * ADDR_STRIDE;
    u->out_msgs[i].msg_hdr.msg_namelen = addr_len(a);
    u->out_msgs[i].msg_hdr.msg_name = u->out_msgs[i].msg_hdr.msg_namelen == 0 ? NULL : a;
  }
  int at = 0, ok = 0;
  while (at < n) {
    int r = sendmmsg(u->fd, u->out_msgs + at, (unsigned)(n - at), MSG_DONTWAIT);
    if (r > 0) {
      at += r;
      ok += r;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      at++; // this datagram was refused; the rest still go
    }
  }
  napi_value out;
  CHECK(napi_create_int32(env, ok, &out));
  return out;
}

// sendDirect(handle, buffer, outSlot) -> boolean: one datagram larger than an out slot, to the
// address in out slot `outSlot`'s address field.
static napi_value js_send_direct(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batched_udp *u = unwrap(env, argv[0]);
  void *data;
  size_t len;
  int32_t slot;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &len));
  CHECK(napi_get_value_int32(env, argv[2], &slot));
  bool sent = false;
  if (u != NULL && !u->closed && slot >= 0 && slot < u->out_slots) {
    const uint8_t *a = u->out_addr + (size_t)slot * ADDR_STRIDE;
    ssize_t r;
    socklen_t al = addr_len(a);
    do r = sendto(u->fd, data, len, MSG_DONTWAIT, al == 0 ? NULL : (const struct sockaddr *)a, al);
    while (r < 0 && errno == EINTR);
    sent = r >= 0;
  }
  napi_value out;
  CHECK(napi_get_boolean(env, sent, &out));
  return out;
}

// The struct itself lives until both uv_close has finished and the JS handle is collected, so a
// late flush() on a closed handle reads `closed`, never freed memory.
// unref(handle): the socket does not keep the process alive (upstream sockets, as dgram's unref()).
static napi_value js_unref(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batched_udp *u = unwrap(env, argv[0]);
  if (u != NULL && !u->closed) uv_unref((uv_handle_t *)&u->poll);
  return NULL;
}

static void on_closed(uv_handle_t *h) {
  batched_udp *u = h->data;
  close(u->fd);
  free(u->in_msgs), free(u->in_iov), free(u->out_msgs), free(u->out_iov);
  u->released = 1;
  if (u->finalized) free(u);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  batched_udp *u = data;
  u->finalized = 1;
  if (u->released) free(u); // an open handle is never freed here: its poll still points at it
}

// close(handle): stops reading, closes the socket; the memory and callback are released.
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batched_udp *u = unwrap(env, argv[0]);
  if (u != NULL && !u->closed) {
    u->closed = 1;
    uv_poll_stop(&u->poll);
    napi_delete_reference(env, u->memory_ref);
    napi_delete_reference(env, u->callback_ref);
    napi_async_destroy(env, u->async_ctx);
    uv_close((uv_handle_t *)&u->poll, on_closed);
  }
  return NULL;
}

// idleThisThread(): puts the calling thread (the event store's writer) in SCHED_IDLE, below every
// nice level, so that history only runs on cycles nothing else wants (src/events/store-worker.ts).
// Entering SCHED_IDLE needs no privilege. Returns whether the kernel took it.
static napi_value js_idle_this_thread(napi_env env, napi_callback_info info) {
  (void)info;
  struct sched_param param = {.sched_priority = 0};
  napi_value result;
  // Linux: pid 0 is the calling thread, not the process.
  CHECK(napi_get_boolean(env, sched_setscheduler(0, SCHED_IDLE, &param) == 0, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"bind", NULL, js_bind, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_default, NULL},
      {"sendDirect", NULL, js_send_direct, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"unref", NULL, js_unref, NULL, NULL, NULL, napi_default, NULL},
      {"idleThisThread", NULL, js_idle_this_thread, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof *props, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
