/*
 * A stand-in for libFuzzer, so that the fuzz harnesses build and run with any
 * compiler: replay every file given (or found in a given directory), then
 * feed the harness a fixed number of deterministic mutations of them.
 *
 *   fuzz_X [-runs=N] [-seed=N] [-max_len=N] CORPUS_DIR_OR_FILE...
 *
 * Each input is passed in a buffer of exactly its size, so that
 * AddressSanitizer sees reads past the end. A failing harness aborts; the
 * input that did it is written to ./standalone-crash-<run> on the way out
 * (runs are numbered from 0: the corpus files first, then the mutations).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

struct input {
	uint8_t *data;
	size_t size;
	char *name;
};

struct corpus {
	struct input *v;
	size_t n, cap;
};

static uint64_t rng_state;

/* xorshift64*: small, deterministic, good enough to pick mutations */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static int add_file(struct corpus *c, const char *path, size_t max_len)
{
	FILE *f = fopen(path, "rb");
	struct input in = {0};
	long len;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -EIO;
	}
	in.size = (size_t)len > max_len ? max_len : (size_t)len;
	in.data = malloc(in.size ? in.size : 1);
	in.name = strdup(path);
	if (!in.data || !in.name || fread(in.data, 1, in.size, f) != in.size) {
		free(in.data);
		free(in.name);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct input *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			free(in.data);
			free(in.name);
			return -ENOMEM;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = in;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->name, ((const struct input *)b)->name);
}

static int add_path(struct corpus *c, const char *path, size_t max_len)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	size_t first = c->n;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return add_file(c, path, max_len);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char full[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			int r = add_file(c, full, max_len);

			if (r < 0) {
				closedir(d);
				return r;
			}
		}
	}
	closedir(d);
	/* readdir order depends on the file system: sort, for the same runs everywhere */
	if (c->n > first)
		qsort(c->v + first, c->n - first, sizeof(c->v[0]), by_name);
	return 0;
}

static const uint8_t interesting8[] = {0x00, 0x01, 0x02, 0x03, 0x06, 0x0c, 0x10, 0x20,
				       0x7f, 0x80, 0x81, 0xfe, 0xff, '\n', '=',	 '[',
				       ']',  '"',  ',',	 ':',  '@',  '#',  ';',	 ' '};
static const uint16_t interesting16[] = {0x0000, 0x0001, 0x0002, 0x0006, 0x000c, 0x0012,
					 0x0013, 0x0100, 0x7fff, 0x8000, 0xfffe, 0xffff};

/* One random edit of buf (size *n, capacity cap). */
static void corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].data);
		free(c->v[i].name);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static void mutate_once(uint8_t *buf, size_t *n, size_t cap, const struct corpus *c)
{
	size_t pos = rnd_below(*n + 1), len;

	switch (rnd_below(10)) {
	case 0: /* flip a bit */
		if (*n)
			buf[rnd_below(*n)] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case 1: /* a random byte */
		if (*n)
			buf[rnd_below(*n)] = (uint8_t)rnd();
		break;
	case 2: /* an interesting byte */
		if (*n)
			buf[rnd_below(*n)] = interesting8[rnd_below(sizeof(interesting8))];
		break;
	case 3: /* an interesting big-endian u16, as a len or a count */
		if (*n >= 2) {
			uint16_t v = interesting16[rnd_below(sizeof(interesting16) / 2)];

			if (rnd() & 1)
				v = (uint16_t)(v + rnd_below(5) - 2);
			pos = rnd_below(*n - 1);
			buf[pos] = (uint8_t)(v >> 8);
			buf[pos + 1] = (uint8_t)v;
		}
		break;
	case 4: /* insert random bytes */
		len = 1 + rnd_below(8);
		if (*n + len <= cap) {
			memmove(buf + pos + len, buf + pos, *n - pos);
			for (size_t i = 0; i < len; i++)
				buf[pos + i] = (uint8_t)rnd();
			*n += len;
		}
		break;
	case 5: /* delete a range */
		if (*n) {
			pos = rnd_below(*n);
			len = 1 + rnd_below(*n - pos < 16 ? *n - pos : 16);
			memmove(buf + pos, buf + pos + len, *n - pos - len);
			*n -= len;
		}
		break;
	case 6: /* duplicate a range of itself somewhere */
		if (*n) {
			size_t from = rnd_below(*n);

			len = 1 + rnd_below(*n - from < 64 ? *n - from : 64);
			if (*n + len <= cap) {
				uint8_t tmp[64];

				memcpy(tmp, buf + from, len);
				memmove(buf + pos + len, buf + pos, *n - pos);
				memcpy(buf + pos, tmp, len);
				*n += len;
			}
		}
		break;
	case 7: /* truncate */
		*n = rnd_below(*n + 1);
		break;
	case 8: /* insert a piece of another input (crossover) */
	case 9: {
		const struct input *o = &c->v[rnd_below(c->n)];
		size_t from;

		if (!o->size)
			break;
		from = rnd_below(o->size);
		len = 1 + rnd_below(o->size - from);
		if (*n + len > cap)
			len = cap - *n;
		memmove(buf + pos + len, buf + pos, *n - pos);
		memcpy(buf + pos, o->data + from, len);
		*n += len;
		break;
	}
	}
}

