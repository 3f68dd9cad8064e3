/* mdns.h without Avahi (meson -Dmdns=disabled, or no avahi-client): discovery by mDNS is off. */
#include "mdns.h"

#include <string.h>

#include "config.h"
#include "discovery.h"
#include "log.h"

struct mdns *mdns_start(struct discovery_env *env)
{
	/* mdns = yes is the default: a notice, not an error */
	if (env->cfg->mdns)
		log_notice("mdns: built without Avahi; mdns = yes ignored");
	return NULL;
}

void mdns_stop(struct mdns *m)
{
}

void mdns_after_round(struct mdns *m)
{
}

void mdns_get_info(const struct mdns *m, struct mdns_info *out)
{
	memset(out, 0, sizeof(*out));
	out->state = MDNS_OFF;
}
