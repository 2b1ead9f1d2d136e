// SPDX-License-Identifier: MIT
/*
 * The socket calls of a kernel with no address family: Linux's socket
 * layer as it answers when no protocol family is registered. socket() and
 * socketpair() check their type argument and then find no family
 * (EAFNOSUPPORT); every call on a descriptor finds no socket behind it
 * (EBADF for a closed one, else ENOTSOCK), after the checks Linux makes
 * before looking (flag words, lengths, user buffers, timeouts), so a
 * program learns what it would on Linux without networking. The x86_64
 * numbers are registered here; i386's direct calls and its socketcall()
 * multiplexer reach the same handlers (compat32_socket.c).
 */
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/syscall.h"

/* x86_64 numbers */
enum {
	NR_socket = 41, NR_connect = 42, NR_accept = 43, NR_sendto = 44, NR_recvfrom = 45,
	NR_sendmsg = 46, NR_recvmsg = 47, NR_shutdown = 48, NR_bind = 49, NR_listen = 50,
	NR_getsockname = 51, NR_getpeername = 52, NR_socketpair = 53, NR_setsockopt = 54,
	NR_getsockopt = 55, NR_accept4 = 288, NR_recvmmsg = 299, NR_sendmmsg = 307,
};

#define AF_MAX			46	/* Linux 6.1's NPROTO: families beyond it never exist */
#define SOCK_TYPE_MASK		0xf
#define SOCK_MAX		11	/* SOCK_PACKET + 1 */
#define SOCK_NONBLOCK		04000
#define SOCK_CLOEXEC		02000000
#define SOCKADDR_STORAGE_SIZE	128
#define MAX_RW_COUNT		(0x7fffffffll & PAGE_MASK)
/* Only a kernel with 32-bit compatibility (x86_64) reserves this flag bit. */
#define MSG_CMSG_COMPAT		(sizeof(long) == 8 ? 0x80000000u : 0u)
#define NSEC_PER_SEC		1000000000ll

#define SOCK_HANDLER(name)						\
	static long name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, \
			 uint64_t a5)

/* Linux's sockfd_lookup_light() with no socket in the system. */
static long no_socket(uint64_t fd)
{
	return fd_file(fd) ? -ENOTSOCK : -EBADF;
}

