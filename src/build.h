/*
 * What this build has (meson's mdns, dns, systemd and metrics options; HAVE_MDNS,
 * HAVE_DNS, HAVE_SYSTEMD, HAVE_METRICS and INVPN_FEATURES come from the generated
 * version.h) and the configurations it cannot carry out. The stubs standing
 * in for a missing library (mdns_none.c, resolve_none.c, notify_none.c) say
 * the rest at run time.
 */
#pragma once

#include <stddef.h>

struct config;

/**
 * Refuse what this build cannot do (a DNS name or SRV domain without
 * c-ares, metrics without libmicrohttpd): 0, or -EINVAL with "configuration: KEY: why" in err.
 */
int build_check_config(const struct config *c, char *err, size_t errlen);
