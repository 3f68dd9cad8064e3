#include "nodes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "origin.h"

static const char *const source_names[NODE_SRC_COUNT] = {"config", "mesh", "cache", "mdns", "dns"};

const char *nodes_source_name(enum node_source s)
{
	return s < NODE_SRC_COUNT ? source_names[s] : "?";
}

int nodes_source_parse(const char *name)
{
	for (int i = 0; i < NODE_SRC_COUNT; i++) {
		if (!strcmp(name, source_names[i]))
			return i;
	}
	return -1;
}

int nodes_init(struct nodes *n, size_t cap)
{
	if (cap >= NODES_NONE / 2)
		return -EINVAL;
	n->nbuckets = 2;
	while (n->nbuckets < 2 * cap)
		n->nbuckets *= 2;
	n->v = calloc(cap ? cap : 1, sizeof(*n->v));
	n->addr_head = malloc(n->nbuckets * sizeof(*n->addr_head));
	n->addr_next = malloc((cap ? cap : 1) * sizeof(*n->addr_next));
	if (!n->v || !n->addr_head || !n->addr_next) {
		nodes_fini(n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n->nbuckets; i++)
		n->addr_head[i] = NODES_NONE;
	n->cap = cap;
	n->used = 0;
	n->next_id = 1;
	n->dirty = false;
	n->n_own = 0;
	n->refused_rebind = n->refused_address = 0;
	return 0;
}

void nodes_fini(struct nodes *n)
{
	free(n->v);
	free(n->addr_head);
	free(n->addr_next);
	n->v = NULL;
	n->addr_head = n->addr_next = NULL;
	n->cap = n->used = 0;
}

/* FNV-1a over the address as compared (same_sockaddr: salen bytes) */
static size_t addr_bucket(const struct nodes *n, const void *sa, socklen_t salen)
{
	const uint8_t *p = sa;
	uint32_t h = 2166136261u;

	for (socklen_t i = 0; i < salen; i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (n->nbuckets - 1);
}

static void index_add(struct nodes *n, struct node_addr *a)
{
	size_t b = addr_bucket(n, &a->sa, a->salen), i = (size_t)(a - n->v);

	n->addr_next[i] = n->addr_head[b];
	n->addr_head[b] = (uint32_t)i;
}

static void index_remove(struct nodes *n, const struct node_addr *a)
{
	uint32_t *pp = &n->addr_head[addr_bucket(n, &a->sa, a->salen)];
	uint32_t i = (uint32_t)(a - n->v);

	while (*pp != NODES_NONE && *pp != i)
		pp = &n->addr_next[*pp];
	if (*pp == i)
		*pp = n->addr_next[i];
}

static bool same_sockaddr(const struct sockaddr *a, socklen_t alen,
			  const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Lower is more worth keeping. Config entries are never replaced. */
static uint64_t eviction_score(const struct node_addr *a)
{
	if (a->source == NODE_SRC_CONFIG || a->dialing)
		return 0;
	/* never linked first (a flood of made-up addresses evicts only its own
	 * kind), then many failures, then the longest since it was last seen
	 * working or learned */
	return (a->last_success_wall_ms ? 0 : 1ull << 62) | (uint64_t)a->fails << 48 |
	       (UINT64_MAX - (a->last_success_wall_ms > a->learned_wall_ms ? a->last_success_wall_ms
									   : a->learned_wall_ms)) >>
		       16;
}

bool nodes_is_claim(enum node_source src)
{
	return src == NODE_SRC_MESH || src == NODE_SRC_MDNS || src == NODE_SRC_CACHE;
}

void nodes_set_own(struct nodes *n, const struct sockaddr_storage *own, size_t count)
{
	if (count > NODES_MAX_OWN)
		count = NODES_MAX_OWN;
	memcpy(n->own, own, count * sizeof(*own));
	n->n_own = count;
}

int nodes_addr_verdict(const struct nodes *n, const struct sockaddr *sa)
{
	return (int)origin_addr_check(sa, n->own, n->n_own);
}

/*
 * Whose word is an address's MAC? A configured seed's is the config's or
 * the handshake's; an address whose MAC completed a handshake there keeps
 * it. Neither changes on a claim (PROTOCOL: Rules), so that made-up MACs
 * for real addresses cannot cut a node off after a restart.
 */
static bool mac_is_settled(const struct node_addr *a)
{
	return (a->sources & 1u << NODE_SRC_CONFIG) || (a->has_mac && a->last_success_wall_ms);
}

struct node_addr *nodes_add(struct nodes *n, const uint8_t *mac, const struct sockaddr *sa,
			    socklen_t salen, enum node_source src, uint64_t now_wall_ms)
{
	struct node_addr *slot = NULL, *victim = NULL;
	bool claim = nodes_is_claim(src);

	if (salen > sizeof(slot->sa))
		return NULL;
	if (claim && nodes_addr_verdict(n, sa) != ORIGIN_ADDR_OK) {
		n->refused_address++;
		return NULL;
	}
	for (uint32_t i = n->addr_head[addr_bucket(n, sa, salen)]; i != NODES_NONE;
	     i = n->addr_next[i]) {
		struct node_addr *a = &n->v[i];

		if (!same_sockaddr(sa, salen, &a->sa, a->salen))
			continue;
		/* (the cache may fill in a seed's unknown MAC: cache_load offers only
		 * what linked there) */
		if (claim && mac && mac_is_settled(a) && (a->has_mac || src != NODE_SRC_CACHE) &&
		    (!a->has_mac || !mac_eq(a->mac, mac))) {
			n->refused_rebind++;
			return a;
		}
		if (mac && (!a->has_mac || !mac_eq(a->mac, mac))) {
			/* the address now belongs to this MAC (and has not linked as it) */
			memcpy(a->mac, mac, MAC_LEN);
			a->has_mac = true;
			a->fails = 0;
			a->next_try_ms = 0;
			a->last_success_wall_ms = 0;
			n->dirty = true;
		}
		if (mac)
			a->verify_mac = true;
		a->learned_wall_ms = now_wall_ms;
		a->sources |= 1u << src;
		/* a better source wins: config beats everything, then what the mesh says */
		if (src < a->source)
			a->source = src;
		return a;
	}
	if (n->used < n->cap) {
		slot = &n->v[n->used++];
	} else {
		/* full: a scan for the entry least worth keeping (only when a new
		 * address comes to a full table) */
		for (size_t i = 0; i < n->cap; i++) {
			struct node_addr *a = &n->v[i];

			if (eviction_score(a) &&
			    (!victim || eviction_score(a) > eviction_score(victim)))
				victim = a;
		}
		if (!victim)
			return NULL;
		slot = victim;
		index_remove(n, slot);
	}
	memset(slot, 0, sizeof(*slot));
	slot->id = n->next_id++;
	if (mac) {
		memcpy(slot->mac, mac, MAC_LEN);
		slot->has_mac = slot->verify_mac = true;
	}
	memcpy(&slot->sa, sa, salen);
	slot->salen = salen;
	slot->source = src;
	slot->sources = 1u << src;
	slot->learned_wall_ms = now_wall_ms;
	index_add(n, slot);
	n->dirty = true;
	return slot;
}

struct node_addr *nodes_get(struct nodes *n, uint64_t id)
{
	if (!id)
		return NULL;
	nodes_foreach(n, a) {
		if (a->id == id)
			return a;
	}
	return NULL;
}

struct node_addr *nodes_inbound_success(struct nodes *n, const uint8_t mac[MAC_LEN],
					const struct sockaddr *sa, socklen_t salen,
					uint64_t now_wall_ms)
{
	struct node_addr *a = nodes_add(n, mac, sa, salen, NODE_SRC_MESH, now_wall_ms);

	if (!a)
		return NULL;
	a->last_success_wall_ms = now_wall_ms;
	n->dirty = true;
	return a;
}

uint64_t nodes_backoff_ms(unsigned fails, unsigned jitter_seed)
{
	uint64_t ms = NODES_BACKOFF_MIN_MS;

	for (unsigned i = 1; i < fails && ms < NODES_BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > NODES_BACKOFF_MAX_MS)
		ms = NODES_BACKOFF_MAX_MS;
	/* +-25% so that nodes that failed together do not retry together */
	return ms * 3 / 4 + (jitter_seed % (ms / 2 + 1));
}

void nodes_dial_done(struct nodes *n, uint64_t id, bool ok, const uint8_t *peer_mac,
		     uint64_t now_ms, uint64_t now_wall_ms)
{
	struct node_addr *a = nodes_get(n, id);

	if (!a)
		return;
	a->dialing = false;
	if (ok) {
		a->fails = 0;
		a->next_try_ms = 0;
		a->last_success_wall_ms = now_wall_ms;
		if (peer_mac && !a->has_mac) {
			/* learned by dialling: remember it, but do not insist on it */
			memcpy(a->mac, peer_mac, MAC_LEN);
			a->has_mac = true;
		}
		n->dirty = true;
		return;
	}
	if (a->fails < 64)
		a->fails++;
	a->next_try_ms = now_ms + nodes_backoff_ms(a->fails, (unsigned)random());
}
