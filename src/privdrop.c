#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int privdrop_resolve(struct privdrop *p, const char *user, const char *group, char *err,
		     size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	if (!user && !group)
		return 0;
	if (!user) {
		snprintf(err, errlen, "group: needs user as well");
		return -EINVAL;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user: '%s': %s", user,
			 errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	p->user = user;
	if (group) {
		struct group *gr;

		errno = 0;
		gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "group: '%s': %s", group,
				 errno ? strerror(errno) : "no such group");
			return -ENOENT;
		}
		p->gid = gr->gr_gid;
	}
	p->enabled = 1;
	return 0;
}

int privdrop_apply(const struct privdrop *p, char *err, size_t errlen)
{
	if (!p->enabled)
		return 0;
	/* after a SIGUSR2 re-exec we may already be that user */
	if (getuid() == p->uid && geteuid() == p->uid && getgid() == p->gid)
		return 0;
	if (setgroups(1, &p->gid) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
	    setresuid(p->uid, p->uid, p->uid) < 0) {
		snprintf(err, errlen, "cannot switch to user %s: %s", p->user, strerror(errno));
		return -errno;
	}
	/* and no way back */
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could regain root after switching to %s", p->user);
		return -EPERM;
	}
	prctl(PR_SET_DUMPABLE, 0);
	return 0;
}
