/* resolve.h without c-ares (meson -Ddns=disabled, or no libcares): seeds are addresses only. */
#include "resolve.h"

#include <string.h>

#include "build.h"
#include "discovery.h"

int resolve_start(struct resolve **out, struct discovery_env *env, char *err, size_t errlen)
{
	*out = NULL;
	/* main has refused such a configuration already (build_check_config at -n and start) */
	return build_check_config(env->cfg, err, errlen);
}

void resolve_stop(struct resolve *r)
{
}

size_t resolve_count(const struct resolve *r)
{
	return 0;
}

bool resolve_get_info(const struct resolve *r, size_t i, struct resolve_info *out)
{
	memset(out, 0, sizeof(*out));
	return false;
}
