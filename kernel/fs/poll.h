/* SPDX-License-Identifier: MIT */
/*
 * poll() and ppoll() (poll.c): what a descriptor is ready for, as Linux's
 * POLL* bits, and the one wait channel every poller sleeps on.
 */
#ifndef KERNEL_FS_POLL_H
#define KERNEL_FS_POLL_H

#define POLLIN		0x001
#define POLLPRI		0x002
#define POLLOUT		0x004
#define POLLERR		0x008
#define POLLHUP		0x010
#define POLLNVAL	0x020
#define POLLRDNORM	0x040
#define POLLWRNORM	0x100

/*
 * Something a poller may wait for changed (a process ended, console input
 * arrived, a pipe changed): every sleeping poll() looks at its
 * descriptors again. Any
 * context, interrupts on or off; takes poll_lock, a leaf.
 */
void poll_wake(void);

#endif
