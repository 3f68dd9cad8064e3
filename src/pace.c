#include "pace.h"

uint64_t pace_flood_ms(unsigned base_s, unsigned max_s, size_t routes)
{
	uint64_t base = (uint64_t)base_s * 1000, max = (uint64_t)max_s * 1000, t;

	if (max < base)
		max = base;
	if (routes <= PACE_NODES)
		return base;
	/* routes is at most max_routes (2^20): no overflow */
	t = base * routes / PACE_NODES;
	return t < max ? t : max;
}

uint64_t pace_route_timeout_ms(unsigned route_timeout_s, uint64_t flood_ms)
{
	uint64_t configured = (uint64_t)route_timeout_s * 1000;
	uint64_t rounds = PACE_ROUTE_ROUNDS * flood_ms;

	return rounds > configured ? rounds : configured;
}

uint64_t pace_refresh_at(uint64_t now_ms, uint64_t last_ms, uint64_t base_ms, uint32_t rnd)
{
	uint64_t at = now_ms + rnd % PACE_REFRESH_JITTER_MS;

	if (last_ms && at < last_ms + base_ms)
		at = last_ms + base_ms;
	return at;
}
