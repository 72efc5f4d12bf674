"""The sandbox's system-call policy, declared once for every architecture, by call name:
which calls student code may make, and which it may not, in three steps (:mod:`.filters`
makes the seccomp programs from it, through libseccomp).

Every call the kernel has is named here, either allowed (:data:`ALLOWED`) or refused on
purpose (:data:`CELLS`); a call named nowhere (one a newer kernel adds) is refused with
``ENOSYS``, as if the kernel had none, until it is declared. tests/engine/gradersandbox/
test_call_policy.py checks every call of the kernel's table against this.

- **From the first cell** (:data:`CELLS`), in the runner and all it forks: the calls a
  container runtime's default profile refuses (Docker's, and Podman's after it): kernel keys,
  new namespaces and mounts, kernel modules, clocks, swap, reboot, tracing other processes,
  bpf, perf, io_uring and userfaultfd. None of them is any use to a notebook, and the keys'
  and namespaces' state would outlive the submission.
- **From the runner's first probe process** (:data:`RUNNER`): also anything that leaves a
  trace another process could see (file changes, write opens, sockets, IPC, other processes'
  memory, priority and limits) and new shared memory (``mmap`` with ``MAP_SHARED``).
- **In each probe process** (:data:`PROBE`): no new process, signals to itself only.

Standard library only: the sandbox imports it from its read-only copy.
"""

from __future__ import annotations

from errno import ENOSYS, EPERM, EROFS
from typing import NamedTuple

__all__ = ["ALLOWED", "CELLS", "PROBE", "RUNNER", "TESTS", "UNDECLARED", "Refusal"]


class Refusal(NamedTuple):
    """Calls refused with ``error``: always, or when their ``argument`` passes ``test``
    against ``value``."""

    calls: str  # names, separated by spaces
    error: int
    argument: int | None = None
    test: str = ""  # one of TESTS
    value: int = 0


# What a test on an argument refuses: any of value's bits set; none of them set; its low 32
# bits equal to value (an ioctl's request, a size: the kernel reads 32 of them); the whole
# argument other than value; other than the probe process's own pid (known only there).
TESTS = ("any of", "none of", "equals", "is not", "is not own pid")
UNDECLARED = ENOSYS  # what a call named nowhere here gets

# Every call a notebook may make from its first cell (those RUNNER or PROBE refuse later
# among them). The last line: calls of kernels newer than some libseccomp knows, declared so
# that a libseccomp that knows them applies them as meant (one that does not leaves them to
# UNDECLARED).
ALLOWED = """
    accept accept4 access adjtimex alarm arch_prctl bind brk cachestat capget capset chdir
    chmod chown chroot clock_getres clock_gettime clock_nanosleep clone close close_range
    connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl
    epoll_pwait epoll_pwait2 epoll_wait eventfd eventfd2 execve execveat exit exit_group
    faccessat faccessat2 fadvise64 fallocate fanotify_init fanotify_mark fchdir fchmod
    fchmodat fchmodat2 fchown fchownat fcntl fdatasync fgetxattr file_setattr flistxattr
    flock fork fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex futex_requeue
    futex_wait futex_waitv futex_wake futimesat get_mempolicy get_robust_list
    get_thread_area getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups
    getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid
    getresuid getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday getuid
    getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel
    io_destroy io_getevents io_pgetevents io_setup io_submit ioctl ioprio_get ioprio_set
    kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lgetxattr
    link linkat listen listxattr llistxattr lremovexattr lseek lsetxattr lstat madvise
    map_shadow_stack mbind membarrier memfd_create memfd_secret migrate_pages mincore mkdir
    mkdirat mknod mknodat mlock mlock2 mlockall mmap modify_ldt move_pages mprotect
    mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap msgctl
    msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep newfstatat open openat
    openat2 pause personality pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc
    pkey_free pkey_mprotect poll ppoll prctl pread64 preadv preadv2 prlimit64
    process_madvise process_mrelease pselect6 pwrite64 pwritev pwritev2 quotactl_fd read
    readahead readlink readlinkat readv recvfrom recvmmsg recvmsg remap_file_pages
    removexattr removexattrat rename renameat renameat2 restart_syscall rmdir rseq
    rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
    rt_sigtimedwait rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min
    sched_getaffinity sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval
    sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp
    select semctl semget semop semtimedop sendfile sendmmsg sendmsg sendto set_mempolicy
    set_mempolicy_home_node set_robust_list set_thread_area set_tid_address setdomainname
    setfsgid setfsuid setgid setgroups sethostname setitimer setpgid setpriority setregid
    setresgid setresuid setreuid setrlimit setsid setsockopt setuid setxattr setxattrat
    shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 socket socketpair
    splice stat statfs statx symlink symlinkat sync sync_file_range syncfs sysinfo tee
    tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_settime
    timerfd_create timerfd_gettime timerfd_settime times tkill truncate umask uname unlink
    unlinkat utime utimensat utimes vfork vhangup vmsplice wait4 waitid write writev
    statmount listmount lsm_get_self_attr lsm_set_self_attr lsm_list_modules mseal
    getxattrat listxattrat file_getattr uretprobe
""".split()

