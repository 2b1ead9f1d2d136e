/*
 * t_socket: the socket calls as a kernel answers them for address families
 * it does not have. socket() and socketpair() check the type word (flags,
 * then the type, after the family's range) and find no family
 * (EAFNOSUPPORT; socketpair has already stored the two descriptors it would
 * use); calls on a descriptor give EBADF for a closed one and ENOTSOCK for a
 * file, after the checks Linux makes first (negative lengths, user buffers,
 * accept4's flags, recvmmsg's timeout, MSG_CMSG_COMPAT where the kernel has
 * 32-bit compatibility). Raw system calls, so libc changes nothing; on
 * i386 the direct calls (359..373) and the socketcall() multiplexer (102),
 * which reads only the arguments each call takes.
 */
#define _GNU_SOURCE
#include "util.h"

#include <sys/socket.h>

#define BAD_FD 999
#define FAMILY_NONE 46		/* Linux 6.1's AF_MAX: never a family */
#define MSG_CMSG_COMPAT_BIT 0x80000000u

static int file;		/* a regular file: not a socket */
static char buf[64];

/* The family and type checks of socket(). */
static void creating(void)
{
	ok_sys(syscall(SYS_socket, -1, SOCK_STREAM, 0), EAFNOSUPPORT, "socket(-1): EAFNOSUPPORT");
	ok_sys(syscall(SYS_socket, FAMILY_NONE, SOCK_STREAM, 0), EAFNOSUPPORT,
	       "socket(AF_MAX): EAFNOSUPPORT");
	ok_sys(syscall(SYS_socket, 1000, SOCK_DGRAM, 0), EAFNOSUPPORT, "socket(1000): EAFNOSUPPORT");
	ok_sys(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL,
	       "an unknown flag in the type word: EINVAL");
	ok_sys(syscall(SYS_socket, -1, SOCK_STREAM | 0x100, 0), EINVAL,
	       "the flags are checked before the family");
	ok_sys(syscall(SYS_socket, AF_UNIX, 11, 0), EINVAL, "type 11 (SOCK_MAX): EINVAL");
	ok_sys(syscall(SYS_socket, AF_INET, 15, 0), EINVAL, "type 15: EINVAL");
	ok_sys(syscall(SYS_socket, -1, 15, 0), EAFNOSUPPORT, "the family's range comes before the type");
	ok_sys(syscall(SYS_socket, FAMILY_NONE, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0),
	       EAFNOSUPPORT, "SOCK_CLOEXEC|SOCK_NONBLOCK are flags it knows");
}

static void pairs(void)
{
	int sv[2] = { -7, -7 }, e1 = dup(0), e2 = dup(0);

	close(e1);
	close(e2);
	ok_sys(syscall(SYS_socketpair, FAMILY_NONE, SOCK_STREAM, 0, sv), EAFNOSUPPORT,
	       "socketpair(AF_MAX): EAFNOSUPPORT");
	ok(sv[0] == e1 && sv[1] == e2, "the two descriptors it picked were stored first");
	ok_sys(syscall(SYS_socketpair, FAMILY_NONE, SOCK_STREAM, 0, (void *)1), EFAULT,
	       "socketpair to a bad address: EFAULT");
	ok_sys(syscall(SYS_socketpair, FAMILY_NONE, SOCK_STREAM | 0x100, 0, (void *)1), EINVAL,
	       "its type flags are checked before the array");
}

/* Every call on a descriptor: EBADF on a closed one, ENOTSOCK on a file. */
static void on_descriptors(void)
{
	static const struct {
		long nr;
		const char *name;
	} calls[] = {
		{ SYS_bind, "bind" }, { SYS_listen, "listen" }, { SYS_connect, "connect" },
		{ SYS_accept4, "accept4" }, { SYS_getsockname, "getsockname" },
		{ SYS_getpeername, "getpeername" }, { SYS_shutdown, "shutdown" },
		{ SYS_getsockopt, "getsockopt" }, { SYS_setsockopt, "setsockopt" },
		{ SYS_sendto, "sendto" }, { SYS_recvfrom, "recvfrom" }, { SYS_sendmsg, "sendmsg" },
		{ SYS_recvmsg, "recvmsg" }, { SYS_sendmmsg, "sendmmsg" },
#ifdef SYS_accept
		{ SYS_accept, "accept" },
#endif
#ifdef SYS_recvmmsg
		{ SYS_recvmmsg, "recvmmsg" },
#endif
	};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		/* Arguments every call accepts up to the socket lookup. */
		long a1 = (long)&ss, a2 = (long)sizeof(ss), a3 = 0, a4 = 0, a5 = 0;
		if (calls[i].nr == SYS_sendto || calls[i].nr == SYS_recvfrom)
			a1 = (long)buf, a2 = sizeof(buf);
		if (calls[i].nr == SYS_getsockname || calls[i].nr == SYS_getpeername)
			a2 = (long)&len;
		if (calls[i].nr == SYS_sendmsg || calls[i].nr == SYS_recvmsg ||
		    calls[i].nr == SYS_sendmmsg)
			a2 = 0;
		if (calls[i].nr == SYS_getsockopt || calls[i].nr == SYS_setsockopt)
			a1 = SOL_SOCKET, a2 = SO_TYPE, a3 = (long)buf,
			a4 = calls[i].nr == SYS_getsockopt ? (long)&len : 4;
		ok_sys(syscall(calls[i].nr, BAD_FD, a1, a2, a3, a4, a5), EBADF, "%s on a closed descriptor: EBADF",
		       calls[i].name);
		ok_sys(syscall(calls[i].nr, file, a1, a2, a3, a4, a5), ENOTSOCK, "%s on a file: ENOTSOCK",
		       calls[i].name);
	}
}

