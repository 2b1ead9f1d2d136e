// SPDX-License-Identifier: MIT
/* guest_true: the small static binary guestbench execs; it does nothing. */
int main(void)
{
	return 0;
}
