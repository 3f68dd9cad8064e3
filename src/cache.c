#include "cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"

static int by_usefulness(const void *pa, const void *pb)
{
	const struct node_addr *a = *(const struct node_addr *const *)pa;
	const struct node_addr *b = *(const struct node_addr *const *)pb;

	if (a->last_success_wall_ms != b->last_success_wall_ms)
		return a->last_success_wall_ms > b->last_success_wall_ms ? -1 : 1;
	if (a->fails != b->fails)
		return a->fails < b->fails ? -1 : 1;
	return a->learned_wall_ms > b->learned_wall_ms ? -1
						       : a->learned_wall_ms < b->learned_wall_ms;
}

int cache_save(const struct nodes *n, const char *path)
{
	const struct node_addr *list[CACHE_MAX_ENTRIES * 4];
	size_t count = 0;
	char tmp[4096];
	FILE *f;
	int fd, r = 0;

	nodes_foreach(n, a) {
		if (a->has_mac && count < sizeof(list) / sizeof(list[0]))
			list[count++] = a;
	}
	qsort(list, count, sizeof(list[0]), by_usefulness);
	if (count > CACHE_MAX_ENTRIES)
		count = CACHE_MAX_ENTRIES;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/*
	 * A new file, never one someone placed there (nor a symlink's target);
	 * a stale one from a crash is removed (unlink takes a link, not its
	 * target) and the open tried once more.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EEXIST || errno == ELOOP) && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	fprintf(f, "%s\n", CACHE_HEADER);
	for (size_t i = 0; i < count; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&list[i]->sa;
		char ip[INET6_ADDRSTRLEN], mac[MAC_STRLEN];

		addr_format_ip(sa, ip, sizeof(ip));
		fprintf(f, "%s %s %u %s %" PRIu64 "\n", mac_format(list[i]->mac, mac), ip,
			(unsigned)addr_port(sa), nodes_source_name(list[i]->source),
			list[i]->last_success_wall_ms);
	}
	if (fflush(f) != 0 || fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int cache_parse_line(const char *line, uint8_t mac[MAC_LEN], struct sockaddr_storage *ss,
		     socklen_t *sslen, int *source, uint64_t *last_success_ms)
{
	char macs[32], ip[64], src[16], extra[2];
	unsigned port;
	unsigned long long last;

	if (sscanf(line, "%31s %63s %5u %15s %llu %1s", macs, ip, &port, src, &last, extra) != 5)
		return -EINVAL;
	if (mac_parse(macs, mac) < 0 || !mac_is_node(mac) || port == 0 || port > 65535)
		return -EINVAL;
	*source = nodes_source_parse(src);
	if (*source < 0)
		return -EINVAL;
	*sslen = addr_from_string(ss, ip, (uint16_t)port);
	if (!*sslen)
		return -EINVAL;
	*last_success_ms = last;
	return 0;
}

/* A configured seed whose MAC we do not know: only a handshake (or the record of one) names it. */
static bool is_unnamed_seed(const struct nodes *n, const struct sockaddr_storage *ss,
			    socklen_t sslen)
{
	nodes_foreach(n, a) {
		if (a->salen == sslen && !memcmp(&a->sa, ss, sslen))
			return (a->sources & 1u << NODE_SRC_CONFIG) && !a->has_mac;
	}
	return false;
}

int cache_load(struct nodes *n, const char *path, uint64_t now_wall_ms)
{
	char line[512];
	unsigned lineno = 0;
	int count = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (fgets(line, sizeof(line), f))
		line[strcspn(line, "\n")] = '\0';
	else
		line[0] = '\0';
	if (strcmp(line, CACHE_HEADER)) {
		log_warn("%s: not an invpn peer cache (bad header): ignored", path);
		fclose(f);
		return -EINVAL;
	}
	lineno = 1;
	while (fgets(line, sizeof(line), f) && count < CACHE_MAX_ENTRIES) {
		struct sockaddr_storage ss;
		socklen_t sslen;
		uint8_t mac[MAC_LEN];
		uint64_t last;
		int src;
		struct node_addr *a;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			/* longer than any entry: skip the rest, never parse a tail as a line */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			log_warn("%s:%u: line too long: skipped", path, lineno);
			continue;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (cache_parse_line(line, mac, &ss, &sslen, &src, &last) < 0) {
			log_warn("%s:%u: unreadable cache entry: skipped", path, lineno);
			continue;
		}
		if ((!last || last > now_wall_ms) && is_unnamed_seed(n, &ss, sslen))
			continue; /* a claim never linked there: not a seed's name (PROTOCOL: Rules) */
		a = nodes_add(n, mac, (struct sockaddr *)&ss, sslen, NODE_SRC_CACHE, now_wall_ms);
		if (a && a->has_mac && mac_eq(a->mac, mac)) {
			/* a time in the future is not to be trusted (and a line
			 * about another MAC than the entry keeps says nothing of it) */
			a->last_success_wall_ms = last <= now_wall_ms ? last : 0;
			count++;
		}
	}
	fclose(f);
	n->dirty = false;
	return count;
}