/* What is running now, for the crash handler. */
static const uint8_t *current_data;
static size_t current_size;
static size_t current_run;

static void put_str(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

/* On abort (a failed check, or a sanitizer report): save the input, then die as before. */
static void on_crash(int sig)
{
	char name[64], num[24], *p = num + sizeof(num) - 1;
	size_t run = current_run;
	int fd;

	*p = '\0';
	do {
		*--p = (char)('0' + run % 10);
		run /= 10;
	} while (run && p > num);
	strcpy(name, "standalone-crash-");
	strcat(name, p);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		ssize_t r = write(fd, current_data, current_size);

		(void)r;
		close(fd);
		put_str("standalone fuzz driver: the failing input is in ");
		put_str(name);
		put_str(" (in the current directory)\n");
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run one input from an exactly sized heap copy. */
static void run_one(const uint8_t *data, size_t size, size_t run)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy) {
		perror("malloc");
		exit(1);
	}
	if (size)
		memcpy(copy, data, size);
	current_data = data;
	current_size = size;
	current_run = run;
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

int main(int argc, char **argv)
{
	struct corpus c = {0};
	size_t runs = 20000, max_len = 1 << 17, paths = 0;
	uint64_t seed = 0x1a7f9c3d5e7b2d11ULL;
	uint8_t *buf;

	for (int i = 1; i < argc; i++) {
		int r;

		if (!strncmp(argv[i], "-runs=", 6)) {
			runs = strtoull(argv[i] + 6, NULL, 0);
		} else if (!strncmp(argv[i], "-seed=", 6)) {
			seed = strtoull(argv[i] + 6, NULL, 0);
		} else if (!strncmp(argv[i], "-max_len=", 9)) {
			max_len = strtoull(argv[i] + 9, NULL, 0);
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
			corpus_free(&c);
			return 2;
		} else if ((r = add_path(&c, argv[i], max_len)) < 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], argv[i], strerror(-r));
			corpus_free(&c);
			return 1;
		} else {
			paths++;
		}
	}
	if (!paths || !c.n || !max_len) {
		fprintf(stderr,
			"usage: %s [-runs=N] [-seed=N] [-max_len=N] CORPUS...\n"
			"(no inputs found)\n",
			argv[0]);
		corpus_free(&c);
		return 2;
	}
	rng_state = seed ? seed : 1;
	signal(SIGABRT, on_crash);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
	/* corpus inputs are runs 0..n-1, mutations follow */
	for (size_t i = 0; i < c.n; i++)
		run_one(c.v[i].data, c.v[i].size, i);
	buf = malloc(max_len);
	if (!buf) {
		perror("malloc");
		corpus_free(&c);
		return 1;
	}
	for (size_t r = 0; r < runs; r++) {
		const struct input *in = &c.v[rnd_below(c.n)];
		size_t n = in->size, edits = 1 + rnd_below(rnd_below(4) ? 2 : 8);

		memcpy(buf, in->data, n);
		for (size_t e = 0; e < edits; e++)
			mutate_once(buf, &n, max_len, &c);
		run_one(buf, n, c.n + r);
	}
	printf("%s: %zu inputs replayed, %zu mutations run (seed %" PRIu64 "): ok\n", argv[0], c.n,
	       runs, seed);
	corpus_free(&c);
	free(buf);
	return 0;
}
