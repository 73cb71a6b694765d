// berth_sys: the few Linux system calls berthd needs on the `docker run` path
// and Node does not offer. Each replaces a child process (mount, umount,
// unshare, ip) that costs ~8-15 ms to spawn on a small VM. Everything here is
// synchronous and short; errors are thrown as Error objects carrying `code`
// ("EPERM", ...) and `errno`, so the caller can fall back to the tools.
//
// Namespace rule: a network namespace is entered on the calling thread only
// (setns/unshare with CLONE_NEWNET are per thread), no JavaScript runs while
// the thread is inside, and the thread always returns to the namespace it came
// from -- if it cannot, the process aborts rather than keep running (and
// opening sockets) in a container's namespace.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <node_api.h>

#define MAX_STR 4096

// ---------- N-API helpers ----------

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error, num;
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

// Copies argument i as a string into buf (size MAX_STR); null/undefined -> empty, *present = 0.
static int arg_str(napi_env env, napi_value v, char *buf, int *present) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (present) *present = 0;
  buf[0] = 0;
  if (t == napi_null || t == napi_undefined) return present ? 0 : -1;
  if (t != napi_string) return -1;
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, MAX_STR, &len) != napi_ok || len >= MAX_STR - 1) return -1;
  if (present) *present = 1;
  return 0;
}

static int arg_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

// ---------- mount / umount ----------

// mount(source, target, fstype, flags, data|null)
static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static char src[MAX_STR], target[MAX_STR], fstype[MAX_STR], data[MAX_STR];
  int has_data;
  uint32_t flags;
  if (argc < 5 || arg_str(env, argv[0], src, NULL) || arg_str(env, argv[1], target, NULL) ||
      arg_str(env, argv[2], fstype, NULL) || arg_u32(env, argv[3], &flags) ||
      arg_str(env, argv[4], data, &has_data))
    return throw_type(env, "mount(source, target, fstype, flags, data)");
  if (mount(src, target, fstype[0] ? fstype : NULL, flags, has_data ? data : NULL) != 0)
    return throw_errno(env, errno, "mount");
  return NULL;
}

// umount2(target, flags)
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static char target[MAX_STR];
  uint32_t flags;
  if (argc < 2 || arg_str(env, argv[0], target, NULL) || arg_u32(env, argv[1], &flags))
    return throw_type(env, "umount2(target, flags)");
  if (umount2(target, flags) != 0) return throw_errno(env, errno, "umount2");
  return NULL;
}

// ---------- network namespaces ----------

static int open_current_netns(void) {
  return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

static void return_to_netns(int saved) {
  if (setns(saved, CLONE_NEWNET) != 0) {
    fprintf(stderr, "berth_sys: cannot return to the engine's network namespace: %s\n", strerror(errno));
    abort();
  }
  close(saved);
}

static int link_up(int sock, const char *ifname) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return -1;
  ifr.ifr_flags |= IFF_UP;
  return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

// netnsCreate(file): a new network namespace kept alive by a bind mount on
// `file` (an existing empty file), with `lo` up.
static napi_value js_netns_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static char file[MAX_STR];
  if (argc < 1 || arg_str(env, argv[0], file, NULL)) return throw_type(env, "netnsCreate(file)");
  int saved = open_current_netns();
  if (saved < 0) return throw_errno(env, errno, "open netns");
  if (unshare(CLONE_NEWNET) != 0) {
    int e = errno;
    close(saved);
    return throw_errno(env, e, "unshare");
  }
  int err = 0;
  const char *what = "";
  if (mount("/proc/thread-self/ns/net", file, NULL, MS_BIND, NULL) != 0) {
    err = errno;
    what = "bind netns";
  } else {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || link_up(s, "lo") != 0) {
      err = errno;
      what = "lo up";
    }
    if (s >= 0) close(s);
    if (err) umount2(file, MNT_DETACH);
  }
  return_to_netns(saved);
  if (err) return throw_errno(env, err, what);
  return NULL;
}

// ---------- rtnetlink ----------

