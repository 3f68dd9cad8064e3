/*
 * DNS with c-ares on the daemon's loop: A/AAAA for seed names given in
 * `init`, and SRV records of _invpn._tcp.DOMAIN for each `srv` domain.
 * Results become directory addresses (source "dns"). Never blocks; a DNS
 * failure is logged and retried with backoff.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct invpnd;

#define RESOLVE_REFRESH_MS (5 * 60 * 1000)
#define RESOLVE_RETRY_MIN_MS 2000
#define RESOLVE_MAX_SRV_TARGETS 16

/** Start resolving the configured names (if any). 0 or -errno, message in err. */
int resolve_start(struct invpnd *d, char *err, size_t errlen);
void resolve_stop(struct invpnd *d);

/* One SRV record, for ordering. */
struct resolve_srv {
	uint16_t priority, weight, port;
	const char *target;
};

/**
 * Order SRV records as RFC 2782 says: by priority (lowest first); within a
 * priority, a weighted random order. rnd returns a uniform 32-bit number.
 */
void resolve_srv_order(struct resolve_srv *v, size_t n, uint32_t (*rnd)(void *), void *arg);
