/*
 * Fuzz the peer cache's reader (src/cache.c): the input is a cache file. Each
 * line goes to cache_parse_line, which either refuses it or yields a node MAC,
 * a non-zero port and an address of a real family; then the whole file goes
 * through cache_load (from a memfd) into a small directory, which must stay
 * within its bounds and hold only what parses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addr.h"
#include "cache.h"
#include "fuzz.h"
#include "log.h"
#include "nodes.h"

#define NOW_MS 1700000000000ull

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_cache: %s\n", why);
	abort();
}

static void check_line(const char *line)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	uint8_t mac[MAC_LEN];
	uint64_t last;
	int src = -1;

	if (cache_parse_line(line, mac, &ss, &sslen, &src, &last) < 0)
		return;
	if (!mac_is_node(mac))
		fail("a group or zero MAC parsed");
	if (src < 0 || src >= NODE_SRC_COUNT)
		fail("source out of range");
	if (!((ss.ss_family == AF_INET && sslen == sizeof(struct sockaddr_in)) ||
	      (ss.ss_family == AF_INET6 && sslen == sizeof(struct sockaddr_in6))))
		fail("address of an unknown family or size");
	if (addr_port((struct sockaddr *)&ss) == 0)
		fail("port 0 parsed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	char *text, *line, *save = NULL, path[64];
	struct nodes n;
	size_t held = 0;
	int fd, r;

	if (!quiet) {
		log_init("fuzz_cache", LOG_TARGET_STDERR, LOG_ERR); /* the skipped-line warnings */
		quiet = true;
	}
	if (size > 1 << 16)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		check_line(line);
	free(text);

	fd = memfd_create("fuzz_cache", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (nodes_init(&n, 16) < 0) {
		close(fd);
		return 0;
	}
	r = cache_load(&n, path, NOW_MS);
	nodes_foreach(&n, a) {
		held++;
		if (!a->has_mac || !mac_is_node(a->mac))
			fail("an entry without a node MAC");
		if (a->last_success_wall_ms > NOW_MS)
			fail("a success in the future kept");
	}
	if (r > CACHE_MAX_ENTRIES || held > n.cap || (r >= 0 && held > (size_t)r))
		fail("more entries than were loaded");
	nodes_fini(&n);
	close(fd);
	return 0;
}
