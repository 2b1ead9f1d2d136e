/* SPDX-License-Identifier: MIT */
/*
 * Shell commands. Any file can add one; they are gathered at link time:
 *
 *	static int cmd_hello(int argc, char **argv) { kprintf("hi\n"); return 0; }
 *	SHELL_COMMAND(hello, "say hello", cmd_hello);
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

#include "kernel/lib.h"

struct shell_cmd {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

#define SHELL_COMMAND(cname, usage_text, fn)				\
	static const struct shell_cmd shell_cmd_##cname = { #cname, usage_text, fn }; \
	static const struct shell_cmd *const shell_cmd_entry_##cname	\
	__attribute__((section(".shell_cmds"), used)) = &shell_cmd_##cname

/* Runs one command line; returns the command's status (127: unknown). */
int shell_execute(char *line);

#endif
