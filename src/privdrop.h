/* Dropping root after start-up: the `user` and `group` keys. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct privdrop {
	uid_t uid;
	gid_t gid;
	const char *user;
	int enabled;
};

/** Look up user/group (group NULL: the user's primary group). 0, or -errno with err set. */
int privdrop_resolve(struct privdrop *p, const char *user, const char *group, char *err,
		     size_t errlen);
/** Switch to the user and group for good (groups too). 0, or -errno with err set. */
int privdrop_apply(const struct privdrop *p, char *err, size_t errlen);
