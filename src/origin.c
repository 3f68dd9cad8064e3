#include "origin.h"

#include <netinet/in.h>
#include <string.h>

bool origin_id_too_new(int64_t id, uint64_t now_wall_ms)
{
	/* ids are wall-clock ms (PROTOCOL: Broadcast ids); a negative one is old, not new */
	return id > 0 && (uint64_t)id > now_wall_ms + ORIGIN_MAX_SKEW_MS;
}

bool origin_route_room(size_t count, size_t max, bool direct)
{
	size_t reserve = max >= 4 * ORIGIN_ROUTE_RESERVE ? ORIGIN_ROUTE_RESERVE : max / 4;

	return count < (direct ? max : max - reserve);
}

bool origin_bucket_take(struct origin_bucket *b, uint64_t now_ms, uint32_t burst, uint32_t per_s)
{
	uint64_t cap = (uint64_t)burst * 1000;

	if (!b->primed) {
		b->primed = true;
		b->milli = cap;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * per_s;

		b->milli = add >= cap - b->milli ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

void origin_upstream_reset(struct origin_upstream *u, uint64_t link_id)
{
	memcpy(u->prev, u->link, sizeof(u->prev));
	memset(u->link, 0, sizeof(u->link));
	u->link[0] = link_id;
}

void origin_upstream_note(struct origin_upstream *u, uint64_t link_id)
{
	for (size_t i = 0; i <= ORIGIN_UPSTREAM; i++) {
		if (u->link[i] == link_id)
			return;
		if (!u->link[i]) {
			u->link[i] = link_id;
			return;
		}
	}
	/* full: the first links to deliver it are kept */
}

void origin_upstream_forget(struct origin_upstream *u, uint64_t link_id)
{
	for (size_t i = 0; i <= ORIGIN_UPSTREAM; i++) {
		if (u->link[i] == link_id)
			u->link[i] = 0;
		if (u->prev[i] == link_id)
			u->prev[i] = 0;
	}
}

bool origin_upstream_has(const struct origin_upstream *u, uint64_t link_id)
{
	if (!link_id)
		return false;
	for (size_t i = 0; i <= ORIGIN_UPSTREAM; i++) {
		if (u->link[i] == link_id || u->prev[i] == link_id)
			return true;
	}
	return false;
}

int64_t origin_gone_tomb_id(bool heard, int64_t top, int64_t last_id, uint64_t now_wall_ms)
{
	int64_t id = now_wall_ms > INT64_MAX ? INT64_MAX : (int64_t)now_wall_ms;

	if (last_id < id)
		id = last_id;
	if (heard && top > id)
		id = top;
	return id;
}

/* The same IP and port (another daemon on the same host listens elsewhere). */
static bool same_endpoint(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

	return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) &&
	       x->sin6_port == y->sin6_port;
}

enum origin_addr_verdict origin_addr_check(const struct sockaddr *sa,
					   const struct sockaddr_storage *own, size_t n_own)
{
	struct sockaddr_in v4;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const struct in6_addr *a = &s6->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			v4.sin_port = s6->sin6_port;
			memcpy(&v4.sin_addr, a->s6_addr + 12, 4);
			sa = (const struct sockaddr *)&v4;
		} else {
			if (!s6->sin6_port)
				return ORIGIN_ADDR_BAD;
			if (IN6_IS_ADDR_LOOPBACK(a))
				return ORIGIN_ADDR_LOOPBACK;
			if (IN6_IS_ADDR_UNSPECIFIED(a))
				return ORIGIN_ADDR_UNSPECIFIED;
			if (IN6_IS_ADDR_MULTICAST(a))
				return ORIGIN_ADDR_MULTICAST;
		}
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		uint32_t ip = ntohl(s4->sin_addr.s_addr);

		if (!s4->sin_port)
			return ORIGIN_ADDR_BAD;
		if ((ip >> 24) == 127)
			return ORIGIN_ADDR_LOOPBACK;
		/* 0.0.0.0/8 is "this network": 0.0.0.0 and the like reach us */
		if ((ip >> 24) == 0)
			return ORIGIN_ADDR_UNSPECIFIED;
		if ((ip >> 28) == 0xe || ip == 0xffffffffu)
			return ORIGIN_ADDR_MULTICAST;
	} else if (sa->sa_family != AF_INET6) {
		return ORIGIN_ADDR_BAD;
	}
	for (size_t i = 0; i < n_own; i++) {
		if (same_endpoint(sa, &own[i]))
			return ORIGIN_ADDR_OWN;
	}
	return ORIGIN_ADDR_OK;
}

const char *origin_addr_verdict_name(enum origin_addr_verdict v)
{
	switch (v) {
	case ORIGIN_ADDR_OK:
		return "ok";
	case ORIGIN_ADDR_LOOPBACK:
		return "a loopback address";
	case ORIGIN_ADDR_UNSPECIFIED:
		return "an unspecified address";
	case ORIGIN_ADDR_MULTICAST:
		return "a multicast or broadcast address";
	case ORIGIN_ADDR_OWN:
		return "one of our own addresses";
	case ORIGIN_ADDR_BAD:
		return "no usable address";
	}
	return "?";
}