/* What each call checks before it looks at the descriptor, and after. */
static void orders(void)
{
	struct timespec bad_ts = { -1, 0 };

	ok_sys(syscall(SYS_setsockopt, BAD_FD, SOL_SOCKET, SO_TYPE, buf, -1), EINVAL,
	       "setsockopt: a negative optlen before the descriptor");
	ok_sys(syscall(SYS_connect, BAD_FD, (void *)1, -1), EBADF, "connect: the descriptor first");
	ok_sys(syscall(SYS_connect, file, buf, -1), EINVAL, "then a negative address length: EINVAL");
	ok_sys(syscall(SYS_connect, file, buf, 129), EINVAL, "or one above sockaddr_storage: EINVAL");
	ok_sys(syscall(SYS_connect, file, (void *)1, 16), EFAULT, "then the address is read: EFAULT");
	ok_sys(syscall(SYS_connect, file, (void *)1, 0), ENOTSOCK, "an empty address is not read");
	ok_sys(syscall(SYS_accept4, BAD_FD, NULL, NULL, 1), EBADF, "accept4: the descriptor first");
	ok_sys(syscall(SYS_accept4, file, NULL, NULL, 1), EINVAL, "then its flags: EINVAL");
	ok_sys(syscall(SYS_sendto, BAD_FD, (void *)KERNEL_HALF, 10, 0, NULL, 0), EFAULT,
	       "sendto: the buffer before the descriptor");
	ok_sys(syscall(SYS_recvfrom, BAD_FD, (void *)KERNEL_HALF, 10, 0, NULL, NULL), EFAULT,
	       "recvfrom: the buffer before the descriptor");
#if ABI64
	ok_sys(syscall(SYS_sendmsg, file, NULL, MSG_CMSG_COMPAT_BIT), EINVAL,
	       "sendmsg with MSG_CMSG_COMPAT: EINVAL (a kernel with 32-bit compatibility)");
	ok_sys(syscall(SYS_recvmmsg, BAD_FD, NULL, 1, MSG_CMSG_COMPAT_BIT, NULL), EINVAL,
	       "recvmmsg with MSG_CMSG_COMPAT: EINVAL");
	ok_sys(syscall(SYS_recvmmsg, BAD_FD, NULL, 1, 0, (void *)1), EFAULT,
	       "recvmmsg: the timeout is read before the descriptor");
	ok_sys(syscall(SYS_recvmmsg, BAD_FD, NULL, 1, 0, &bad_ts), EINVAL,
	       "and checked: a negative one is EINVAL");
#else
	ok_sys(syscall(SYS_sendmsg, file, NULL, MSG_CMSG_COMPAT_BIT), ENOTSOCK,
	       "sendmsg with bit 31 of the flags: no meaning on i386");
	int32_t ts32[2] = { 0, 1000000000 };
	ok_sys(syscall(SYS_recvmmsg, BAD_FD, NULL, 1, 0, (void *)1), EFAULT,
	       "recvmmsg (32-bit timeout): the timeout is read before the descriptor");
	ok_sys(syscall(SYS_recvmmsg, BAD_FD, NULL, 1, 0, ts32), EINVAL,
	       "and checked: a billion nanoseconds is EINVAL");
	ok_sys(syscall(SYS_recvmmsg_time64, BAD_FD, NULL, 1, 0, &bad_ts), EINVAL,
	       "recvmmsg_time64: a negative timeout is EINVAL");
#endif
	(void)bad_ts;
}

