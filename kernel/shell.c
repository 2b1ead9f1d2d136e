// SPDX-License-Identifier: MIT
/* The interactive shell on the serial console. */
#include "arch.h"
#include "kernel/kernel.h"
#include "kernel/shell.h"

#define LINE_MAX	256
#define ARGS_MAX	16
#define PROMPT		KERNEL_NAME "> "

extern const struct shell_cmd *const _shell_cmds_start[], *const _shell_cmds_end[];

static const struct shell_cmd *find_command(const char *name)
{
	for (const struct shell_cmd *const *c = _shell_cmds_start; c < _shell_cmds_end; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

static int split_args(char *line, char **argv)
{
	int argc = 0;

	for (char *p = line; *p && argc < ARGS_MAX;) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

int shell_execute(char *line)
{
	char *argv[ARGS_MAX + 1];
	int argc = split_args(line, argv);

	if (!argc)
		return 0;
	argv[argc] = NULL;
	const struct shell_cmd *cmd = find_command(argv[0]);
	if (!cmd) {
		kprintf("%s: unknown command; try 'help'\n", argv[0]);
		return 127;
	}
	return cmd->run(argc, argv);
}

/* Reads one line with echo, backspace, Ctrl-U (erase line), Ctrl-C (cancel). */
static void read_line(char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		int c = console_getc();
		if (c == '\r' || c == '\n') {
			kprintf("\n");
			break;
		} else if (c == '\b' || c == 0x7f) {
			if (len) {
				len--;
				kprintf("\b \b");
			}
		} else if (c == 0x15) {
			for (; len; len--)
				kprintf("\b \b");
		} else if (c == 0x03) {
			kprintf("^C\n");
			len = 0;
			break;
		} else if (c >= ' ' && c < 0x7f && len + 1 < size) {
			buf[len++] = c;
			console_putc(c);
		}
	}
	buf[len] = 0;
}

void shell_run(void)
{
	char line[LINE_MAX];

	kprintf("Type 'help' for the list of commands.\n");
	for (;;) {
		kprintf(PROMPT);
		read_line(line, sizeof(line));
		shell_execute(line);
	}
}

static int cmd_help(int argc, char **argv)
{
	for (const struct shell_cmd *const *c = _shell_cmds_start; c < _shell_cmds_end; c++)
		kprintf("  %-10s %s\n", (*c)->name, (*c)->usage);
	return 0;
}
SHELL_COMMAND(help, "list the commands", cmd_help);

static int cmd_memmap(int argc, char **argv)
{
	memmap_print(&boot_info.map);
	pmm_print_zones();
	return 0;
}
SHELL_COMMAND(memmap, "the physical memory map, and RAM by zone with its usage", cmd_memmap);

static int cmd_reboot(int argc, char **argv)
{
	kprintf("Rebooting.\n");
	machine_reboot();
}
SHELL_COMMAND(reboot, "restart the machine", cmd_reboot);

static int cmd_halt(int argc, char **argv)
{
	kprintf("System halted.\n");
	machine_poweroff();
}
SHELL_COMMAND(halt, "stop the machine (powers off QEMU)", cmd_halt);

static int cmd_cmdline(int argc, char **argv)
{
	kprintf("%s\n", cmdline_get());
	return 0;
}
SHELL_COMMAND(cmdline, "print the kernel command line", cmd_cmdline);
