/*
 * tap.h: a tiny TAP producer for the user-space test programs.
 *
 * Each program calls ok() once per check and ends with
 * `return done_testing();`. The output of a program must be the same on
 * every run and on every kernel that runs it (Linux, ours): test names never
 * contain addresses, pids or timings; values that vary only appear in the
 * `# ...` diagnostics of a failed check.
 *
 *   ok(cond, fmt, ...)        "ok N - name" or "not ok N - name" + diagnostics
 *   ok_eq(got, want, fmt,...) ok(got == want) with both values in the diagnostics
 *   ok_sys(ret, err, fmt,...) ok(ret == -1 && errno == err) for a failing call
 *   diag(fmt, ...)            a "# ..." line
 *   tap_skip(name, why)       "ok N - name # SKIP why": a check that cannot apply here
 *   run_in_child(fn, arg)     fork, run fn in the child, return the wait status
 *   expect_killed_by(st, sig) WIFSIGNALED(st) && WTERMSIG(st) == sig
 *   done_testing()            print the plan "1..N", return 0 iff all passed
 *
 * Every line is flushed as soon as it is printed, and stdout is flushed
 * before fork(), so the order of the output does not depend on buffering
 * even when a child is killed.
 */
#ifndef TESTS_USER_TAP_H
#define TESTS_USER_TAP_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int tap_count;
static int tap_failed;

#if defined(__GNUC__)
#define TAP_UNUSED __attribute__((unused))
#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TAP_UNUSED
#define TAP_PRINTF(a, b)
#endif

static TAP_UNUSED TAP_PRINTF(1, 2) void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static TAP_UNUSED const char *tap_errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ETXTBSY: return "ETXTBSY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "?";
	}
}

/* A check that cannot apply to this ABI or machine: "ok N - name # SKIP why". */
static TAP_UNUSED void tap_skip(const char *name, const char *why)
{
	tap_count++;
	printf("ok %d - %s # SKIP %s\n", tap_count, name, why);
	fflush(stdout);
}

/* Returns pass, so a test can stop early after a failed setup step. */
static TAP_UNUSED TAP_PRINTF(4, 5) int tap_ok(int pass, const char *expr, int saved_errno,
					       const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	if (!pass) {
		tap_failed++;
		printf("#   failed: %s\n", expr);
		printf("#   errno: %d (%s)\n", saved_errno, tap_errno_name(saved_errno));
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) \
	({ \
		int tap_c_ = !!(cond); \
		int tap_e_ = errno; \
		tap_ok(tap_c_, #cond, tap_e_, __VA_ARGS__); \
	})

#define ok_eq(got, want, ...) \
	({ \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		int tap_e_ = errno; \
		int tap_p_ = tap_ok(tap_g_ == tap_w_, #got " == " #want, tap_e_, __VA_ARGS__); \
		if (!tap_p_) \
			diag("  got %lld (%#llx), want %lld (%#llx)", tap_g_, \
			     (unsigned long long)tap_g_, tap_w_, (unsigned long long)tap_w_); \
		tap_p_; \
	})

/* A call that must fail with -1 (or MAP_FAILED) and errno == err. */
#define ok_sys(ret, err, ...) \
	({ \
		errno = 0; \
		long long tap_r_ = (long long)(intptr_t)(ret); \
		int tap_e_ = errno; \
		int tap_p_ = tap_ok(tap_r_ == -1 && tap_e_ == (err), #ret " fails with " #err, \
				    tap_e_, __VA_ARGS__); \
		if (!tap_p_) \
			diag("  returned %lld (%#llx), errno %d (%s), want -1 and %s", tap_r_, \
			     (unsigned long long)tap_r_, tap_e_, tap_errno_name(tap_e_), #err); \
		tap_p_; \
	})

/* A human description of a wait status, for diagnostics. */
static TAP_UNUSED void tap_diag_status(int status)
{
	if (status == -1)
		diag("  wait status: fork or wait failed, errno %d (%s)", errno,
		     tap_errno_name(errno));
	else if (WIFEXITED(status))
		diag("  wait status %#x: exited with %d", status, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		diag("  wait status %#x: killed by signal %d", status, WTERMSIG(status));
	else
		diag("  wait status %#x", status);
}

static TAP_UNUSED int expect_killed_by(int status, int sig)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static TAP_UNUSED int expect_exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

/* ok() on a wait status, with the status decoded when it fails. */
#define ok_killed_by(status, sig, ...) \
	({ \
		int tap_s_ = (status); \
		int tap_p_ = ok(expect_killed_by(tap_s_, sig), __VA_ARGS__); \
		if (!tap_p_) \
			tap_diag_status(tap_s_); \
		tap_p_; \
	})

#define ok_exited_with(status, code, ...) \
	({ \
		int tap_s_ = (status); \
		int tap_p_ = ok(expect_exited_with(tap_s_, code), __VA_ARGS__); \
		if (!tap_p_) \
			tap_diag_status(tap_s_); \
		tap_p_; \
	})

/* fork() with stdout flushed first, so the child inherits an empty buffer. */
static TAP_UNUSED pid_t tap_fork(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

/* waitpid that retries on EINTR; returns the status, or -1. */
static TAP_UNUSED int tap_wait(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r == -1 && errno == EINTR);
	return r == pid ? status : -1;
}

/*
 * Runs fn(arg) in a child process (which _exit(0)s if fn returns) and
 * returns its wait status, or -1 if fork or wait failed.
 */
static TAP_UNUSED int run_in_child(void (*fn)(void *), void *arg)
{
	pid_t pid = tap_fork();

	if (pid == -1)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return tap_wait(pid);
}

static TAP_UNUSED int done_testing(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# failed %d of %d\n", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
