/*
 * DNS with c-ares on the daemon's loop: A/AAAA for seed names given in
 * `init`, and SRV records of _invpn._tcp.DOMAIN for each `srv` domain.
 * Results become directory addresses (source "dns"). Never blocks; a DNS
 * failure is logged and retried with backoff.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct discovery_env;
struct resolve;

#define RESOLVE_REFRESH_MS (5 * 60 * 1000)
#define RESOLVE_RETRY_MIN_MS 2000
#define RESOLVE_MAX_SRV_TARGETS 16

/**
 * Start resolving the configured names; *out is NULL if there are none.
 * 0 or -errno, message in err. env must outlive *out.
 */
int resolve_start(struct resolve **out, struct discovery_env *env, char *err, size_t errlen);
/** Stop and free (NULL is fine). */
void resolve_stop(struct resolve *r);

/* One configured name, for the control socket (invpnctl status). */
struct resolve_info {
	const char *name; /* the seed host, or "_invpn._tcp.DOMAIN" */
	bool srv;
	bool busy;	     /* a lookup is in flight */
	bool done;	     /* a lookup has finished at least once */
	bool ok;	     /* the last one gave addresses (or SRV targets) */
	unsigned fails;	     /* failed lookups in a row */
	size_t addresses;    /* addresses the last lookup gave (for SRV: of all its targets) */
	size_t targets;	     /* SRV: usable targets in the last answer */
	const char *error;   /* why the last lookup failed; NULL if it did not */
	uint64_t next_in_ms; /* until the next lookup (refresh or retry); 0 while busy */
};

/** How many names are looked up (0 if none, or DNS is not used). */
size_t resolve_count(const struct resolve *r);
/** Name i (< resolve_count); false if there is no such name. */
bool resolve_get_info(const struct resolve *r, size_t i, struct resolve_info *out);
/** "resolving", "ok" or "failed": what invpnctl shows. */
const char *resolve_state_name(const struct resolve_info *ri);

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