// One request, built in place; requests here are a few hundred bytes at most.
struct nlreq {
  union {
    struct nlmsghdr n;
    char raw[2048];
  };
};

static struct rtattr *add_attr(struct nlreq *r, int type, const void *data, int len) {
  size_t at = NLMSG_ALIGN(r->n.nlmsg_len);
  if (at + RTA_SPACE(len) > sizeof r->raw) abort(); // fixed-size requests: a bug, not an input
  struct rtattr *rta = (struct rtattr *)(r->raw + at);
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  r->n.nlmsg_len = at + RTA_ALIGN(rta->rta_len);
  return rta;
}

static void add_raw(struct nlreq *r, const void *data, int len) {
  size_t at = NLMSG_ALIGN(r->n.nlmsg_len);
  if (at + NLMSG_ALIGN(len) > sizeof r->raw) abort();
  memcpy(r->raw + at, data, len);
  r->n.nlmsg_len = at + NLMSG_ALIGN(len);
}

static void end_nest(struct nlreq *r, struct rtattr *nest) {
  nest->rta_len = r->raw + NLMSG_ALIGN(r->n.nlmsg_len) - (char *)nest;
}

static void init_req(struct nlreq *r, int type, int flags, const void *hdr, int hdrlen) {
  memset(r, 0, sizeof *r);
  r->n.nlmsg_len = NLMSG_LENGTH(hdrlen);
  r->n.nlmsg_type = type;
  r->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  memcpy(r->raw + NLMSG_HDRLEN, hdr, hdrlen);
}

