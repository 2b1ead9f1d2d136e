// SPDX-License-Identifier: MIT
/* The kernel command line: space-separated words and key=value pairs. */
#include "kernel/lib.h"
#include "kernel/boot/multiboot.h"

static char cmdline[BOOT_CMDLINE_MAX];
bool log_debug_enabled;

void cmdline_set(const char *s)
{
	strlcpy(cmdline, s, sizeof(cmdline));
	log_debug_enabled = cmdline_has("debug");
	log_quiet = cmdline_has("quiet");
}

const char *cmdline_get(void)
{
	return cmdline;
}

/* Finds the word that starts with @key and ends at @keylen; returns its start. */
static const char *find_word(const char *key, size_t keylen, bool with_value)
{
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *end = p;
		while (*end && *end != ' ')
			end++;
		if (!strncmp(p, key, keylen) &&
		    (with_value ? p[keylen] == '=' : p + keylen == end))
			return p;
		p = end;
	}
	return NULL;
}

bool cmdline_has(const char *word)
{
	return find_word(word, strlen(word), false) != NULL;
}

bool cmdline_value(const char *key, char *buf, size_t len)
{
	size_t keylen = strlen(key);
	const char *p = find_word(key, keylen, true);

	if (!p)
		return false;
	p += keylen + 1;
	size_t n = 0;
	while (p[n] && p[n] != ' ')
		n++;
	if (len) {
		size_t copy = n < len - 1 ? n : len - 1;
		memcpy(buf, p, copy);
		buf[copy] = 0;
	}
	return true;
}
