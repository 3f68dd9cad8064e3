/* resolve.h without c-ares (meson -Ddns=disabled, or no libcares): seeds are addresses only. */
#include "resolve.h"

#include "daemon.h"
#include "build.h"

int resolve_start(struct invpnd *d, char *err, size_t errlen)
{
	/* main has refused such a configuration already (build_check_config at -n and start) */
	return build_check_config(d->cfg, err, errlen);
}

void resolve_stop(struct invpnd *d)
{
}
