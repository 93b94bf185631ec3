"""A seccomp filter for the kernel: system calls that only serve to escape or to reach other
submissions are refused, everything else is allowed.

Built once in the zygote with libseccomp (through ``pyseccomp``, a ctypes binding with
libseccomp's own Python API) and loaded by each kernel after it has dropped its privileges,
before it runs any student code. It applies with or without root, and to every process and
thread the kernel starts. Refused:

* new user namespaces (``unshare``/``clone`` with CLONE_NEWUSER): inside one an unprivileged
  process is root again, able to mount, make namespaces, open raw and netlink sockets;
  ``clone3`` (whose flags sit in memory that a filter cannot read) answers ENOSYS, and libc
  then falls back to ``clone``;
* sockets other than AF_UNIX, AF_INET, AF_INET6: AF_VSOCK reaches the host of a VM,
  AF_NETLINK, AF_PACKET and the rest are kernel interfaces no assignment needs;
* io_uring, which can open sockets (IORING_OP_SOCKET) without the socket call checked above;
* the keyring calls (``add_key``, ``request_key``, ``keyctl``): a sandbox uid's keyring
  outlives its kernel, a channel from one submission to the next.

Calls of another architecture (32-bit ``int 0x80``, x32) would bypass these rules: they end
the process.
"""
import errno

ALLOWED_FAMILIES = (1, 2, 10)                      # AF_UNIX, AF_INET, AF_INET6
CLONE_NEWUSER = 0x10000000
KEYRING_CALLS = ("add_key", "request_key", "keyctl")
IO_URING_CALLS = ("io_uring_setup", "io_uring_enter", "io_uring_register")


def build_filter():
    """The filter, ready to ``load()`` in a kernel; or (None, why) where it cannot be had."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as error:  # no binding, or no libseccomp
        return None, f"no libseccomp ({type(error).__name__}: {error})"
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)   # every thread of the kernel, if any
        refuse = seccomp.ERRNO(errno.EPERM)
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        for call in ("unshare", "clone"):   # the flags are the first argument of both
            rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER,
                                                     CLONE_NEWUSER))
        # EOPNOTSUPP, not EAFNOSUPPORT: libzmq (ipykernel's sockets) binds by first asking
        # getifaddrs, i.e. a netlink socket, and aborts the process on any other error
        unsupported = seccomp.ERRNO(errno.EOPNOTSUPP)
        for call in ("socket", "socketpair"):
            # the family is an int, compared as 64 bits: any high bit set is refused too
            # (the kernel would ignore it), as is every family above AF_INET6
            rules.add_rule(unsupported, call, seccomp.Arg(0, seccomp.GT, max(ALLOWED_FAMILIES)))
            for family in range(max(ALLOWED_FAMILIES)):
                if family not in ALLOWED_FAMILIES:
                    rules.add_rule(unsupported, call, seccomp.Arg(0, seccomp.EQ, family))
        for call in (*KEYRING_CALLS, *IO_URING_CALLS):
            rules.add_rule(refuse, call)
    except OSError as error:  # an old libseccomp that lacks a call's name or an attribute
        return None, f"libseccomp refused the filter ({error})"
    return rules, None

