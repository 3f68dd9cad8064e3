#include "tomb.h"

#include <string.h>

static bool live(const struct tomb *s, uint64_t now_ms)
{
	return s->at_ms && now_ms - s->at_ms < TOMB_MS;
}

static size_t home_of(const uint8_t mac[MAC_LEN])
{
	/* FNV-1a, as the route table: any byte of a MAC may vary */
	uint32_t h = 2166136261u;

	for (int i = 0; i < MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h & (TOMB_SLOTS - 1);
}

struct tomb *tomb_find(struct tombs *t, const uint8_t mac[MAC_LEN], uint64_t now_ms)
{
	size_t home = home_of(mac);

	for (size_t i = 0; i < TOMB_PROBE; i++) {
		struct tomb *s = &t->slot[(home + i) & (TOMB_SLOTS - 1)];

		if (live(s, now_ms) && mac_eq(s->mac, mac))
			return s;
	}
	return NULL;
}

void tomb_add(struct tombs *t, const uint8_t mac[MAC_LEN], int64_t last_id, uint64_t now_ms)
{
	struct tomb *s = tomb_find(t, mac, now_ms);

	if (!s) {
		size_t home = home_of(mac);

		/* a free or expired slot in reach, else the oldest there */
		for (size_t i = 0; i < TOMB_PROBE; i++) {
			struct tomb *c = &t->slot[(home + i) & (TOMB_SLOTS - 1)];

			if (!live(c, now_ms)) {
				s = c;
				break;
			}
			if (!s || c->at_ms < s->at_ms)
				s = c;
		}
		memcpy(s->mac, mac, MAC_LEN);
		s->last_id = last_id;
	}
	if (last_id > s->last_id)
		s->last_id = last_id;
	s->at_ms = now_ms ? now_ms : 1; /* 0 means free */
}

bool tomb_blocks(struct tombs *t, const uint8_t mac[MAC_LEN], int64_t id, uint64_t now_ms)
{
	struct tomb *s = tomb_find(t, mac, now_ms);

	if (!s)
		return false;
	if (id <= s->last_id)
		return true;
	s->at_ms = 0; /* it spoke again: alive */
	return false;
}
