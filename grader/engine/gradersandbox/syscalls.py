"""System call numbers by name, per architecture, from one table: the seccomp filters
(:mod:`.filters`, Linux x86-64 programs) and the runner's ``capset`` name the calls; this
table says what each is on the machine.

The columns are the kernel's own tables: ``arch/x86/entry/syscalls/syscall_64.tbl`` (as
``asm/unistd_64.h``) and ``include/uapi/asm-generic/unistd.h``, which arm64 uses; None where
the architecture has no such call (arm64 has no ``open``, only ``openat``). Standard library
only: the sandbox imports it from its read-only copy.
"""

from __future__ import annotations

import os

ARCHITECTURES = ("x86_64", "aarch64")
# name: (x86_64, aarch64)
# fmt: off
TABLE: dict[str, tuple[int | None, int | None]] = {
    "add_key": (248, 217),
    "request_key": (249, 218),
    "keyctl": (250, 219),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "acct": (163, 89),
    "reboot": (169, 142),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "init_module": (175, 105),
    "delete_module": (176, 106),
    "finit_module": (313, 273),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "iopl": (172, None),
    "ioperm": (173, None),
    "clock_settime": (227, 112),
    "settimeofday": (164, 170),
    "clock_adjtime": (305, 266),
    "quotactl": (179, 60),
    "syslog": (103, 116),
    "sysfs": (139, None),
    "_sysctl": (156, None),
    "uselib": (134, None),
    "ustat": (136, None),
    "lookup_dcookie": (212, 18),
    "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265),
    "userfaultfd": (323, 282),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "kcmp": (312, 272),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "creat": (85, None),
    "mkdir": (83, None),
    "mkdirat": (258, 34),
    "rmdir": (84, None),
    "unlink": (87, None),
    "unlinkat": (263, 35),
    "rename": (82, None),
    "renameat": (264, 38),
    "renameat2": (316, 276),
    "link": (86, None),
    "linkat": (265, 37),
    "symlink": (88, None),
    "symlinkat": (266, 36),
    "mknod": (133, None),
    "mknodat": (259, 33),
    "truncate": (76, 45),
    "chmod": (90, None),
    "fchmod": (91, 52),
    "fchmodat": (268, 53),
    "fchmodat2": (452, 452),
    "chown": (92, None),
    "fchown": (93, 55),
    "lchown": (94, None),
    "fchownat": (260, 54),
    "utime": (132, None),
    "utimes": (235, None),
    "utimensat": (280, 88),
    "futimesat": (261, None),
    "setxattr": (188, 5),
    "lsetxattr": (189, 6),
    "fsetxattr": (190, 7),
    "removexattr": (197, 14),
    "lremovexattr": (198, 15),
    "fremovexattr": (199, 16),
    "setxattrat": (463, 463),
    "removexattrat": (466, 466),
    "file_setattr": (469, 469),
    "socket": (41, 198),
    "shmget": (29, 194),
    "shmat": (30, 196),
    "shmctl": (31, 195),
    "shmdt": (67, 197),
    "semget": (64, 190),
    "semop": (65, 193),
    "semctl": (66, 191),
    "semtimedop": (220, 192),
    "msgget": (68, 186),
    "msgsnd": (69, 189),
    "msgrcv": (70, 188),
    "msgctl": (71, 187),
    "mq_open": (240, 180),
    "mq_unlink": (241, 181),
    "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184),
    "mq_getsetattr": (245, 185),
    "process_madvise": (440, 440),
    "pidfd_getfd": (438, 438),
    "pidfd_send_signal": (424, 424),
    "migrate_pages": (256, 238),
    "move_pages": (279, 239),
    "setpriority": (141, 140),
    "ioprio_set": (251, 30),
    "kill": (62, 129),
    "tkill": (200, 130),
    "tgkill": (234, 131),
    "rt_sigqueueinfo": (129, 138),
    "rt_tgsigqueueinfo": (297, 240),
    "sched_setparam": (142, 118),
    "sched_setscheduler": (144, 119),
    "sched_setaffinity": (203, 122),
    "sched_setattr": (314, 274),
    "prlimit64": (302, 261),
    "open": (2, None),
    "openat": (257, 56),
    "ioctl": (16, 29),
    "mmap": (9, 222),
    "mremap": (25, 216),
    "fork": (57, None),
    "vfork": (58, None),
    "clone": (56, 220),
    "clone3": (435, 435),
    "openat2": (437, 437),
    "seccomp": (317, 277),
    "capset": (126, 91),
}
# fmt: on


def numbers(machine: str) -> dict[str, int]:
    """The calls ``machine`` (as ``os.uname().machine`` says it) has, by name; empty for a
    machine the table does not know."""
    if machine not in ARCHITECTURES:
        return {}
    column = ARCHITECTURES.index(machine)
    found: dict[str, int] = {}
    for name, row in TABLE.items():
        number = row[column]
        if number is not None:
            found[name] = number
    return found


X86_64 = numbers("x86_64")
NUMBERS = numbers(os.uname().machine)  # this machine's
