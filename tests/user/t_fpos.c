/*
 * t_fpos: threads sharing one open regular file (one file description)
 * use its position atomically, as on Linux (f_pos_lock): concurrent
 * write()s never write at the same position (every record lands whole,
 * once, and the size is their sum), concurrent read()s never return the
 * same bytes twice, lseek(SEEK_CUR) steps and read()s mixed never lose a
 * step, and readv/writev move the position once per call. Everything
 * under /tmp (made if missing), removed at the end.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define PATH		"/tmp/t_fpos"
#define NTHREADS	4
#define PER_THREAD	1500
#define REC		64
#define NREC		(NTHREADS * PER_THREAD)

static int fd;
static pthread_barrier_t start;
static unsigned char seen[NREC];

/* Record @seq of thread @t: its ids, then a filler derived from them. */
static void make_record(unsigned char *r, int t, int seq)
{
	r[0] = (unsigned char)t;
	r[1] = (unsigned char)(seq >> 8);
	r[2] = (unsigned char)seq;
	for (int i = 3; i < REC; i++)
		r[i] = (unsigned char)(t * 31 + seq * 7 + i);
}

/* The index of a whole record, or -1 if @r is torn or foreign. */
static int record_index(const unsigned char *r)
{
	int t = r[0], seq = r[1] << 8 | r[2];
	unsigned char want[REC];

	if (t >= NTHREADS || seq >= PER_THREAD)
		return -1;
	make_record(want, t, seq);
	return memcmp(r, want, REC) ? -1 : t * PER_THREAD + seq;
}

static void *writer(void *p)
{
	int t = (int)(long)p, bad = 0;
	unsigned char r[REC];

	pthread_barrier_wait(&start);
	for (int seq = 0; seq < PER_THREAD; seq++) {
		make_record(r, t, seq);
		if (seq % 3 == 2) {		/* writev: two pieces, one position step */
			struct iovec iov[2] = { { r, 20 }, { r + 20, REC - 20 } };
			bad += writev(fd, iov, 2) != REC;
		} else {
			bad += write(fd, r, REC) != REC;
		}
	}
	return (void *)(long)bad;
}

static volatile int torn, dup_read;

static void *reader(void *p)
{
	unsigned char r[REC];
	long n = 0;

	(void)p;
	pthread_barrier_wait(&start);
	for (;;) {
		ssize_t got = read(fd, r, REC);
		if (got <= 0)
			break;
		int i = got == REC ? record_index(r) : -1;
		if (i < 0)
			__atomic_fetch_add(&torn, 1, __ATOMIC_RELAXED);
		else if (__atomic_exchange_n(&seen[i], 1, __ATOMIC_RELAXED))
			__atomic_fetch_add(&dup_read, 1, __ATOMIC_RELAXED);
		n++;
	}
	return (void *)n;
}

/* Steps of one record: lseek(+REC, SEEK_CUR) on even threads, read() on odd ones. */
static void *stepper(void *p)
{
	int t = (int)(long)p, bad = 0;
	unsigned char r[REC];

	pthread_barrier_wait(&start);
	for (int i = 0; i < PER_THREAD / 2; i++) {
		if (t & 1)
			bad += read(fd, r, REC) != REC;
		else
			bad += lseek(fd, REC, SEEK_CUR) < 0;
	}
	return (void *)(long)bad;
}

static long run_threads(void *(*fn)(void *))
{
	pthread_t th[NTHREADS];
	long sum = 0;

	pthread_barrier_init(&start, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, fn, (void *)i))
			return -1;
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		sum += (long)ret;
	}
	pthread_barrier_destroy(&start);
	return sum;
}

int main(void)
{
	struct stat st;

	mkdir("/tmp", 0777);	/* Linux's test boot has none */
	fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!ok(fd >= 0, "open a file under /tmp"))
		return done_testing();

	ok_eq(run_threads(writer), 0, "%d threads write %d records each, every call whole",
	      NTHREADS, PER_THREAD);
	ok_eq(fstat(fd, &st), 0, "fstat");
	ok_eq(st.st_size, (long)NREC * REC, "the size is the sum of the writes (none overlapped)");
	ok_eq(lseek(fd, 0, SEEK_CUR), (long)NREC * REC, "the shared position is at the end");

	lseek(fd, 0, SEEK_SET);
	long nread = run_threads(reader);
	ok_eq(nread, NREC, "%d threads reading the shared position get every record once",
	      NTHREADS);
	ok_eq(torn, 0, "no read returned a torn or overlapping record");
	ok_eq(dup_read, 0, "no record was read twice");
	int missing = 0;
	for (int i = 0; i < NREC; i++)
		missing += !seen[i];
	ok_eq(missing, 0, "every record written is in the file");

	lseek(fd, 0, SEEK_SET);
	ok_eq(run_threads(stepper), 0, "lseek(SEEK_CUR) and read steps from %d threads succeed",
	      NTHREADS);
	ok_eq(lseek(fd, 0, SEEK_CUR), (long)NTHREADS * (PER_THREAD / 2) * REC,
	      "no step of the shared position was lost");

	close(fd);
	ok_eq(unlink(PATH), 0, "unlink");
	return done_testing();
}
