#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int route_init(struct route_table *rt, size_t max)
{
	memset(rt, 0, sizeof(*rt));
	rt->max = max;
	rt->nbuckets = 16;
	while (rt->nbuckets < max / 2)
		rt->nbuckets *= 2;
	rt->buckets = calloc(rt->nbuckets, sizeof(*rt->buckets));
	if (!rt->buckets) {
		rt->nbuckets = 0;
		return -ENOMEM;
	}
	return 0;
}

static size_t bucket_of(const struct route_table *rt, const uint8_t mac[MAC_LEN])
{
	/* FNV-1a: a MAC's bytes vary anywhere (made from a key, or a counter) */
	uint32_t h = 2166136261u;

	for (int i = 0; i < MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h & (rt->nbuckets - 1);
}

struct route *route_find(const struct route_table *rt, const uint8_t mac[MAC_LEN])
{
	if (!rt->nbuckets)
		return NULL;
	for (struct route *r = rt->buckets[bucket_of(rt, mac)]; r; r = r->next) {
		if (mac_eq(r->mac, mac))
			return r;
	}
	return NULL;
}

struct link *route_lookup(const struct route_table *rt, const uint8_t mac[MAC_LEN])
{
	struct route *r = route_find(rt, mac);

	return r ? r->via : NULL;
}

struct route *route_learn(struct route_table *rt, const uint8_t mac[MAC_LEN], int64_t id,
			  struct link *link, uint64_t now_ms)
{
	struct route *r = route_find(rt, mac);

	if (!r) {
		size_t b;

		if (rt->count >= rt->max || !rt->nbuckets)
			return NULL;
		b = bucket_of(rt, mac);
		r = calloc(1, sizeof(*r));
		if (!r)
			return NULL;
		memcpy(r->mac, mac, MAC_LEN);
		r->next = rt->buckets[b];
		rt->buckets[b] = r;
		rt->count++;
	}
	/* only the first copy of a newer announcement moves the route */
	if (r->info.used && id <= r->info.top)
		return NULL;
	r->info.used = true;
	r->info.top = id;
	if (r->via != link)
		r->learned_ms = now_ms;
	r->via = link;
	r->updated_ms = now_ms;
	return r;
}

struct dupwin *route_flood_window(struct route *r)
{
	if (!r->flood)
		r->flood = calloc(1, sizeof(*r->flood));
	return r->flood;
}

static size_t remove_if(struct route_table *rt, bool (*pred)(const struct route *, const void *),
			const void *arg)
{
	size_t n = 0;

	for (size_t b = 0; b < rt->nbuckets; b++) {
		struct route **pp = &rt->buckets[b];

		while (*pp) {
			struct route *r = *pp;

			if (pred(r, arg)) {
				*pp = r->next;
				free(r->flood);
				free(r);
				rt->count--;
				n++;
			} else {
				pp = &r->next;
			}
		}
	}
	return n;
}

static bool via_link(const struct route *r, const void *link)
{
	return r->via == link;
}

size_t route_drop_link(struct route_table *rt, const struct link *link)
{
	return remove_if(rt, via_link, link);
}

size_t route_move_link(struct route_table *rt, const struct link *from, struct link *to)
{
	size_t n = 0;

	for (size_t b = 0; b < rt->nbuckets; b++) {
		for (struct route *r = rt->buckets[b]; r; r = r->next) {
			if (r->via == from) {
				r->via = to;
				n++;
			}
		}
	}
	return n;
}

void route_remove(struct route_table *rt, struct route *r)
{
	/* its own chain only: a WITHDRAW may remove hundreds one by one */
	for (struct route **pp = &rt->buckets[bucket_of(rt, r->mac)]; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			free(r->flood);
			free(r);
			rt->count--;
			return;
		}
	}
}

struct expiry {
	uint64_t now_ms, timeout_ms;
};

static bool is_stale(const struct route *r, const void *arg)
{
	const struct expiry *e = arg;

	return e->now_ms - r->updated_ms >= e->timeout_ms;
}

size_t route_expire(struct route_table *rt, uint64_t now_ms, uint64_t timeout_ms)
{
	struct expiry e = {now_ms, timeout_ms};

	return remove_if(rt, is_stale, &e);
}

static bool always(const struct route *r, const void *arg)
{
	return true;
}

void route_fini(struct route_table *rt)
{
	remove_if(rt, always, NULL);
	free(rt->buckets);
	rt->buckets = NULL;
	rt->nbuckets = 0;
}

size_t route_foreach_from(const struct route_table *rt, size_t *bucket, size_t budget,
			  bool (*fn)(const struct route *r, void *arg), void *arg)
{
	size_t n = 0;

	while (*bucket < rt->nbuckets && n < budget) {
		for (const struct route *r = rt->buckets[*bucket]; r; r = r->next)
			n += fn(r, arg);
		++*bucket;
	}
	return n;
}

void route_foreach(const struct route_table *rt, void (*fn)(const struct route *r, void *arg),
		   void *arg)
{
	for (size_t b = 0; b < rt->nbuckets; b++) {
		for (const struct route *r = rt->buckets[b]; r; r = r->next)
			fn(r, arg);
	}
}