/* The SOCK_* flags in a type word, and then the type: __sys_socket()'s and __sock_create()'s checks. */
static long create_checks(int family, int type)
{
	if ((type & ~SOCK_TYPE_MASK) & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if ((type & SOCK_TYPE_MASK) >= SOCK_MAX)
		return -EINVAL;
	return -EAFNOSUPPORT;		/* no family is registered */
}

SOCK_HANDLER(sys_socket)
{
	return create_checks((int)a0, (int)a1);
}
SYSCALL_DEFINE(NR_socket, socket, sys_socket);

/*
 * socketpair: Linux picks both descriptors and stores them in the
 * caller's array before it makes the first socket, so they are written
 * even when no socket can be made.
 */
SOCK_HANDLER(sys_socketpair)
{
	int type = (int)a1, fd[2];

	if ((type & ~SOCK_TYPE_MASK) & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if ((fd[0] = fd_peek_free(0)) < 0)
		return fd[0];
	if ((fd[1] = fd_peek_free((uint64_t)fd[0] + 1)) < 0)
		return fd[1];
	if (copy_to_user(a3, &fd[0], sizeof(int)) || copy_to_user(a3 + sizeof(int), &fd[1], sizeof(int)))
		return -EFAULT;
	return create_checks((int)a0, type);
}
SYSCALL_DEFINE(NR_socketpair, socketpair, sys_socketpair);

/* The calls that look the socket up before anything else. */
SOCK_HANDLER(sys_socket_lookup_first)
{
	return no_socket(a0);
}
SYSCALL_DEFINE(NR_bind, bind, sys_socket_lookup_first);
SYSCALL_DEFINE(NR_listen, listen, sys_socket_lookup_first);
SYSCALL_DEFINE(NR_shutdown, shutdown, sys_socket_lookup_first);
SYSCALL_DEFINE(NR_getsockname, getsockname, sys_socket_lookup_first);
SYSCALL_DEFINE(NR_getpeername, getpeername, sys_socket_lookup_first);
SYSCALL_DEFINE(NR_getsockopt, getsockopt, sys_socket_lookup_first);

/* setsockopt(fd, level, name, value, int optlen): a negative length first. */
SOCK_HANDLER(sys_setsockopt)
{
	if ((int)a4 < 0)
		return -EINVAL;
	return no_socket(a0);
}
SYSCALL_DEFINE(NR_setsockopt, setsockopt, sys_setsockopt);

/* connect(fd, addr, int len): the descriptor, then the address is copied in (move_addr_to_kernel()). */
SOCK_HANDLER(sys_connect)
{
	uint8_t addr[SOCKADDR_STORAGE_SIZE];
	int len = (int)a2;

	if (!fd_file(a0))
		return -EBADF;
	if (len < 0 || len > SOCKADDR_STORAGE_SIZE)
		return -EINVAL;
	if (len && copy_from_user(addr, a1, (uint64_t)len))
		return -EFAULT;
	return -ENOTSOCK;
}
SYSCALL_DEFINE(NR_connect, connect, sys_connect);

/* accept4(fd, addr, lenp, flags): the descriptor, the flags, a free descriptor, then the socket. */
SOCK_HANDLER(sys_accept4)
{
	long r;

	if (!fd_file(a0))
		return -EBADF;
	if ((int)a3 & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if ((r = fd_peek_free(0)) < 0)
		return r;
	return -ENOTSOCK;
}
SYSCALL_DEFINE(NR_accept4, accept4, sys_accept4);

SOCK_HANDLER(sys_accept)
{
	return sys_accept4(a0, a1, a2, 0, 0, 0);
}
SYSCALL_DEFINE(NR_accept, accept, sys_accept);

/* sendto/recvfrom: the buffer is checked (import_single_range()) before the descriptor. */
SOCK_HANDLER(buffer_then_socket)
{
	uint64_t fd = a0, buf = a1, len = a2;

	if (!user_range_ok(buf, MM_MIN(len, (uint64_t)MAX_RW_COUNT)))
		return -EFAULT;
	return no_socket(fd);
}

SYSCALL_DEFINE(NR_sendto, sendto, buffer_then_socket);
SYSCALL_DEFINE(NR_recvfrom, recvfrom, buffer_then_socket);

/* sendmsg/recvmsg(fd, msg, flags) and sendmmsg(fd, vec, vlen, flags): the flags, then the descriptor. */
static long msg_flags_then_socket(uint64_t fd, uint64_t flags)
{
	if ((uint32_t)flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	return no_socket(fd);
}

SOCK_HANDLER(sys_msg_call)
{
	return msg_flags_then_socket(a0, a2);
}
SYSCALL_DEFINE(NR_sendmsg, sendmsg, sys_msg_call);
SYSCALL_DEFINE(NR_recvmsg, recvmsg, sys_msg_call);

SOCK_HANDLER(sys_sendmmsg)
{
	return msg_flags_then_socket(a0, a3);
}
SYSCALL_DEFINE(NR_sendmmsg, sendmmsg, sys_sendmmsg);

/*
 * recvmmsg(fd, vec, vlen, flags, timeout): the flags, the timeout copied
 * in (EFAULT) and checked (EINVAL), then the descriptor.
 */
SOCK_HANDLER(sys_recvmmsg)
{
	int64_t ts[2];

	if ((uint32_t)a3 & MSG_CMSG_COMPAT)
		return -EINVAL;
	if (a4) {
		if (copy_from_user(ts, a4, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= NSEC_PER_SEC)
			return -EINVAL;
	}
	return no_socket(a0);
}
SYSCALL_DEFINE(NR_recvmmsg, recvmmsg, sys_recvmmsg);
