/* mdns.h without Avahi (meson -Dmdns=disabled, or no avahi-client): discovery by mDNS is off. */
#include "mdns.h"

#include "daemon.h"
#include "log.h"

void mdns_start(struct invpnd *d)
{
	/* mdns = yes is the default: a notice, not an error */
	if (d->cfg->mdns)
		log_notice("mdns: built without Avahi; mdns = yes ignored");
}

void mdns_stop(struct invpnd *d)
{
}

void mdns_after_round(struct invpnd *d)
{
}