// Sends one request and waits for its ACK; returns 0 or an errno.
static int nl_talk(int fd, struct nlreq *r) {
  static unsigned seq = 0;
  r->n.nlmsg_seq = ++seq;
  if (send(fd, r, r->n.nlmsg_len, 0) < 0) return errno;
  char buf[8192];
  for (;;) {
    int len = (int)recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != r->n.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static int nl_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sets flags (IFF_UP) and optionally master/MAC of the link with this index.
static int set_link(int fd, int index, int master, const unsigned char *mac) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
  struct nlreq r;
  init_req(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (master) add_attr(&r, IFLA_MASTER, &master, 4);
  if (mac) add_attr(&r, IFLA_ADDRESS, mac, 6);
  return nl_talk(fd, &r);
}

static int set_up(int fd, int index) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  struct nlreq r;
  init_req(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  return nl_talk(fd, &r);
}

// vethCreate(hostName, peerName, mtu, bridge, netnsFile): the pair, the peer
// moved into the namespace file's namespace, the host end on the bridge and up
// (what `ip link add … type veth peer … netns F; link set … master B; up` does).
static napi_value js_veth_create(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static char host[MAX_STR], peer[MAX_STR], bridge[MAX_STR], file[MAX_STR];
  uint32_t mtu;
  if (argc < 5 || arg_str(env, argv[0], host, NULL) || arg_str(env, argv[1], peer, NULL) ||
      arg_u32(env, argv[2], &mtu) || arg_str(env, argv[3], bridge, NULL) || arg_str(env, argv[4], file, NULL) ||
      strlen(host) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ)
    return throw_type(env, "vethCreate(hostName, peerName, mtu, bridge, netnsFile)");
  int master = if_nametoindex(bridge);
  if (!master) return throw_errno(env, errno, "bridge");
  int nsfd = open(file, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return throw_errno(env, errno, "open netns");
  int fd = nl_socket();
  if (fd < 0) {
    int e = errno;
    close(nsfd);
    return throw_errno(env, e, "netlink");
  }
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlreq r;
  init_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  add_attr(&r, IFLA_IFNAME, host, strlen(host) + 1);
  add_attr(&r, IFLA_MTU, &mtu, 4);
  struct rtattr *linkinfo = add_attr(&r, IFLA_LINKINFO, NULL, 0);
  add_attr(&r, IFLA_INFO_KIND, "veth", 5);
  struct rtattr *data = add_attr(&r, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peerinfo = add_attr(&r, VETH_INFO_PEER, NULL, 0);
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  add_raw(&r, &peer_ifi, sizeof peer_ifi);
  add_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
  add_attr(&r, IFLA_MTU, &mtu, 4);
  add_attr(&r, IFLA_NET_NS_FD, &nsfd, 4);
  end_nest(&r, peerinfo);
  end_nest(&r, data);
  end_nest(&r, linkinfo);
  int err = nl_talk(fd, &r);
  const char *what = "add veth";
  if (!err) {
    int index = if_nametoindex(host);
    if (!index) err = errno, what = "veth index";
    else if ((err = set_link(fd, index, master, NULL))) what = "set master";
    else if ((err = set_up(fd, index))) what = "set up";
  }
  close(fd);
  close(nsfd);
  if (err) return throw_errno(env, err, what);
  return NULL;
}

static int parse_mac(const char *s, unsigned char *mac) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) {
    if (v[i] > 255) return -1;
    mac[i] = v[i];
  }
  return 0;
}

// netnsConfigure(netnsFile, ifname, mac, address, prefixLen, gateway|null):
// inside the namespace, the interface gets its MAC and address, goes up, and
// (with a gateway) the default route -- `ip link set address / addr add /
// link set up / route replace default via` there. The sockets are made inside
// the namespace and used after the thread is back home.
static napi_value js_netns_configure(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static char file[MAX_STR], ifname[MAX_STR], macs[MAX_STR], addrs[MAX_STR], gws[MAX_STR];
  uint32_t prefix;
  int has_gw;
  unsigned char mac[6];
  struct in_addr addr, gw;
  if (argc < 6 || arg_str(env, argv[0], file, NULL) || arg_str(env, argv[1], ifname, NULL) ||
      arg_str(env, argv[2], macs, NULL) || arg_str(env, argv[3], addrs, NULL) || arg_u32(env, argv[4], &prefix) ||
      arg_str(env, argv[5], gws, &has_gw) || strlen(ifname) >= IFNAMSIZ || parse_mac(macs, mac) ||
      inet_pton(AF_INET, addrs, &addr) != 1 || prefix > 32 || (has_gw && inet_pton(AF_INET, gws, &gw) != 1))
    return throw_type(env, "netnsConfigure(netnsFile, ifname, mac, address, prefixLen, gateway)");
  int nsfd = open(file, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return throw_errno(env, errno, "open netns");
  int saved = open_current_netns();
  if (saved < 0) {
    int e = errno;
    close(nsfd);
    return throw_errno(env, e, "open netns");
  }
  if (setns(nsfd, CLONE_NEWNET) != 0) {
    int e = errno;
    close(nsfd);
    close(saved);
    return throw_errno(env, e, "setns");
  }
  close(nsfd);
  int fd = nl_socket();
  int nl_err = fd < 0 ? errno : 0;
  int index = fd < 0 ? 0 : (int)if_nametoindex(ifname);
  int idx_err = index ? 0 : errno;
  return_to_netns(saved);
  if (fd < 0) return throw_errno(env, nl_err, "netlink");
  if (!index) {
    close(fd);
    return throw_errno(env, idx_err, ifname);
  }
  const char *what = "set address";
  int err = set_link(fd, index, 0, mac);
  if (!err) {
    struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_index = index};
    struct nlreq r;
    init_req(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
    add_attr(&r, IFA_LOCAL, &addr, 4);
    add_attr(&r, IFA_ADDRESS, &addr, 4);
    if ((err = nl_talk(fd, &r))) what = "add address";
  }
  if (!err && (err = set_up(fd, index))) what = "set up";
  if (!err && has_gw) {
    struct rtmsg rt = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                       .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
    struct nlreq r;
    init_req(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof rt);
    add_attr(&r, RTA_GATEWAY, &gw, 4);
    add_attr(&r, RTA_OIF, &index, 4);
    if ((err = nl_talk(fd, &r))) what = "default route";
  }
  close(fd);
  if (err) return throw_errno(env, err, what);
  return NULL;
}

// ---------- spawning a monitor ----------

// Fills a NULL-terminated char* array from a JS string array (strings on the heap).
static char **str_array(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > 4096) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || !(out[i] = malloc(len + 1))) goto fail;
    napi_get_value_string_utf8(env, v, out[i], len + 1, &len);
  }
  return out;
fail:
  for (uint32_t i = 0; out[i]; i++) free(out[i]);
  free(out);
  return NULL;
}

