/*
 * afl_driver.c - the one main() shared by every harness in fuzz/.
 *
 * What it does: runs a libFuzzer-style LLVMFuzzerTestOneInput(data, size)
 * in one of two ways.
 *  - Built with afl-clang-fast (which defines __AFL_FUZZ_TESTCASE_LEN):
 *    AFL++ persistent mode with shared-memory test cases (__AFL_FUZZ_INIT,
 *    __AFL_LOOP, __AFL_FUZZ_TESTCASE_BUF): one process runs many inputs,
 *    no fork per input, no file I/O per input. Given file or directory
 *    arguments it replays those instead (to reproduce a crash with the
 *    very binary that found it).
 *  - Built with any other compiler: a plain replay main that feeds every
 *    file named on the command line (directories: every regular file in
 *    them, in name order) or, with no argument, standard input. Used for
 *    the regression tests and the leak check of a finished campaign.
 * Each input is copied into a heap block of exactly its size before the
 * call, so ASan catches a harness or parser reading one byte past the end
 * (the AFL shared-memory buffer is much larger than the input).
 * Security posture: test code; never part of the rpvault binary.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time set-up hook (libFuzzer's name). */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Largest input accepted by the replay path: AFL's own default maximum. */
#define DRIVER_MAX_INPUT (1u << 20)

static void run_one(const uint8_t *data, size_t size)
{
	/* malloc(0) may return NULL; keep a valid pointer for empty inputs. */
	uint8_t *copy = malloc(size != 0 ? size : 1);
	if (copy == NULL) {
		fputs("afl_driver: out of memory\n", stderr);
		exit(2);
	}
	if (size != 0)
		memcpy(copy, data, size);
	(void)LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

/* Reads all of f (at most DRIVER_MAX_INPUT bytes). */
static int read_stream(FILE *f, const char *name, uint8_t **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap >= DRIVER_MAX_INPUT) {
				fprintf(stderr, "afl_driver: %s: larger than %u bytes\n", name,
					DRIVER_MAX_INPUT);
				free(b);
				return -1;
			}
			uint8_t *nb = realloc(b, cap * 2);
			if (nb == NULL) {
				free(b);
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				fprintf(stderr, "afl_driver: %s: read error\n", name);
				free(b);
				return -1;
			}
			break;
		}
	}
	*out = b;
	*len = n;
	return 0;
}

static int replay_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "afl_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *b = NULL;
	size_t n = 0;
	int rc = read_stream(f, path, &b, &n);
	fclose(f);
	if (rc != 0)
		return -1;
	run_one(b, n);
	free(b);
	(*count)++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, unsigned long *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "afl_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "afl_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ".", "..", AFL's .state and friends */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(names, ncap * sizeof *nn);
			if (nn == NULL) {
				rc = -1;
				break;
			}
			names = nn;
			cap = ncap;
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		if (names[n] == NULL) {
			rc = -1;
			break;
		}
		snprintf(names[n], l, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(names[i], count) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static int replay(int argc, char **argv)
{
	unsigned long count = 0;
	int rc = 0;
	if (argc < 2) {
		uint8_t *b = NULL;
		size_t n = 0;
		if (read_stream(stdin, "<stdin>", &b, &n) != 0)
			return 2;
		run_one(b, n);
		free(b);
		count = 1;
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			rc = 2;
	fprintf(stderr, "afl_driver: replayed %lu input(s)\n", count);
	return rc;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_FUZZ_TESTCASE_LEN
	if (argc > 1)
		return replay(argc, argv);
	__AFL_INIT();
	const unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		run_one(buf, len);
	}
	return 0;
#else
	return replay(argc, argv);
#endif
}
