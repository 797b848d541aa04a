/* faultshim.c - an LD_PRELOAD shim that makes one call fail, for the
 * fault-injection tests (tests/t-faults.sh).
 *
 *   ROUNDS_FAULT=KIND:N   make the N-th call of KIND's family fail:
 *     busy, full, ioerr   the N-th sqlite3_step() returns SQLITE_BUSY,
 *                         SQLITE_FULL or SQLITE_IOERR without running
 *     enospc, eio         the N-th write, pwrite or fsync/fdatasync on a
 *                         regular file fails with ENOSPC or EIO
 *   ROUNDS_FAULT_LOG=FILE one line per process at exit ("count STEPS IO")
 *                         and one line when the fault fires ("fired KIND N").
 *   ROUNDS_FAULT_TRACE=1  also one line per step with its SQL, to find
 *                         the statement behind a failing N.
 *
 * Without ROUNDS_FAULT the shim only counts, so that a test can learn how
 * many calls a run makes and sweep N over them.  Counting is per process:
 * the lean front (build/rounds) execs rounds-full with LD_PRELOAD inherited,
 * and the front itself touches the database only for `deliver`.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sqlite3.h>

enum { F_NONE, F_STEP, F_IO };

static int family;        /* which counter the fault is on */
static long fault_n;      /* fire at this call (1-based) */
static int step_rc;       /* the SQLite result to return */
static int io_errno;      /* the errno to fail with */
static const char *kind = "";
static long steps, ios;   /* calls seen */
static int fired;

static void
shim_log(const char *fmt, long a, long b)
{
	const char *path = getenv("ROUNDS_FAULT_LOG");
	char line[160];
	int fd, n;

	if (path == NULL)
		return;
	n = snprintf(line, sizeof line, fmt, a, b);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* The real write: this one must neither count nor fail. */
	(void)!syscall(SYS_write, fd, line, (size_t)n);
	close(fd);
}

__attribute__((constructor)) static void
shim_init(void)
{
	const char *spec = getenv("ROUNDS_FAULT");
	const char *colon;
	static char k[16];

	if (spec == NULL || (colon = strchr(spec, ':')) == NULL || colon - spec >= (long)sizeof k)
		return;
	memcpy(k, spec, (size_t)(colon - spec));
	k[colon - spec] = '\0';
	kind = k;
	fault_n = atol(colon + 1);
	if (strcmp(k, "busy") == 0)
		family = F_STEP, step_rc = SQLITE_BUSY;
	else if (strcmp(k, "full") == 0)
		family = F_STEP, step_rc = SQLITE_FULL;
	else if (strcmp(k, "ioerr") == 0)
		family = F_STEP, step_rc = SQLITE_IOERR;
	else if (strcmp(k, "enospc") == 0)
		family = F_IO, io_errno = ENOSPC;
	else if (strcmp(k, "eio") == 0)
		family = F_IO, io_errno = EIO;
}

__attribute__((destructor)) static void
shim_fini(void)
{
	shim_log("count %ld %ld\n", steps, ios);
}

static int
fire(int fam, long count)
{
	if (family != fam || fired || count != fault_n)
		return 0;
	fired = 1;
	shim_log(fam == F_STEP ? "fired step %ld %ld\n" : "fired io %ld %ld\n", count, 0);
	return 1;
}

int
sqlite3_step(sqlite3_stmt *st)
{
	static int (*real)(sqlite3_stmt *);

	if (real == NULL)
		real = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
	/* SQLite's own statements (reading the schema) are stepped through
	 * here too, and it does not expect them to fail: skipping one leaves
	 * an index out of the schema it knows.  Only count the program's. */
	if (sqlite3_sql(st) == NULL)
		return real(st);
	++steps;
	if (getenv("ROUNDS_FAULT_TRACE")) {
		const char *path = getenv("ROUNDS_FAULT_LOG");
		FILE *f = path ? fopen(path, "ae") : NULL;

		if (f) {
			fprintf(f, "step %ld %.200s\n", steps, sqlite3_sql(st));
			fclose(f);
		}
	}
	if (fire(F_STEP, steps))
		return step_rc;
	return real(st);
}

/* Only regular files count: the database, its WAL, files the program
 * writes; not pipes, sockets or terminals. */
static int
io_fault(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	if (fire(F_IO, ++ios)) {
		errno = io_errno;
		return 1;
	}
	return 0;
}

#define REAL(name)                                                                                 \
	static __typeof__(&name) real_##name;                                                      \
	if (real_##name == NULL)                                                                   \
	real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(write);
	return io_fault(fd) ? -1 : real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);
	return io_fault(fd) ? -1 : real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	REAL(pwrite64);
	return io_fault(fd) ? -1 : real_pwrite64(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(writev);
	return io_fault(fd) ? -1 : real_writev(fd, iov, cnt);
}

int
fsync(int fd)
{
	REAL(fsync);
	return io_fault(fd) ? -1 : real_fsync(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	return io_fault(fd) ? -1 : real_fdatasync(fd);
}