#if !ABI64
/* socketcall(call, args): i386's one number for all of them. */
enum { SC_SOCKET = 1, SC_BIND, SC_CONNECT, SC_LISTEN, SC_ACCEPT, SC_GETSOCKNAME,
       SC_GETPEERNAME, SC_SOCKETPAIR, SC_SEND, SC_RECV, SC_SENDTO, SC_RECVFROM, SC_SHUTDOWN,
       SC_SETSOCKOPT, SC_GETSOCKOPT, SC_SENDMSG, SC_RECVMSG, SC_ACCEPT4, SC_RECVMMSG,
       SC_SENDMMSG };

static long sc(int call, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long args[6] = { a0, a1, a2, a3, a4, a5 };

	return syscall(SYS_socketcall, call, args);
}

static void socketcalls(void)
{
	int sv[2] = { -7, -7 };
	int32_t ts32[2] = { -1, 0 };
	long *edge;
	char *page;

	ok_sys(sc(SC_SOCKET, -1, SOCK_STREAM, 0, 0, 0, 0), EAFNOSUPPORT, "socketcall SOCKET: EAFNOSUPPORT");
	ok_sys(sc(SC_SOCKET, AF_UNIX, 11, 0, 0, 0, 0), EINVAL, "socketcall SOCKET, type 11: EINVAL");
	ok_sys(sc(SC_SOCKETPAIR, FAMILY_NONE, SOCK_STREAM, 0, (long)sv, 0, 0), EAFNOSUPPORT,
	       "socketcall SOCKETPAIR: EAFNOSUPPORT");
	ok(sv[0] >= 0 && sv[1] == sv[0] + 1, "with the descriptors stored");
	for (int call = SC_BIND; call <= SC_SENDMMSG; call++) {
		long a1 = (long)buf, a2 = sizeof(buf);
		if (call == SC_SOCKETPAIR)
			continue;
		if (call == SC_GETSOCKNAME || call == SC_GETPEERNAME || call == SC_ACCEPT ||
		    call == SC_ACCEPT4)
			a1 = 0, a2 = 0;
		if (call == SC_SENDMSG || call == SC_RECVMSG || call == SC_SENDMMSG ||
		    call == SC_RECVMMSG)
			a2 = 0;
		if (call == SC_SETSOCKOPT || call == SC_GETSOCKOPT)
			a1 = SOL_SOCKET, a2 = SO_TYPE;
		long a3 = call == SC_SETSOCKOPT || call == SC_GETSOCKOPT ? (long)buf : 0;
		long a4 = call == SC_SETSOCKOPT ? 4 : call == SC_GETSOCKOPT ? (long)&a2 : 0;
		ok_sys(sc(call, BAD_FD, a1, a2, a3, a4, 0), EBADF, "socketcall %d on a closed descriptor: EBADF",
		       call);
		ok_sys(sc(call, file, a1, a2, a3, a4, 0), ENOTSOCK, "socketcall %d on a file: ENOTSOCK", call);
	}
	ok_sys(syscall(SYS_socketcall, 0, buf), EINVAL, "socketcall 0: EINVAL");
	ok_sys(syscall(SYS_socketcall, 21, buf), EINVAL, "socketcall 21: EINVAL");
	ok_sys(syscall(SYS_socketcall, -1, buf), EINVAL, "socketcall -1: EINVAL");
	ok_sys(syscall(SYS_socketcall, SC_SOCKET, (void *)1), EFAULT, "socketcall SOCKET, bad args: EFAULT");
	ok_sys(sc(SC_RECV, BAD_FD, (long)KERNEL_HALF, 10, 0, 0, 0), EFAULT,
	       "socketcall RECV: the buffer before the descriptor");
	ok_sys(sc(SC_RECVMMSG, BAD_FD, 0, 1, 0, (long)ts32, 0), EINVAL,
	       "socketcall RECVMMSG: a 32-bit timeout, checked");
	ok_sys(sc(SC_ACCEPT4, file, 0, 0, 1, 0, 0), EINVAL, "socketcall ACCEPT4: its flags");
	/* Arguments at the end of a page with nothing after it: each call reads only its own. */
	page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + PAGE, PAGE);
	edge = (long *)(page + PAGE) - 2;
	edge[0] = file;
	edge[1] = 5;
	ok_sys(syscall(SYS_socketcall, SC_LISTEN, edge), ENOTSOCK,
	       "socketcall LISTEN reads two arguments");
	ok_sys(syscall(SYS_socketcall, SC_BIND, edge), EFAULT, "socketcall BIND reads three: EFAULT");
	munmap(page, PAGE);
}
#endif

int main(int argc, char **argv)
{
	(void)argc;
	file = open(argv[0], O_RDONLY);
	if (!ok(file >= 0, "a file to call them on (this program)"))
		return done_testing();
	creating();
	pairs();
	on_descriptors();
	orders();
#if !ABI64
	socketcalls();
#endif
	close(file);
	return done_testing();
}
