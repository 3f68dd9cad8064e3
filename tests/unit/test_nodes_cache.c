/* nodes (the address directory) and cache (the peer cache file). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "cache.h"
#include "nodes.h"

static void mac_n(uint8_t mac[MAC_LEN], unsigned n)
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static struct addr v4(const char *ip, uint16_t port)
{
	struct addr a;
	struct sockaddr_in *in = (struct sockaddr_in *)&a.ss;

	memset(&a, 0, sizeof(a));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	a.len = sizeof(*in);
	return a;
}

static struct addr v6(const char *ip, uint16_t port)
{
	struct addr a;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;

	memset(&a, 0, sizeof(a));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	a.len = sizeof(*in6);
	return a;
}

/* 10.x.y.z:41744 for n */
static struct addr v4_n(unsigned n)
{
	char ip[32];

	snprintf(ip, sizeof(ip), "10.%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
	return v4(ip, 41744);
}

static struct node_addr *add(struct nodes *n, const uint8_t *mac, struct addr a,
			     enum node_source src, uint64_t now)
{
	return nodes_add(n, mac, (const struct sockaddr *)&a.ss, a.len, src, now);
}

static size_t count(struct nodes *n)
{
	size_t c = 0;

	nodes_foreach(n, a)
		c++;
	return c;
}

/* ---- nodes ---- */

static void test_add_dedup(void **state)
{
	struct nodes n;
	uint8_t m1[MAC_LEN], m2[MAC_LEN];
	struct node_addr *a, *b;

	mac_n(m1, 1);
	mac_n(m2, 2);
	assert_int_equal(nodes_init(&n, 8), 0);
	assert_int_equal(count(&n), 0);
	assert_null(nodes_get(&n, 0));
	assert_null(nodes_get(&n, 1));

	a = add(&n, NULL, v4("192.0.2.1", 41744), NODE_SRC_DNS, 100);
	assert_non_null(a);
	assert_true(a->id != 0);
	assert_false(a->has_mac);
	assert_false(a->verify_mac);
	assert_int_equal(a->source, NODE_SRC_DNS);
	assert_int_equal(a->learned_wall_ms, 100);
	assert_true(n.dirty);
	assert_ptr_equal(nodes_get(&n, a->id), a);

	/* the same address again: the same entry, refreshed */
	n.dirty = false;
	b = add(&n, NULL, v4("192.0.2.1", 41744), NODE_SRC_DNS, 200);
	assert_ptr_equal(b, a);
	assert_int_equal(a->learned_wall_ms, 200);
	assert_int_equal(count(&n), 1);
	/* a better source wins, a worse one does not */
	add(&n, NULL, v4("192.0.2.1", 41744), NODE_SRC_MESH, 300);
	assert_int_equal(a->source, NODE_SRC_MESH);
	add(&n, NULL, v4("192.0.2.1", 41744), NODE_SRC_MDNS, 300);
	assert_int_equal(a->source, NODE_SRC_MESH);
	/* and every source is remembered */
	assert_int_equal(a->sources,
			 1u << NODE_SRC_DNS | 1u << NODE_SRC_MESH | 1u << NODE_SRC_MDNS);

	/* now with a MAC: learned, and to be checked */
	a->fails = 3;
	a->next_try_ms = 99999;
	b = add(&n, m1, v4("192.0.2.1", 41744), NODE_SRC_MESH, 400);
	assert_ptr_equal(b, a);
	assert_true(a->has_mac);
	assert_true(a->verify_mac);
	assert_memory_equal(a->mac, m1, MAC_LEN);
	assert_int_equal(a->fails, 0);
	assert_int_equal(a->next_try_ms, 0);
	assert_true(n.dirty);
	/* the same MAC again keeps the dial state */
	a->fails = 2;
	n.dirty = false;
	add(&n, m1, v4("192.0.2.1", 41744), NODE_SRC_MESH, 500);
	assert_int_equal(a->fails, 2);
	assert_false(n.dirty);
	/* no MAC keeps the known one */
	add(&n, NULL, v4("192.0.2.1", 41744), NODE_SRC_DNS, 600);
	assert_memory_equal(a->mac, m1, MAC_LEN);
	/* a different MAC: the address moved to another node */
	add(&n, m2, v4("192.0.2.1", 41744), NODE_SRC_MESH, 700);
	assert_memory_equal(a->mac, m2, MAC_LEN);
	assert_int_equal(a->fails, 0);
	assert_int_equal(count(&n), 1);

	/* another port, another family: other entries */
	b = add(&n, m2, v4("192.0.2.1", 41745), NODE_SRC_MESH, 800);
	assert_ptr_not_equal(b, a);
	assert_true(b->id > a->id);
	assert_non_null(add(&n, m2, v6("2001:db8::1", 41744), NODE_SRC_MESH, 800));
	assert_non_null(add(&n, m2, v6("::ffff:192.0.2.1", 41744), NODE_SRC_MESH, 800));
	assert_int_equal(count(&n), 4);
	/* an address that is too long for the table */
	{
		uint8_t big[sizeof(struct sockaddr_storage) + 8] = {0};

		assert_null(nodes_add(&n, NULL, (const struct sockaddr *)big, sizeof(big),
				      NODE_SRC_DNS, 1));
	}
	nodes_fini(&n);
	assert_null(n.v);
	nodes_fini(&n);
}

static void test_eviction(void **state)
{
	struct nodes n;
	uint8_t m[MAC_LEN];
	struct node_addr *a;

	/* a table full of config entries takes nothing else */
	assert_int_equal(nodes_init(&n, 4), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_non_null(add(&n, NULL, v4_n(i), NODE_SRC_CONFIG, 1));
	assert_null(add(&n, NULL, v4_n(100), NODE_SRC_MESH, 2));
	assert_null(add(&n, NULL, v4_n(101), NODE_SRC_CONFIG, 2));
	nodes_foreach(&n, e)
		assert_int_equal(e->source, NODE_SRC_CONFIG);
	nodes_fini(&n);

	/* config entries survive any number of newcomers */
	assert_int_equal(nodes_init(&n, 6), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_non_null(add(&n, NULL, v4_n(i), NODE_SRC_CONFIG, 1));
	for (unsigned i = 0; i < 1000; i++) {
		mac_n(m, i);
		a = add(&n, m, v4_n(1000 + i), (enum node_source)(1 + i % 4), 10 + i);
		assert_non_null(a);
		assert_int_equal(count(&n), i < 3 ? 4 + i : 6);
	}
	for (unsigned i = 0; i < 3; i++) {
		struct addr want = v4_n(i);
		bool found = false;

		nodes_foreach(&n, e) {
			if (e->salen == want.len && !memcmp(&e->sa, &want.ss, want.len)) {
				assert_int_equal(e->source, NODE_SRC_CONFIG);
				found = true;
			}
		}
		assert_true(found);
	}
	nodes_fini(&n);

	/* who goes: most failures first, then the longest unused; never one being dialled */
	assert_int_equal(nodes_init(&n, 4), 0);
	{
		struct node_addr *old = add(&n, NULL, v4_n(1), NODE_SRC_MESH, 1000);
		struct node_addr *failing = add(&n, NULL, v4_n(2), NODE_SRC_MESH, 5000);
		struct node_addr *dialing = add(&n, NULL, v4_n(3), NODE_SRC_MESH, 1);
		struct node_addr *fresh = add(&n, NULL, v4_n(4), NODE_SRC_MESH, 6000);
		uint64_t old_id = old->id, failing_id = failing->id, dialing_id = dialing->id,
			 fresh_id = fresh->id;

		failing->fails = 5;
		dialing->dialing = true;
		dialing->fails = 50;
		a = add(&n, NULL, v4_n(5), NODE_SRC_MESH, 7000);
		assert_ptr_equal(a, failing);
		assert_null(nodes_get(&n, failing_id));
		assert_int_equal(a->fails, 0);
		assert_false(a->dialing);
		/* then the oldest: learned at 1000 */
		a = add(&n, NULL, v4_n(6), NODE_SRC_MESH, 7000);
		assert_ptr_equal(a, old);
		assert_null(nodes_get(&n, old_id));
		assert_non_null(nodes_get(&n, dialing_id));
		assert_non_null(nodes_get(&n, fresh_id));
		/* a recent success counts as recent use */
		fresh->last_success_wall_ms = 9000;
		a = add(&n, NULL, v4_n(7), NODE_SRC_MESH, 8000);
		assert_non_null(a);
		assert_non_null(nodes_get(&n, fresh_id));
		assert_non_null(nodes_get(&n, dialing_id));
	}
	nodes_fini(&n);
}

/*
 * The address index (nodes_add finds an address by hash, not by a scan):
 * every entry is found again after any number of replacements, in a table
 * small enough that chains are shared, and an evicted address is gone.
 */
static void test_address_index(void **state)
{
	struct nodes n;
	struct node_addr *a, *b;
	uint64_t id;

	assert_int_equal(nodes_init(&n, 64), 0);
	for (unsigned i = 0; i < 64; i++)
		assert_non_null(add(&n, NULL, v4_n(i), NODE_SRC_MESH, 1 + i));
	for (unsigned round = 0; round < 300; round++) {
		/* a new address replaces the oldest */
		a = add(&n, NULL, v4_n(1000 + round), NODE_SRC_MESH, 100 + round);
		assert_non_null(a);
		id = a->id;
		assert_int_equal(count(&n), 64);
		/* each entry's own address finds that entry, and adds nothing */
		nodes_foreach(&n, e) {
			struct addr x;

			memcpy(&x.ss, &e->sa, sizeof(x.ss));
			x.len = e->salen;
			b = add(&n, NULL, x, NODE_SRC_MESH, 100 + round);
			assert_ptr_equal(b, e);
		}
		assert_int_equal(count(&n), 64);
		assert_non_null(nodes_get(&n, id));
	}
	/* the first 64 (and the early replacements) are gone: each comes back as new */
	a = add(&n, NULL, v4_n(0), NODE_SRC_MESH, 1000);
	assert_non_null(a);
	assert_true(a->id > id);
	assert_int_equal(count(&n), 64);
	nodes_fini(&n);
}

static void test_backoff_bounds(void **state)
{
	const unsigned seeds[] = {0,   1,    2,	    250,	499,	    500,
				  501, 1000, 12345, 0x7fffffff, 0xfffffffe, 0xffffffff};
	uint64_t prev_lo = 0;

	for (unsigned fails = 0; fails <= 100; fails++) {
		uint64_t base = NODES_BACKOFF_MIN_MS;
		uint64_t lo, hi;

		for (unsigned i = 1; i < fails && base < NODES_BACKOFF_MAX_MS; i++)
			base *= 2;
		if (base > NODES_BACKOFF_MAX_MS)
			base = NODES_BACKOFF_MAX_MS;
		lo = base - base / 4;
		hi = base + base / 4;
		for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
			uint64_t b = nodes_backoff_ms(fails, seeds[s]);

			if (b < lo || b > hi)
				fail_msg("fails %u seed %u: %llu not in [%llu, %llu]", fails,
					 seeds[s], (unsigned long long)b, (unsigned long long)lo,
					 (unsigned long long)hi);
		}
		/* the jitter reaches both ends */
		assert_int_equal(nodes_backoff_ms(fails, 0), lo);
		assert_int_equal(nodes_backoff_ms(fails, (unsigned)(base / 2)), hi);
		/* never shrinks as failures grow */
		assert_true(lo >= prev_lo);
		prev_lo = lo;
	}
	/* doubling from the minimum up to the cap */
	assert_int_equal(nodes_backoff_ms(1, 0), 750);
	assert_int_equal(nodes_backoff_ms(2, 0), 1500);
	assert_int_equal(nodes_backoff_ms(3, 0), 3000);
	assert_int_equal(nodes_backoff_ms(6, 0), 24000);
	assert_int_equal(nodes_backoff_ms(7, 0), 45000);
	assert_int_equal(nodes_backoff_ms(UINT32_MAX, 0), 45000);
	assert_int_equal(nodes_backoff_ms(UINT32_MAX, 30000), 75000);
}

static void test_dial_done(void **state)
{
	struct nodes n;
	uint8_t m[MAC_LEN], other[MAC_LEN];
	struct node_addr *a;
	uint64_t now = 1000000;

	mac_n(m, 7);
	mac_n(other, 8);
	srandom(1);
	assert_int_equal(nodes_init(&n, 4), 0);
	a = add(&n, NULL, v4_n(1), NODE_SRC_DNS, 5);
	assert_non_null(a);
	for (unsigned f = 1; f <= 80; f++) {
		uint64_t base = f >= 7 ? NODES_BACKOFF_MAX_MS
				       : (uint64_t)NODES_BACKOFF_MIN_MS << (f - 1);
		uint64_t wait;

		a->dialing = true;
		nodes_dial_done(&n, a->id, false, NULL, now, 777);
		assert_false(a->dialing);
		/* counted, but not without bound */
		assert_int_equal(a->fails, f < 64 ? f : 64);
		wait = a->next_try_ms - now;
		if (wait < base * 3 / 4 || wait > base * 5 / 4)
			fail_msg("after %u failures: waits %llu ms", f, (unsigned long long)wait);
		assert_int_equal(a->last_success_wall_ms, 0);
		assert_false(a->has_mac);
		now += 100000;
	}
	/* success: reset, and the MAC learned by dialling is kept but not insisted on */
	n.dirty = false;
	nodes_dial_done(&n, a->id, true, m, now, 123456);
	assert_int_equal(a->fails, 0);
	assert_int_equal(a->next_try_ms, 0);
	assert_int_equal(a->last_success_wall_ms, 123456);
	assert_true(a->has_mac);
	assert_false(a->verify_mac);
	assert_memory_equal(a->mac, m, MAC_LEN);
	assert_true(n.dirty);
	/* a known MAC is not replaced by what a dial saw */
	nodes_dial_done(&n, a->id, true, other, now, 123457);
	assert_memory_equal(a->mac, m, MAC_LEN);
	/* after a success, backoff starts from the bottom again */
	nodes_dial_done(&n, a->id, false, NULL, now, 0);
	assert_int_equal(a->fails, 1);
	assert_true(a->next_try_ms - now <= 1250);
	/* unknown ids are ignored */
	nodes_dial_done(&n, 0, false, NULL, now, 0);
	nodes_dial_done(&n, 9999, true, m, now, 0);
	nodes_fini(&n);
}

static void test_source_names(void **state)
{
	for (int s = 0; s < NODE_SRC_COUNT; s++)
		assert_int_equal(nodes_source_parse(nodes_source_name((enum node_source)s)), s);
	assert_string_equal(nodes_source_name(NODE_SRC_CONFIG), "config");
	assert_string_equal(nodes_source_name(NODE_SRC_MESH), "mesh");
	assert_string_equal(nodes_source_name(NODE_SRC_COUNT), "?");
	assert_int_equal(nodes_source_parse("bogus"), -1);
	assert_int_equal(nodes_source_parse(""), -1);
	assert_int_equal(nodes_source_parse("Mesh"), -1);
}

/* ---- cache ---- */

struct tmp {
	char dir[256];
	char path[300];
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/invpn-test-cache.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/peers.cache", t->dir);
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct node_addr *find(struct nodes *n, struct addr a)
{
	nodes_foreach(n, e) {
		if (e->salen == a.len && !memcmp(&e->sa, &a.ss, a.len))
			return e;
	}
	return NULL;
}

static void test_cache_roundtrip(void **state)
{
	struct tmp *t = *state;
	struct nodes n, back;
	uint8_t m1[MAC_LEN], m2[MAC_LEN], m3[MAC_LEN];
	struct node_addr *a;
	char *text, tmpname[320];
	const uint64_t now = 1700000000000ULL;

	mac_n(m1, 1);
	mac_n(m2, 2);
	mac_n(m3, 3);
	assert_int_equal(nodes_init(&n, 16), 0);
	a = add(&n, m1, v4("192.0.2.1", 41744), NODE_SRC_MESH, now - 1000);
	a->last_success_wall_ms = now - 500;
	a = add(&n, m2, v6("2001:db8::2", 443), NODE_SRC_MDNS, now - 2000);
	a->last_success_wall_ms = now - 100; /* the most useful: first in the file */
	add(&n, m3, v6("::ffff:198.51.100.3", 1), NODE_SRC_CONFIG, now);
	/* without a MAC: not saved */
	add(&n, NULL, v4("192.0.2.9", 41744), NODE_SRC_DNS, now);

	assert_int_equal(cache_save(&n, t->path), 0);
	snprintf(tmpname, sizeof(tmpname), "%s.tmp", t->path);
	assert_int_equal(access(tmpname, F_OK), -1);
	text = read_file(t->path);
	assert_string_equal(text, "# invpn peer cache v1\n"
				  "02:00:00:00:00:02 2001:db8::2 443 mdns 1699999999900\n"
				  "02:00:00:00:00:01 192.0.2.1 41744 mesh 1699999999500\n"
				  "02:00:00:00:00:03 ::ffff:198.51.100.3 1 config 0\n");
	free(text);

	assert_int_equal(nodes_init(&back, 16), 0);
	back.dirty = true;
	assert_int_equal(cache_load(&back, t->path, now), 3);
	assert_false(back.dirty);
	assert_int_equal(count(&back), 3);
	a = find(&back, v4("192.0.2.1", 41744));
	assert_non_null(a);
	assert_memory_equal(a->mac, m1, MAC_LEN);
	assert_true(a->has_mac);
	assert_int_equal(a->source, NODE_SRC_CACHE);
	assert_int_equal(a->last_success_wall_ms, now - 500);
	assert_int_equal(a->learned_wall_ms, now);
	a = find(&back, v6("2001:db8::2", 443));
	assert_non_null(a);
	assert_memory_equal(a->mac, m2, MAC_LEN);
	assert_int_equal(a->last_success_wall_ms, now - 100);
	a = find(&back, v6("::ffff:198.51.100.3", 1));
	assert_non_null(a);
	assert_memory_equal(a->mac, m3, MAC_LEN);
	assert_int_equal(a->last_success_wall_ms, 0);

	/* saving what was loaded gives the same file back */
	assert_int_equal(cache_save(&back, t->path), 0);
	text = read_file(t->path);
	assert_non_null(strstr(text, "02:00:00:00:00:02 2001:db8::2 443 cache 1699999999900\n"));
	free(text);

	/* loading into a directory that has the address from the config keeps it config */
	nodes_fini(&back);
	assert_int_equal(nodes_init(&back, 16), 0);
	add(&back, NULL, v4("192.0.2.1", 41744), NODE_SRC_CONFIG, 1);
	assert_int_equal(cache_load(&back, t->path, now), 3);
	a = find(&back, v4("192.0.2.1", 41744));
	assert_int_equal(a->source, NODE_SRC_CONFIG);
	assert_memory_equal(a->mac, m1, MAC_LEN);
	nodes_fini(&back);
	nodes_fini(&n);

	/* a directory that does not exist */
	{
		char bad[400];

		snprintf(bad, sizeof(bad), "%s/no/such/dir/peers.cache", t->dir);
		assert_int_equal(nodes_init(&n, 2), 0);
		assert_int_equal(cache_save(&n, bad), -ENOENT);
		assert_int_equal(cache_load(&n, bad, now), -ENOENT);
		nodes_fini(&n);
	}
}

static void test_cache_limits(void **state)
{
	struct tmp *t = *state;
	struct nodes n;
	uint8_t m[MAC_LEN];
	char *text;
	size_t lines = 0;

	assert_int_equal(nodes_init(&n, 400), 0);
	for (unsigned i = 0; i < 300; i++) {
		mac_n(m, i + 1);
		assert_non_null(add(&n, m, v4_n(i), NODE_SRC_MESH, 1000 + i));
	}
	assert_int_equal(cache_save(&n, t->path), 0);
	text = read_file(t->path);
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + CACHE_MAX_ENTRIES);
	/* the most recently learned are kept */
	assert_non_null(strstr(text, "02:00:00:00:01:2c 10.0.1.43 "));
	assert_null(strstr(text, "02:00:00:00:00:01 10.0.0.0 "));
	free(text);
	nodes_fini(&n);

	/* loading stops at CACHE_MAX_ENTRIES too */
	{
		FILE *f = fopen(t->path, "w");

		assert_non_null(f);
		fprintf(f, "%s\n", CACHE_HEADER);
		for (unsigned i = 0; i < 300; i++)
			fprintf(f, "02:00:00:00:%02x:%02x 10.1.%u.%u 41744 mesh 0\n", i >> 8,
				i & 0xff, i >> 8, i & 0xff);
		fclose(f);
	}
	assert_int_equal(nodes_init(&n, 400), 0);
	assert_int_equal(cache_load(&n, t->path, 5), CACHE_MAX_ENTRIES);
	assert_int_equal(count(&n), CACHE_MAX_ENTRIES);
	nodes_fini(&n);
}

static void test_cache_corrupt(void **state)
{
	struct tmp *t = *state;
	struct nodes n;
	const uint64_t now = 1700000000000ULL;
	struct node_addr *a;

	assert_int_equal(nodes_init(&n, 64), 0);
	/* no header: the whole file is ignored */
	write_file(t->path, "02:00:00:00:00:01 192.0.2.1 41744 mesh 0\n");
	assert_int_equal(cache_load(&n, t->path, now), -EINVAL);
	write_file(t->path, "# invpn peer cache v2\n02:00:00:00:00:01 192.0.2.1 41744 mesh 0\n");
	assert_int_equal(cache_load(&n, t->path, now), -EINVAL);
	write_file(t->path, "");
	assert_int_equal(cache_load(&n, t->path, now), -EINVAL);
	write_file(t->path, "\n# invpn peer cache v1\n02:00:00:00:00:01 192.0.2.1 41744 mesh 0\n");
	assert_int_equal(cache_load(&n, t->path, now), -EINVAL);
	assert_int_equal(count(&n), 0);

	/* bad lines are skipped one by one; the good ones around them load */
	write_file(t->path,
		   "# invpn peer cache v1\n"
		   "02:00:00:00:00:01 192.0.2.1 41744 mesh 1699999999000\n"
		   "garbage\n"
		   "\n"
		   "# a comment\n"
		   "\x01\x02\xff\xfe binary junk\n"
		   "03:00:00:00:00:02 192.0.2.2 41744 mesh 0\n"	   /* multicast MAC */
		   "00:00:00:00:00:00 192.0.2.3 41744 mesh 0\n"	   /* zero MAC */
		   "02:00:00:00:00:04 192.0.2.4 0 mesh 0\n"	   /* port 0 */
		   "02:00:00:00:00:05 192.0.2.5 65536 mesh 0\n"	   /* port too big */
		   "02:00:00:00:00:06 192.0.2.6 -1 mesh 0\n"	   /* negative port */
		   "02:00:00:00:00:07 192.0.2.7 41744 bogus 0\n"   /* unknown source */
		   "02:00:00:00:00:08 192.0.2.256 41744 mesh 0\n"  /* bad IPv4 */
		   "02:00:00:00:00:09 2001:db8::g 41744 mesh 0\n"  /* bad IPv6 */
		   "02:00:00:00:00:0a host.example 41744 mesh 0\n" /* a name */
		   "02:00:00:00:00:0b 192.0.2.11 41744 mesh 0 x\n" /* extra field */
		   "02:00:00:00:00:0c 192.0.2.12 41744 mesh\n"	   /* missing field */
		   "02:00:00:00:00:0d 192.0.2.13 41744 mesh -5\n"  /* negative: far future */
		   "02:00:00:00:00:0e 192.0.2.14 4x744 mesh 0\n"   /* bad port */
		   "02:00:00:00:00 192.0.2.15 41744 mesh 0\n"	   /* short MAC */
		   "02:00:00:00:00:10 192.0.2.16 41744 mesh 99999999999999\n" /* future */
		   "02:00:00:00:00:11 [2001:db8::11] 41744 mesh 0\n"	      /* brackets */
		   "02:00:00:00:00:12 2001:db8::12 41744 dns 5\n"
		   "02:00:00:00:00:13 192.0.2.19 417"); /* truncated last line */
	assert_int_equal(cache_load(&n, t->path, now), 4);
	assert_int_equal(count(&n), 4);
	a = find(&n, v4("192.0.2.1", 41744));
	assert_non_null(a);
	assert_int_equal(a->last_success_wall_ms, 1699999999000ULL);
	/* a time in the future is not believed */
	a = find(&n, v4("192.0.2.16", 41744));
	assert_non_null(a);
	assert_int_equal(a->last_success_wall_ms, 0);
	/* sscanf's %llu takes "-5" as 2^64 - 5: the same */
	a = find(&n, v4("192.0.2.13", 41744));
	assert_non_null(a);
	assert_int_equal(a->last_success_wall_ms, 0);
	a = find(&n, v6("2001:db8::12", 41744));
	assert_non_null(a);
	assert_int_equal(a->source, NODE_SRC_CACHE);
	assert_int_equal(a->last_success_wall_ms, 5);
	nodes_fini(&n);
}

static void test_cache_parse_line(void **state)
{
	uint8_t mac[MAC_LEN];
	struct sockaddr_storage ss;
	socklen_t len;
	int src;
	uint64_t last;
	static const char *const bad[] = {
		"",
		"\n",
		"02:00:00:00:00:01",
		"02:00:00:00:00:01 192.0.2.1",
		"02:00:00:00:00:01 192.0.2.1 1",
		"02:00:00:00:00:01 192.0.2.1 1 mesh",
		"02:00:00:00:00:01 192.0.2.1 1 mesh 1 2",
		"02:00:00:00:00:01 192.0.2.1 1 mesh x",
		"02:00:00:00:00:01 192.0.2.1 x mesh 1",
		"02:00:00:00:00:01 192.0.2.1 0 mesh 1",
		"02:00:00:00:00:01 192.0.2.1 65536 mesh 1",
		"02:00:00:00:00:01 192.0.2.1 4294967297 mesh 1", /* not 1 (2^32 + 1) */
		"02:00:00:00:00:01 192.0.2.1 123456 mesh 1",
		"02:00:00:00:00:01 192.0.2.1 041744 mesh 1",
		"02:00:00:00:00:01 192.0.2.1 1 MESH 1",
		"02:00:00:00:00:01 192.0.2.1 1 ? 1",
		"01:00:5e:00:00:01 192.0.2.1 1 mesh 1",
		"ff:ff:ff:ff:ff:ff 192.0.2.1 1 mesh 1",
		"00:00:00:00:00:00 192.0.2.1 1 mesh 1",
		"02:00:00:00:00:01x 192.0.2.1 1 mesh 1",
		"02:00:00:00:00:01 192.0.2 1 mesh 1",
		"02:00:00:00:00:01 ::ffff:192.0.2.1.5 1 mesh 1",
		"02:00:00:00:00:01 localhost 1 mesh 1",
		"192.0.2.1 02:00:00:00:00:01 1 mesh 1",
	};

	assert_int_equal(cache_parse_line("02:00:00:00:00:01 192.0.2.1 41744 mesh 12345\n", mac,
					  &ss, &len, &src, &last),
			 0);
	assert_memory_equal(mac, ((uint8_t[]){2, 0, 0, 0, 0, 1}), MAC_LEN);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 41744);
	assert_int_equal(src, NODE_SRC_MESH);
	assert_int_equal(last, 12345);
	{
		struct addr want = v4("192.0.2.1", 41744);

		assert_memory_equal(&ss, &want.ss, len);
	}

	assert_int_equal(
		cache_parse_line("  0A:BB:CC:DD:EE:FF\t2001:db8::1 1 config 18446744073709551615",
				 mac, &ss, &len, &src, &last),
		0);
	assert_memory_equal(mac, ((uint8_t[]){0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}), MAC_LEN);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 1);
	assert_int_equal(src, NODE_SRC_CONFIG);
	assert_true(last == UINT64_MAX);
	{
		struct addr want = v6("2001:db8::1", 1);

		assert_memory_equal(&ss, &want.ss, len);
	}

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cache_parse_line(bad[i], mac, &ss, &len, &src, &last) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* a very long line does not overflow the field buffers */
	{
		char line[1024];

		memset(line, 'a', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		assert_int_equal(cache_parse_line(line, mac, &ss, &len, &src, &last), -EINVAL);
		memcpy(line, "02:00:00:00:00:01 ", 18);
		assert_int_equal(cache_parse_line(line, mac, &ss, &len, &src, &last), -EINVAL);
	}
}

/* An incoming link's success: on the announced address, kept in the cache. */
static void test_inbound_success(void **state)
{
	struct tmp *t = *state;
	struct nodes n, back;
	uint8_t m[MAC_LEN];
	struct node_addr *a, *b;
	struct addr x5 = v4("192.0.2.5", 41744), x6 = v4("192.0.2.6", 41744);
	char *text;
	const uint64_t now = 1700000000000ULL;

	mac_n(m, 5);
	assert_int_equal(nodes_init(&n, 8), 0);
	/* not known yet: added from the mesh, with the success */
	n.dirty = false;
	a = nodes_inbound_success(&n, m, (struct sockaddr *)&x5.ss, x5.len, now);
	assert_non_null(a);
	assert_true(a->has_mac);
	assert_memory_equal(a->mac, m, MAC_LEN);
	assert_int_equal(a->source, NODE_SRC_MESH);
	assert_int_equal(a->last_success_wall_ms, now);
	assert_true(n.dirty);
	assert_int_equal(count(&n), 1);

	/* already known (from the config) and failing: the same entry, our dial backoff kept */
	b = add(&n, m, x6, NODE_SRC_CONFIG, now);
	b->fails = 3;
	b->next_try_ms = 99999;
	n.dirty = false;
	a = nodes_inbound_success(&n, m, (struct sockaddr *)&x6.ss, x6.len, now + 10);
	assert_ptr_equal(a, b);
	assert_int_equal(a->last_success_wall_ms, now + 10);
	assert_int_equal(a->fails, 3);
	assert_int_equal(a->next_try_ms, 99999);
	assert_int_equal(a->source, NODE_SRC_CONFIG);
	assert_true(n.dirty);
	assert_int_equal(count(&n), 2);

	/* and the cache keeps it, with its time, most recent first */
	assert_int_equal(cache_save(&n, t->path), 0);
	text = read_file(t->path);
	assert_string_equal(text, "# invpn peer cache v1\n"
				  "02:00:00:00:00:05 192.0.2.6 41744 config 1700000000010\n"
				  "02:00:00:00:00:05 192.0.2.5 41744 mesh 1700000000000\n");
	free(text);
	assert_int_equal(nodes_init(&back, 8), 0);
	assert_int_equal(cache_load(&back, t->path, now + 20), 2);
	a = find(&back, x5);
	assert_non_null(a);
	assert_int_equal(a->last_success_wall_ms, now);
	nodes_fini(&back);
	nodes_fini(&n);
}

/*
 * The temporary file is a new one: a symlink planted at PATH.tmp (pointing
 * at a file the daemon may write) is removed, not followed, and a stale
 * temporary file from a crash does not stop the save.
 */
static void test_cache_tmp_symlink(void **state)
{
	struct tmp *t = *state;
	struct nodes n;
	uint8_t m1[MAC_LEN];
	char tmpname[320], victim[320], *text;
	struct stat st;

	mac_n(m1, 1);
	assert_int_equal(nodes_init(&n, 16), 0);
	add(&n, m1, v4("192.0.2.1", 41744), NODE_SRC_MESH, 1000);
	snprintf(tmpname, sizeof(tmpname), "%s.tmp", t->path);
	snprintf(victim, sizeof(victim), "%s/victim", t->dir);
	write_file(victim, "precious\n");
	assert_int_equal(symlink(victim, tmpname), 0);
	assert_int_equal(cache_save(&n, t->path), 0);
	text = read_file(victim);
	assert_string_equal(text, "precious\n");
	free(text);
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(access(tmpname, F_OK), -1);
	/* a stale regular temporary file */
	write_file(tmpname, "half a cache");
	assert_int_equal(cache_save(&n, t->path), 0);
	text = read_file(t->path);
	assert_non_null(strstr(text, CACHE_HEADER));
	free(text);
	nodes_fini(&n);
}

/* ---- the rules for claims (PROTOCOL.md: Rules) ---- */

static void test_claims_never_rebind(void **state)
{
	struct tmp *t = *state;
	const uint8_t real[MAC_LEN] = {0x02, 0, 0, 0, 0, 0x0a};
	const uint8_t fake[MAC_LEN] = {0x02, 0x66, 0, 0, 0, 0x01};
	struct node_addr *seed, *linked, *free_one, *a;
	struct nodes n, back;

	assert_int_equal(nodes_init(&n, 16), 0);
	/* a seed given as host:port, one that linked as real, one only claimed */
	seed = add(&n, NULL, v4("198.18.1.1", 41744), NODE_SRC_CONFIG, 1);
	linked = add(&n, real, v4("198.18.1.2", 41744), NODE_SRC_MESH, 1);
	linked->dialing = true;
	nodes_dial_done(&n, linked->id, true, real, 10, 1000);
	free_one = add(&n, real, v4("198.18.1.3", 41744), NODE_SRC_MESH, 1);
	/* the mesh and mDNS say all three belong to fake */
	for (int src = NODE_SRC_MESH; src <= NODE_SRC_MDNS; src += NODE_SRC_MDNS - NODE_SRC_MESH) {
		assert_ptr_equal(add(&n, fake, v4("198.18.1.1", 41744), src, 2), seed);
		assert_ptr_equal(add(&n, fake, v4("198.18.1.2", 41744), src, 2), linked);
	}
	assert_false(seed->has_mac);
	assert_false(seed->verify_mac);
	assert_memory_equal(linked->mac, real, MAC_LEN);
	assert_int_equal(n.refused_rebind, 4);
	/* an address that never linked is the claim's to name (as before) */
	assert_ptr_equal(add(&n, fake, v4("198.18.1.3", 41744), NODE_SRC_MESH, 2), free_one);
	assert_memory_equal(free_one->mac, fake, MAC_LEN);
	assert_int_equal(free_one->last_success_wall_ms, 0);
	/* the config itself may name the seed */
	add(&n, real, v4("198.18.1.1", 41744), NODE_SRC_CONFIG, 3);
	assert_memory_equal(seed->mac, real, MAC_LEN);

	/* the cache names a seed only with the record of a link there */
	assert_int_equal(cache_save(&n, t->path), 0);
	assert_int_equal(nodes_init(&back, 16), 0);
	add(&back, NULL, v4("198.18.1.3", 41744), NODE_SRC_CONFIG, 1); /* fake, never linked */
	add(&back, NULL, v4("198.18.1.2", 41744), NODE_SRC_CONFIG, 1); /* real, linked */
	assert_int_equal(cache_load(&back, t->path, 5000), 2);
	a = find(&back, v4("198.18.1.3", 41744));
	assert_false(a->has_mac);
	a = find(&back, v4("198.18.1.2", 41744));
	assert_true(a->has_mac);
	assert_memory_equal(a->mac, real, MAC_LEN);
	nodes_fini(&back);
	nodes_fini(&n);
}

static void test_claims_never_name_special_addresses(void **state)
{
	const uint8_t m[MAC_LEN] = {0x02, 0, 0, 0, 0, 0x0b};
	struct sockaddr_storage own;
	struct nodes n;

	(void)state;
	assert_int_equal(nodes_init(&n, 16), 0);
	addr_from_string(&own, "198.18.1.9", 41744);
	nodes_set_own(&n, &own, 1);
	assert_null(add(&n, m, v4("127.0.0.1", 41744), NODE_SRC_MESH, 1));
	assert_null(add(&n, m, v6("::1", 41744), NODE_SRC_MDNS, 1));
	assert_null(add(&n, m, v4("0.0.0.0", 41744), NODE_SRC_MESH, 1));
	assert_null(add(&n, m, v4("239.1.2.3", 41744), NODE_SRC_CACHE, 1));
	assert_null(add(&n, m, v4("198.18.1.9", 41744), NODE_SRC_MESH, 1));
	assert_int_equal(n.refused_address, 5);
	assert_int_equal(count(&n), 0);
	/* what the operator configured (or DNS names) is dialled as given */
	assert_non_null(add(&n, NULL, v4("127.0.0.1", 41744), NODE_SRC_CONFIG, 1));
	assert_non_null(add(&n, NULL, v4("127.0.0.2", 41744), NODE_SRC_DNS, 1));
	assert_non_null(add(&n, m, v4("198.18.1.9", 41745), NODE_SRC_MESH, 1));
	assert_int_equal(count(&n), 3);
	nodes_fini(&n);
}

static void test_made_up_addresses_evict_their_own_kind(void **state)
{
	struct nodes n;
	struct node_addr *good;
	uint8_t m[MAC_LEN] = {0x02, 0, 0, 0, 0, 0};
	char ip[32];

	(void)state;
	assert_int_equal(nodes_init(&n, 8), 0);
	m[5] = 1;
	good = add(&n, m, v4("198.18.2.1", 41744), NODE_SRC_MESH, 1);
	good->dialing = true;
	nodes_dial_done(&n, good->id, true, m, 1, 2);
	/* a flood of made-up nodes, each newer than the one that linked */
	for (int i = 0; i < 100; i++) {
		m[4] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)(i + 2);
		snprintf(ip, sizeof(ip), "198.18.3.%d", i + 1);
		add(&n, m, v4(ip, 41744), NODE_SRC_MESH, (uint64_t)1000 + (uint64_t)i);
	}
	assert_non_null(find(&n, v4("198.18.2.1", 41744)));
	assert_int_equal(count(&n), 8);
	nodes_fini(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_dedup),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_address_index),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_dial_done),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test_setup_teardown(test_cache_roundtrip, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_cache_limits, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_cache_corrupt, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_cache_tmp_symlink, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_cache_parse_line),
		cmocka_unit_test_setup_teardown(test_inbound_success, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_claims_never_rebind, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_claims_never_name_special_addresses),
		cmocka_unit_test(test_made_up_addresses_evict_their_own_kind),
	};

	return cmocka_run_group_tests_name("nodes_cache", tests, NULL, NULL);
}