static void free_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

// spawn(file, argv, env, cwd, extraPipes): what child_process.spawn with
// detached: true and stdio ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...]
// does, by posix_spawn (vfork-style: no copy of berthd's page tables, which is
// most of the cost of a Node spawn). The child gets /dev/null on 0 and 1, a
// pipe it writes on 2, then `extraPipes` more from fd 3: the child writes on
// fd 3 and 5+, and reads on fd 4 (conmon's sync, start and attach pipes).
// Signals are reset to their defaults and unblocked, as libuv does. Returns
// [pid, fd for 2, fd for 3, ...] (our ends, close-on-exec). The caller reaps
// the pid (reap()).
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static char file[MAX_STR], cwd[MAX_STR];
  uint32_t extra;
  if (argc < 5 || arg_str(env, argv[0], file, NULL) || arg_str(env, argv[3], cwd, NULL) ||
      arg_u32(env, argv[4], &extra) || extra > 8)
    return throw_type(env, "spawn(file, argv, env, cwd, extraPipes)");
  char **args = str_array(env, argv[1]);
  char **envp = str_array(env, argv[2]);
  int ours[9], theirs[9], n = 1 + extra, made = 0, err = 0;
  const char *what = "pipe";
  if (!args || !envp) {
    free_array(args);
    free_array(envp);
    return throw_type(env, "spawn: argv and env must be string arrays");
  }
  for (; made < n; made++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      err = errno;
      break;
    }
    int child_reads = made == 2; // fd 4
    ours[made] = child_reads ? p[1] : p[0];
    theirs[made] = child_reads ? p[0] : p[1];
  }
  pid_t pid = 0;
  if (!err) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    memset(&all, 0xff, sizeof all); // every signal, also the two sigfillset leaves out (32, 33)
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    if (cwd[0]) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    for (int i = 0; i < n; i++) posix_spawn_file_actions_adddup2(&fa, theirs[i], 2 + i);
    err = posix_spawnp(&pid, file, &fa, &at, args, envp);
    what = file;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
  }
  for (int i = 0; i < made; i++) {
    close(theirs[i]);
    if (err) close(ours[i]);
  }
  free_array(args);
  free_array(envp);
  if (err) return throw_errno(env, err, what);
  napi_value out, v;
  napi_create_array_with_length(env, n + 1, &out);
  napi_create_int32(env, pid, &v);
  napi_set_element(env, out, 0, v);
  for (int i = 0; i < n; i++) {
    napi_create_int32(env, ours[i], &v);
    napi_set_element(env, out, i + 1, v);
  }
  return out;
}

// reap(pid): the exit status (>= 0; 128+signal when killed) once the child has
// ended, -1 while it runs. Only for pids from spawn(): libuv reaps its own.
static napi_value js_reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  int32_t pid;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0)
    return throw_type(env, "reap(pid)");
  int st;
  pid_t r = waitpid(pid, &st, WNOHANG);
  if (r < 0) return throw_errno(env, errno, "waitpid");
  napi_create_int32(env, r == 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), &out);
  return out;
}

// ---------- module ----------

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_default, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_default, NULL},
      {"netnsCreate", NULL, js_netns_create, NULL, NULL, NULL, napi_default, NULL},
      {"vethCreate", NULL, js_veth_create, NULL, NULL, NULL, napi_default, NULL},
      {"netnsConfigure", NULL, js_netns_configure, NULL, NULL, NULL, napi_default, NULL},
      {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL},
      {"reap", NULL, js_reap, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