_CLONE_NAMESPACES = 0x7E020000  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000  # O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND
_FS_IOC_SETFLAGS, _FS_IOC_FSSETXATTR = 0x40086602, 0x401C5820
_MAP_SHARED = 0x01  # MAP_SHARED and MAP_SHARED_VALIDATE both have this bit
_CLONE_THREAD = 0x10000

CELLS = (
    Refusal(
        "add_key request_key keyctl"  # the kernel's keyrings outlive a submission
        " unshare setns mount umount2 pivot_root open_tree open_tree_attr move_mount fsopen"
        " fsconfig fsmount fspick mount_setattr"
        " acct reboot swapon swapoff init_module delete_module finit_module kexec_load"
        " kexec_file_load iopl ioperm clock_settime settimeofday clock_adjtime quotactl syslog"
        " sysfs _sysctl uselib ustat lookup_dcookie name_to_handle_at open_by_handle_at"
        " userfaultfd ptrace process_vm_readv process_vm_writev kcmp"
        " bpf perf_event_open io_uring_setup io_uring_enter io_uring_register",
        EPERM,
    ),
    # Calls the kernel has in its table but does not implement (x86-64's old ones).
    Refusal(
        "afs_syscall create_module epoll_ctl_old epoll_wait_old get_kernel_syms getpmsg"
        " nfsservctl putpmsg query_module security tuxcall vserver",
        ENOSYS,
    ),
    # clone3's flags are in memory, out of a filter's reach: it gets ENOSYS, and the C
    # library falls back to clone, whose flags are checked.
    Refusal("clone3", ENOSYS),
    Refusal("clone", EPERM, 0, "any of", _CLONE_NAMESPACES),
)

RUNNER = (
    *CELLS,
    Refusal(
        "creat mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat"
        " symlink symlinkat mknod mknodat truncate chmod fchmod fchmodat fchmodat2 chown fchown"
        " lchown fchownat utime utimes utimensat futimesat setxattr lsetxattr fsetxattr"
        " removexattr lremovexattr fremovexattr setxattrat removexattrat file_setattr",
        EROFS,
    ),
    Refusal(
        "socket shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv"
        " msgctl mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr"
        " process_madvise pidfd_getfd pidfd_send_signal migrate_pages move_pages"  # others' memory
        " setpriority ioprio_set",
        EPERM,
    ),
    Refusal("openat2", ENOSYS),  # its flags in memory: the C library falls back to openat
    Refusal(  # on this process (0) only
        "sched_setparam sched_setscheduler sched_setaffinity sched_setattr prlimit64",
        EPERM,
        0,
        "is not",
        0,
    ),
    Refusal("open", EROFS, 1, "any of", _WRITE_FLAGS),
    Refusal("openat", EROFS, 2, "any of", _WRITE_FLAGS),
    Refusal("ioctl", EROFS, 1, "equals", _FS_IOC_SETFLAGS),
    Refusal("ioctl", EROFS, 1, "equals", _FS_IOC_FSSETXATTR),
    Refusal("mmap", EPERM, 3, "any of", _MAP_SHARED),
    Refusal("mremap", EPERM, 1, "equals", 0),  # old size 0: a shared copy
)

PROBE = (
    Refusal("fork vfork", EPERM),
    Refusal("clone", EPERM, 0, "none of", _CLONE_THREAD),  # a new process, not a thread
    Refusal("kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo", EPERM, 0, "is not own pid"),
)
