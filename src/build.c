#include "build.h"

#include <errno.h>
#include <stdio.h>

#include "addr.h"
#include "config.h"

int build_check_config(const struct config *c, char *err, size_t errlen)
{
	/* asked for explicitly (off by default): not serving it would go unnoticed */
	if (!HAVE_METRICS && c->metrics) {
		snprintf(err, errlen,
			 "configuration: metrics: invpnd was built without libmicrohttpd "
			 "(-Dmetrics=disabled): it cannot serve /metrics (invpnctl metrics works)");
		return -EINVAL;
	}
	/*
	 * mdns = yes is the default, so a build without Avahi only says at start
	 * that it ignores it (mdns_none.c). Seeds by name are asked for
	 * explicitly: silently never dialling them would look like a network
	 * fault.
	 */
	if (HAVE_DNS)
		return 0;
	for (size_t i = 0; i < c->n_init; i++) {
		if (!addr_is_ip(c->init[i].host)) {
			snprintf(err, errlen,
				 "configuration: init: '%s' is a DNS name, but invpnd was built "
				 "without c-ares (only addresses)",
				 c->init[i].host);
			return -EINVAL;
		}
	}
	if (c->n_srv) {
		snprintf(err, errlen,
			 "configuration: srv: '%s' needs DNS SRV lookups, but invpnd was built "
			 "without c-ares",
			 c->srv[0]);
		return -EINVAL;
	}
	return 0;
}
