// SPDX-License-Identifier: MIT
/*
 * i386's socket calls (the i386 kernel only): socketcall(call, args), the
 * one number i386 programs used for every socket call before Linux 4.3
 * gave them their own (359..373, which compat32.c maps straight onto the
 * x86_64 handlers of kernel/net/socket.c), and recvmmsg with a 32-bit
 * timeout. socketcall reads its arguments as 32-bit words from the user's
 * array, as many as Linux's nargs[] says the call takes.
 */
#include "kernel/proc/compat32.h"
#include "kernel/proc/syscall.h"

/* socketcall's call numbers (linux/net.h) */
enum {
	SC_SOCKET = 1, SC_BIND, SC_CONNECT, SC_LISTEN, SC_ACCEPT, SC_GETSOCKNAME, SC_GETPEERNAME,
	SC_SOCKETPAIR, SC_SEND, SC_RECV, SC_SENDTO, SC_RECVFROM, SC_SHUTDOWN, SC_SETSOCKOPT,
	SC_GETSOCKOPT, SC_SENDMSG, SC_RECVMSG, SC_ACCEPT4, SC_RECVMMSG, SC_SENDMMSG,
};

/* Each call's x86_64 number and how many arguments it reads. */
static const struct {
	uint16_t nr;
	uint8_t nargs;
} socketcalls[] = {
	[SC_SOCKET] = { 41, 3 }, [SC_BIND] = { 49, 3 }, [SC_CONNECT] = { 42, 3 },
	[SC_LISTEN] = { 50, 2 }, [SC_ACCEPT] = { 288, 3 }, [SC_GETSOCKNAME] = { 51, 3 },
	[SC_GETPEERNAME] = { 52, 3 }, [SC_SOCKETPAIR] = { 53, 4 }, [SC_SEND] = { 44, 4 },
	[SC_RECV] = { 45, 4 }, [SC_SENDTO] = { 44, 6 }, [SC_RECVFROM] = { 45, 6 },
	[SC_SHUTDOWN] = { 48, 2 }, [SC_SETSOCKOPT] = { 54, 5 }, [SC_GETSOCKOPT] = { 55, 5 },
	[SC_SENDMSG] = { 46, 3 }, [SC_RECVMSG] = { 47, 3 }, [SC_ACCEPT4] = { 288, 4 },
	[SC_RECVMMSG] = { 0, 5 }, [SC_SENDMMSG] = { 307, 4 },
};

#define NSEC_PER_SEC	1000000000

long i386_recvmmsg(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		   uint64_t a5)
{
	int32_t ts[2];

	if (a4) {
		if (copy_from_user(ts, a4, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || (uint32_t)ts[1] >= NSEC_PER_SEC)
			return -EINVAL;
	}
	syscall_fn fn = syscall_lookup(299);	/* the rest of x86_64's recvmmsg: no timeout left to read */
	return fn ? fn(a0, a1, a2, a3, 0, 0) : -ENOSYS;
}

long i386_socketcall(uint64_t call, uint64_t uargs, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	uint32_t w[6] = { 0 };
	uint64_t a[6];
	syscall_fn fn;

	if ((int32_t)call < SC_SOCKET || (int32_t)call > SC_SENDMMSG)
		return -EINVAL;
	if (copy_from_user(w, uargs, socketcalls[call].nargs * sizeof(w[0])))
		return -EFAULT;
	for (unsigned i = 0; i < 6; i++)
		a[i] = w[i];
	switch (call) {
	case SC_ACCEPT:
		a[3] = 0;		/* accept is accept4 without flags */
		break;
	case SC_SEND:
	case SC_RECV:
		a[4] = a[5] = 0;	/* sendto/recvfrom without an address */
		break;
	case SC_RECVMMSG:
		return i386_recvmmsg(a[0], a[1], a[2], a[3], a[4], 0);
	}
	fn = syscall_lookup(socketcalls[call].nr);
	return fn ? fn(a[0], a[1], a[2], a[3], a[4], a[5]) : -ENOSYS;
}
