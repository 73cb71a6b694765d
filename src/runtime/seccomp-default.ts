// Docker's default seccomp profile (facts from moby profiles/seccomp/default.json),
// kept as compact data: an allowlist with errno EPERM for everything else, plus
// rules that depend on the container's capabilities, the CPU architecture or a
// syscall argument. `defaultSeccomp()` turns it into an OCI `linux.seccomp`.

/** Always allowed, on every architecture (ptrace & process_vm_* need kernel >= 4.8, which every supported host has). */
const ALWAYS = `
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64
fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs
fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd
getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32
getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents
io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter io_uring_register
io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr
lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat
mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv
msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open
openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect
poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6
pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom
recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity
sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send
sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid
setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid
setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt
set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown
sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64
statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
process_vm_readv process_vm_writev ptrace

`;

interface ArgRule {
  index: number;
  value: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_MASKED_EQ';
}

interface Rule {
  names: string;
  /** Applies only when the container holds this capability. */
  cap?: string;
  /** Applies only when the container lacks this capability. */
  notCap?: string;
  /** Applies only on these Go-style architectures (amd64, arm64, …). */
  arches?: string[];
  notArches?: string[];
  args?: ArgRule[];
  errno?: number;
}

// The clone flags a process may pass without CAP_SYS_ADMIN: none of the
// CLONE_NEW* namespace flags (mask 0x7E020000).
const CLONE_NS_MASK = 2114060288;

const RULES: Rule[] = [
  { names: 'socket', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }, // AF_VSOCK denied
  // personality: only PER_LINUX, PER_LINUX32, UNAME26 variants and the query value.
  ...[0, 8, 131072, 131080, 4294967295].map((v): Rule => ({
    names: 'personality',
    args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }],
  })),
  { names: 'sync_file_range2 swapcontext', arches: ['ppc64le'] },
  {
    names: 'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls',
    arches: ['arm', 'arm64'],
  },
  { names: 'arch_prctl', arches: ['amd64', 'x32'] },
  { names: 'modify_ldt', arches: ['amd64', 'x32', 'x86'] },
  { names: 's390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr', arches: ['s390', 's390x'] },
  { names: 'riscv_flush_icache', arches: ['riscv64'] },
  { names: 'open_by_handle_at', cap: 'CAP_DAC_READ_SEARCH' },
  {
    names:
      'bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare',
    cap: 'CAP_SYS_ADMIN',
  },
  {
    names: 'clone',
    notCap: 'CAP_SYS_ADMIN',
    notArches: ['s390', 's390x'],
    args: [{ index: 0, value: CLONE_NS_MASK, op: 'SCMP_CMP_MASKED_EQ' }],
  },
  {
    names: 'clone',
    notCap: 'CAP_SYS_ADMIN',
    arches: ['s390', 's390x'],
    args: [{ index: 1, value: CLONE_NS_MASK, op: 'SCMP_CMP_MASKED_EQ' }],
  },
  // clone3 cannot be filtered by flags, so answer ENOSYS and let libc fall back to clone.
  { names: 'clone3', notCap: 'CAP_SYS_ADMIN', errno: 38 },
  { names: 'reboot', cap: 'CAP_SYS_BOOT' },
  { names: 'chroot', cap: 'CAP_SYS_CHROOT' },
  { names: 'delete_module init_module finit_module', cap: 'CAP_SYS_MODULE' },
  { names: 'acct', cap: 'CAP_SYS_PACCT' },
  {
    names: 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace',
    cap: 'CAP_SYS_PTRACE',
  },
  { names: 'iopl ioperm', cap: 'CAP_SYS_RAWIO' },
  { names: 'settimeofday stime clock_settime clock_settime64', cap: 'CAP_SYS_TIME' },
  { names: 'vhangup', cap: 'CAP_SYS_TTY_CONFIG' },
  { names: 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node', cap: 'CAP_SYS_NICE' },
  { names: 'syslog', cap: 'CAP_SYSLOG' },
  { names: 'bpf', cap: 'CAP_BPF' },
  { names: 'perf_event_open', cap: 'CAP_PERFMON' },
];

/** Node's process.arch → (Go arch name, OCI seccomp architectures). */
const ARCHES: Record<string, { go: string; scmp: string[] }> = {
  x64: { go: 'amd64', scmp: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
  arm64: { go: 'arm64', scmp: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] },
  arm: { go: 'arm', scmp: ['SCMP_ARCH_ARM'] },
  s390x: { go: 's390x', scmp: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'] },
  riscv64: { go: 'riscv64', scmp: ['SCMP_ARCH_RISCV64'] },
  ppc64: { go: 'ppc64le', scmp: ['SCMP_ARCH_PPC64LE'] },
};

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: ArgRule[] }[];
}

const words = (s: string) => s.trim().split(/\s+/);

/** The default profile as it applies to a container holding `caps`. */
export function defaultSeccomp(caps: string[], nodeArch: string = process.arch): OciSeccomp {
  const arch = ARCHES[nodeArch] ?? ARCHES.x64;
  const syscalls: OciSeccomp['syscalls'] = [{ names: words(ALWAYS), action: 'SCMP_ACT_ALLOW' }];
  for (const r of RULES) {
    if (r.cap && !caps.includes(r.cap)) continue;
    if (r.notCap && caps.includes(r.notCap)) continue;
    if (r.arches && !r.arches.includes(arch.go)) continue;
    if (r.notArches && r.notArches.includes(arch.go)) continue;
    const entry: OciSeccomp['syscalls'][number] = {
      names: words(r.names),
      action: r.errno === undefined ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_ERRNO',
    };
    if (r.errno !== undefined) entry.errnoRet = r.errno;
    if (r.args) entry.args = r.args;
    syscalls.push(entry);
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: arch.scmp, syscalls };
}
